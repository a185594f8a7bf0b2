"""The bulk landing path (the contract compiled to one DuckDB query per batch) against the per-record
path and plain pydantic: every line the bulk check accepts is one pydantic accepts, with the same
landed row; every other line goes to the per-record path, so landing reaches pydantic's verdict and
message on every line. Corpus: the hostile lines of the landing tests, scalars of every kind, the
recorded API responses, a generated snapshot, and mutations of good records (each declared field
dropped or replaced by values of every kind, keys repeated at every declared level)."""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel
from snapshot_builder import work, write_snapshot
from test_fastpath import (
    AUTHOR,
    AUTHOR_LINES,
    RICH_WORK,
    SCALAR_FIELDS,
    SCALAR_VALUES,
    WORK,
    WORK_LINES,
    _landed,
    _nest,
    _plain,
)
from test_land import DAY

from pipeline.landing import bulk
from pipeline.landing.land import land
from pipeline.schemas.openalex import Author, Work
from pipeline.sources.openalex.snapshot import OpenAlexSnapshot

REPO = Path(__file__).resolve().parents[2]

REPLACEMENTS = [
    None,
    True,
    0,
    -1,
    7,
    2**63,
    -(2**63) - 1,
    3.0,
    2.5,
    float("1e300"),
    "",
    " ",
    "x",
    "W12",
    "2020",
    "2020-06-01",
    "2020-06-01T10:00:00",
    [],
    [None],
    [1, "a"],
    {},
    {"id": "T1"},
    {"x": 1},
]


def _encode(lines: list[str | bytes]) -> list[bytes]:
    return [line.encode() if isinstance(line, str) else line for line in lines]


def _bulk(model: type[BaseModel], lines: list[bytes]) -> dict[int, str]:
    """index -> repr(landed row) of the lines the bulk check accepts."""
    checker = bulk.checker(model)
    assert checker is not None
    accepted, table = checker.accept(lines)
    rows = table.to_pylist()
    return {int(i): repr(row) for i, row in zip(accepted, rows, strict=True)}


def _declared(model: type[BaseModel], record: dict, path: tuple = ()):
    """Every (path, model) of a declared field present in ``record``, nested models and lists included."""
    for name, info in model.model_fields.items():
        key = info.alias if info.alias in record else name
        if key not in record:
            yield (*path, key)
            continue
        yield (*path, key)
        value = record[key]
        inner = _model_of(info.annotation)
        if inner is None:
            continue
        if isinstance(value, dict):
            yield from _declared(inner, value, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value[:2]):
                if isinstance(item, dict):
                    yield from _declared(inner, item, (*path, key, i))


def _model_of(annotation) -> type[BaseModel] | None:
    import typing

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _at(record, path):
    for step in path:
        record = record[step]
    return record


def _mutations(model: type[BaseModel], record: dict) -> list[str]:
    """The record with each declared field dropped, replaced by values of every kind, nested deep,
    or repeated (the repeat first: DuckDB reads the first of two equal keys, pydantic the last)."""
    out = []
    for path in _declared(model, record):
        *parent_path, key = path
        for value in [*REPLACEMENTS, "DROP", "DEEP"]:
            mutated = copy.deepcopy(record)
            parent = _at(mutated, parent_path)
            if value == "DROP":
                parent.pop(key, None)
                out.append(json.dumps(mutated))
            elif value == "DEEP":
                parent[key] = "@@DEEP@@"
                out.append(json.dumps(mutated).replace('"@@DEEP@@"', _nest(210)))
            else:
                parent[key] = value
                out.append(json.dumps(mutated))
        if isinstance(_at(record, parent_path), dict):
            mutated = copy.deepcopy(record)
            parent = _at(mutated, parent_path)
            original = parent.get(key)
            parent[key] = "@@DUP@@"
            text = json.dumps(mutated).replace('"@@DUP@@"', json.dumps(original), 1)
            for other in ("nope", None, 12):
                out.append(
                    text.replace(
                        f'"{key}": {json.dumps(original)}',
                        f'"{key}": {json.dumps(other)}, "{key}": {json.dumps(original)}',
                        1,
                    )
                )
    return out


def _snapshot_lines(root: Path, entity: str, limit: int) -> list[bytes]:
    lines: list[bytes] = []
    for part in sorted((root / "data" / entity).rglob("*.gz")):
        with gzip.open(part, "rb") as handle:
            lines += [line.rstrip(b"\r\n") for line in handle]
    return lines[:limit]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("generated")
    subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "generate_snapshot.py"),
            "--works",
            "3000",
            "--out",
            str(out),
            "--jobs",
            "1",
        ],
        check=True,
        capture_output=True,
    )
    return out


def _corpus(model: type[BaseModel], generated: Path) -> list[bytes]:
    if model is Work:
        lines = [*WORK_LINES]
        lines += [f'{{"id": "W1", "{name}": {value}}}' for name in SCALAR_FIELDS for value in SCALAR_VALUES]
        lines += [f'{{"id": {value}}}' for value in SCALAR_VALUES]
        lines += _mutations(Work, RICH_WORK) + _mutations(Work, WORK)
        lines += _snapshot_lines(generated, "works", 300)
        good = json.loads(_snapshot_lines(generated, "works", 1)[0])
        lines += _mutations(Work, good)
    else:
        lines = [*AUTHOR_LINES, *_mutations(Author, AUTHOR)]
        lines += _snapshot_lines(generated, "authors", 300)
        lines += _mutations(Author, json.loads(_snapshot_lines(generated, "authors", 1)[0]))
    return _encode(lines)


@pytest.mark.parametrize("model", [Work, Author])
def test_bulk_check_accepts_only_what_pydantic_accepts_with_the_same_row(model, generated):
    lines = _corpus(model, generated)
    accepted = _bulk(model, lines)
    plain = [_plain(model, line) for line in lines]
    wrong = [(lines[i][:160], plain[i], row[:200]) for i, row in accepted.items() if plain[i] != ("ok", row)]
    assert wrong == []
    # and landing as a whole (bulk, then the per-record path for the rest) reaches pydantic's
    # verdict and message on every line
    combined = [("ok", accepted[i]) if i in accepted else _landed(model, line) for i, line in enumerate(lines)]
    assert [(lines[i][:160], p, c) for i, (p, c) in enumerate(zip(plain, combined, strict=True)) if p != c] == []
    # the corpus has rejects, the check takes good records in bulk and leaves others to pydantic
    verdicts = [p[0] for p in plain]
    assert verdicts.count("rejected") > 50
    good = _encode([line.decode() for line in _snapshot_lines(generated, "works" if model is Work else "authors", 300)])
    assert len(_bulk(model, good)) == len(good)
    assert 0 < len(accepted) < verdicts.count("ok")


def test_recorded_responses_are_taken_in_bulk(recorded):
    for model, name in ((Work, "openalex_work_W2741809807.json"), (Author, "openalex_author_A5023888391.json")):
        line = json.dumps(json.loads((recorded / name).read_text())).encode()
        assert _bulk(model, [line]) == {0: _plain(model, line)[1]}


def _land_both(inputs, settings, tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "ENABLED", True)
    fast = land(inputs(), settings, ingest_date=DAY)
    monkeypatch.setattr(bulk, "ENABLED", False)
    plain = land(inputs(), settings.model_copy(update={"data_dir": tmp_path / "per-record"}), ingest_date=DAY)
    assert len(fast.files) == len(plain.files) > 0
    compared = 0
    for f, p in zip(fast.files, plain.files, strict=True):
        assert (f.source_file, f.records, f.valid, f.quarantined) == (p.source_file, p.records, p.valid, p.quarantined)
        assert f.valid + f.quarantined == f.records
        for fast_path, plain_path in ((f.records_path, p.records_path), (f.quarantine_path, p.quarantine_path)):
            assert (fast_path is None) == (plain_path is None)
            if fast_path is None:
                continue
            fast_table, plain_table = pq.read_table(fast_path), pq.read_table(plain_path)
            assert fast_table.schema == plain_table.schema
            assert repr(fast_table.to_pylist()) == repr(plain_table.to_pylist())  # repr: NaN is NaN
            compared += fast_table.num_rows
    return compared


def test_bulk_landing_writes_what_the_per_record_path_writes_on_the_sample(tmp_path, settings, monkeypatch):
    sample = REPO / "pipeline" / "sample_data" / "openalex"
    assert _land_both(lambda: OpenAlexSnapshot(sample).files(), settings, tmp_path, monkeypatch) > 0


def test_bulk_landing_writes_what_the_per_record_path_writes_on_a_generated_snapshot(
    generated, tmp_path, settings, monkeypatch
):
    assert _land_both(lambda: OpenAlexSnapshot(generated).files(), settings, tmp_path, monkeypatch) > 3000


def test_bulk_landing_keeps_line_order_and_quarantines_the_hostile_lines(tmp_path, settings, monkeypatch):
    hostile = [line for line in WORK_LINES if isinstance(line, str)]  # the snapshot builder writes text
    records = [json.dumps(RICH_WORK), *hostile, json.dumps(work("W2", ["A2"]))]
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": records})
    assert _land_both(lambda: OpenAlexSnapshot(root).files(), settings, tmp_path, monkeypatch) == len(records)
