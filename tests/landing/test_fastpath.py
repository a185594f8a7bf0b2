"""The landing fast path (project to the declared fields, validate the projection) and plain
pydantic (``model_validate_json`` of the whole line) reach the same verdict on every line, give
the same row when valid and the same quarantine message when not."""

from __future__ import annotations

import json
from typing import Any, TypedDict

import msgspec
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from snapshot_builder import OA, author, work, write_snapshot
from test_land import BAD_LINES, DAY

import pipeline.landing.parsers as parsers
from pipeline.catalog import CATALOG
from pipeline.landing.fastpath import (
    MAX_DEPTH,
    data_validator,
    decoder_checked,
    fast_row,
    fast_validator,
    projection,
)
from pipeline.landing.land import land
from pipeline.landing.parsers import RecordError, describe, json_parser
from pipeline.schemas.openalex import Author, Work, abstract_from_inverted_index
from pipeline.schemas.platform import PlatformEvent
from pipeline.sources.openalex.snapshot import OpenAlexSnapshot


def _plain(model: type[BaseModel], raw: bytes) -> tuple[str, str]:
    """The verdict of plain pydantic: ("ok", repr(row)) or ("rejected", its quarantine message)."""
    if not raw.strip():
        return "rejected", "empty line"
    try:
        return "ok", repr(model.model_validate_json(raw).to_row())
    except ValidationError as exc:
        return "rejected", describe(exc)


def _landed(model: type[BaseModel], raw: bytes) -> tuple[str, str]:
    """The verdict of the landing parser (fast path first)."""
    try:
        return "ok", repr(json_parser(model)(raw))
    except RecordError as exc:
        return "rejected", str(exc)


def _nest(depth: int) -> str:
    """``depth`` levels of nesting (arrays and objects, inside the record's own object)."""
    levels = depth - 1
    return '[{"x":' * (levels // 2) + ("[1]" if levels % 2 else "1") + "}]" * (levels // 2)


WORK = work("W1", ["A1", ("A2", "Ann Two")], topics=("T1", "T2"), cited=3)
RICH_WORK = {
    **WORK,
    "abstract_inverted_index": {"hello": [0, 2], "world": [1]},
    "primary_topic": {"id": OA + "T1", "display_name": "Topic", "subfield": {"display_name": "Sub"}},
    "is_retracted": False,
    "concepts": [{"id": OA + "C1", "level": 0, "ancestors": [{"x": [1, [2, {"y": None}]]}]}],
    "counts_by_year": [{"year": 2024, "cited_by_count": 1}],
    "authorships": [
        {
            "author_position": "first",
            "author": {"id": OA + "A1", "display_name": None, "orcid": "https://orcid.org/0000-0002-1825-0097"},
            "raw_author_name": "A. One",
            "is_corresponding": True,
            "institutions": [
                {"id": OA + "I1", "display_name": "Uni", "country_code": "FR", "lineage": [OA + "I1"], "type": "x"},
                {"id": None, "display_name": "No id"},
            ],
            "countries": ["FR"],
            "affiliations": [{"raw_affiliation_string": "Uni", "institution_ids": [OA + "I1"]}],
        }
    ],
}
AUTHOR = {
    **author("A1", "Ada", orcid="0000-0002-1825-0097", works_count=9),
    "summary_stats": {"h_index": 3, "i10_index": 1, "2yr_mean_citedness": 1.5},
    "last_known_institutions": [{"id": OA + "I1", "display_name": "Uni", "lineage": []}],
    "topics": [{"id": OA + "T1", "count": 4, "field": {"id": "F", "display_name": "Field"}}],
    "display_name_alternatives": ["A. Lovelace"],
    "x_concepts": [{"id": "C", "score": 1}],
}


def _with(record: dict, **changes: Any) -> str:
    return json.dumps({**record, **changes})


WORK_LINES: list[str | bytes] = [
    *BAD_LINES,  # the hostile lines of the landing tests
    "this is not json",
    " \t\x0b\x0c\r ",  # ASCII whitespace only: an empty line
    "\xa0",  # not ASCII whitespace: invalid JSON
    json.dumps({"id": "https://openalex.org/W77", "authorships": "nope"}),
    '{"title": "no id"}',
    '{"id": "A123"}',
    '{"id": "W1", "cited_by_count": "many"}',
    '{"id": "W1", "authorships": [{"author": {"id": "W9"}}]}',
    '{"id": "W1", "publication_year": 30000}',
    '{"id": "W1", ',
    '{"id": "W1", "cited_by_count": 9223372036854775808}',
    '{"id": "W1", "brand_new_field": {"x": 1}, "authorships": []}',
    '{"id": "W1", "authorships": [{"author": {"id": "A1"}, "institutions": null}], "topics": null}',
    '{"id": "W1", "authorships": null}',
    '{"id": "W1", "doi": "", "authorships": [{"author": {"id": "A1", "orcid": ""}}]}',
    '{"id": "W1", "doi": "https://doi.org/"}',
    json.dumps(WORK),
    json.dumps(RICH_WORK),
    # JSON the decoder and pydantic's parser read differently
    '{"id": "W1", "id": "W2"}',
    '{"id": "W1", "id": "nope"}',
    '{"id": "nope", "id": "W2"}',
    '{"id": "W1", "skipped": NaN}',
    '{"id": "W1", "skipped": Infinity, "cited_by_count": -Infinity}',
    '{"id": "W1", "topics": [{"id": "T1", "score": NaN}]}',
    '{"id": "W1", "topics": [{"id": "T1", "score": 1e400}]}',
    '{"id": "W1", "skipped": 1e400}',
    '{"id": "W1", "skipped": 123456789012345678901234567890}',
    '{"id": "W1", "cited_by_count": 3.0, "publication_year": 2020.0}',
    '{"id": "W1", "cited_by_count": 3.5}',
    '{"id": "W1", "cited_by_count": -1}',
    '{"id": "W1", "cited_by_count": true}',
    '{"id": "W1", "is_retracted": "yes", "publication_year": "2020"}',
    '{"id": "W1", "is_retracted": 2}',
    '{"id": "W1", "publication_date": "2020-02-30"}',
    '{"id": "W1", "publication_date": 1600000000, "updated_date": 1600000000.5}',
    '{"id": "W1", "updated_date": "2024-01-01T00:00:00+02:00", "created_date": "2024-01-01"}',
    '{"id": "W1", "title": 5}',
    '{"id": "W1", "title": null, "display_name": "From display name"}',
    '{"id": "W1", "skipped": "\\ud800"}',
    '{"id": "W1", "title": "\\ud800"}',
    '{"id": "W1", "title": "\\ud83d\\ude00 caf\\u00e9 \\"q\\" back\\\\slash", "skipped": "\\\\"}',
    '{"id": "W1", "title": "\u00e9t\u00e9 \u4e2d\u6587"}',
    b'{"id": "W1", "skipped": "\xff"}',
    b'{"id": "W1", "skipped": "\xed\xa0\x80"}',
    b'{"id": "W1", "skipped": "\xc0\x80"}',
    b'{"id": "W1", "title": "\xff"}',
    b'\xef\xbb\xbf{"id": "W1"}',
    '{"id": "W1", "skipped": "a\tb"}',
    '{"id": "W1", "skipped": [1,]}',
    '{"id": "W1",}',
    '{"id": "W1"} trailing',
    '{"id": "W1"}   ',
    '   {"id": "W1"}',
    '{"id": "W1", "skipped": 01}',
    "[1]",
    "null",
    '"W1"',
    "{}",
    '{"id": null}',
    '{"id": "W1", "primary_location": "here"}',
    '{"id": "W1", "primary_location": {"source": []}}',
    '{"id": "W1", "primary_location": {"source": {"id": 5}}}',
    '{"id": "W1", "authorships": {"author": {"id": "A1"}}}',
    '{"id": "W1", "authorships": [null]}',
    '{"id": "W1", "authorships": [{"author": null}]}',
    '{"id": "W1", "authorships": [{"institutions": []}]}',
    '{"id": "W1", "authorships": [{"author": {"id": "A1", "orcid": "not-an-orcid"}}]}',
    '{"id": "W1", "authorships": [{"author": {"id": "A1"}, "institutions": [{"id": 7}]}]}',
    '{"id": "W1", "authorships": [{"author": {"id": "A1"}, "institutions": "MIT"}]}',
    '{"id": "W1", "topics": [{"display_name": "no id"}]}',
    '{"id": "W1", "abstract_inverted_index": {"a": [0], "b": ["1"]}}',
    '{"id": "W1", "abstract_inverted_index": {"a": [0], "b": [2.5]}}',
    '{"id": "W1", "abstract_inverted_index": []}',
    '{"id": "W1", "abstract_inverted_index": {"a": [5], "b": [-1]}}',
    # nesting: pydantic's JSON parser refuses ~200 levels, also in fields the contract ignores
    '{"id": "W1", "skipped": ' + _nest(MAX_DEPTH - 20) + "}",
    '{"id": "W1", "skipped": ' + _nest(199) + "}",
    '{"id": "W1", "skipped": ' + _nest(200) + "}",
    '{"id": "W1", "skipped": ' + _nest(400) + "}",
    '{"id": "W1", "skipped": ' + ("[" * 300 + "]" * 300) + "}",
    '{"id": "W1", "s": "]]]]]]]]", "skipped": ' + _nest(250) + "}",
    '{"id": "W1", "s": "[[[[\\\\", "skipped": ' + _nest(250) + "}",
    '{"id": "W1", "abstract_inverted_index": {"a": ' + _nest(250) + "}}",
    '{"id": "W1", "skipped": ' + ("[" * 300) + "}",
    '{"id": "W1", "skipped": ' + ("]" * 300 + "[" * 300) + "}",
    # ids and ORCID iDs in every form their validators tell apart (the usual URL form skips some steps)
    *(
        json.dumps({"id": work_id, "authorships": [{"author": {"id": author_id, "orcid": orcid}}]})
        for work_id, author_id, orcid in [
            ("https://openalex.org/W7", "https://openalex.org/A7", "https://orcid.org/0000-0002-1825-009X"),
            ("https://openalex.org/w7", "http://openalex.org/a7", " https://orcid.org/0000-0002-1825-0097\n"),
            ("openalex.org/W7", " A7 ", "0000-0002-1825-0097\u2028"),
            ("https://openalex.org/W\u0661\u0662", "A\uff11", "0000-0002-1825-\u0660\u0661\u0662\u0663"),
            ("https://openalex.org/W1a", "A7", "0000-0002-1825-0097\nx"),
            ("W7", "https://openalex.org/", "x0000-0002-1825-0097"),
            ("W7", "A7", "0000-0002-1825-00971"),
            ("W7", "A7", "0000-0002-1825-009x"),
            ("W7", "A7", "1825-0097"),
            ("W\u00b2", "A7", None),
            ("https://openalex.org/W7 ", "A7", "0000-0002-1825-0097-0000-0002-1825-0098"),
        ]
    ),
]

AUTHOR_LINES: list[str | bytes] = [
    json.dumps({"display_name": "author without id"}),
    json.dumps(AUTHOR),
    json.dumps(author("A2", "Bo")),
    _with(AUTHOR, summary_stats={"two_year_mean_citedness": 2.5}),
    _with(AUTHOR, summary_stats={"2yr_mean_citedness": "x", "two_year_mean_citedness": 2.5}),
    _with(AUTHOR, summary_stats={"h_index": 2**63}),
    _with(AUTHOR, summary_stats=None, last_known_institutions=None, topics=None),
    _with(AUTHOR, summary_stats=[1]),
    _with(AUTHOR, display_name_alternatives=["a", 1]),
    _with(AUTHOR, display_name_alternatives=None),
    _with(AUTHOR, works_count=-3),
    _with(AUTHOR, topics=[{"id": "T1", "count": "many"}]),
    _with(AUTHOR, last_known_institutions=[{"display_name": None}, {"display_name": "X"}]),
    '{"id": "https://openalex.org/a5", "orcid": "0000-0002-1825-0097"}',
    '{"id": "A5", "skipped": ' + _nest(300) + "}",
]

# Every scalar the contracts declare, against JSON values of every kind.
SCALAR_FIELDS = [
    "title",
    "cited_by_count",
    "publication_year",
    "publication_date",
    "updated_date",
    "is_retracted",
    "doi",
]
SCALAR_VALUES = [
    "null",
    "true",
    "false",
    "0",
    "1",
    "-1",
    "2020",
    "3.0",
    "2.5",
    "1e3",
    "9223372036854775807",
    '""',
    '" "',
    '"abc"',
    '"1"',
    '"2.0"',
    '"true"',
    '"false"',
    '"yes"',
    '"off"',
    '"2020-06-01"',
    '"2020-06-01T10:00:00"',
    '"2020-06-01T10:00:00Z"',
    '"2020-06-01T10:00:00.123+01:00"',
    '"10:00"',
    '"2020-6-1"',
    '"1600000000"',
    '"https://doi.org/10.1/X"',
    "[]",
    "{}",
    '["a"]',
    '{"a": 1}',
]


ABSTRACTS = [
    '{"a": [0, 1.0]}',
    '{"a": [true]}',
    '{"a": [[0]]}',
    '{"a": [null]}',
    '{"a": null, "b": [0]}',
    '[["a", [0]]]',
    '{"a": [18446744073709551616]}',
    '{"a": [9223372036854775808]}',
    '{"a": [-9223372036854775809]}',
    '{"a": [-1], "b": [0]}',
    '{"a": [0], "a": [1]}',
    '{"a": [0], "a": "x"}',
    '{"a": "x", "a": [0]}',
    '{"\\ud800": [0]}',
    '{"\\u00e9": [0], "": [1]}',
    '{"a": [0,]}',
    '{"a": [1e0]}',
    '{"a": [-0]}',
    '{"a": [NaN]}',
]


def _verdicts(model: type[BaseModel], lines: list[str | bytes]) -> list[tuple]:
    encoded = [line.encode() if isinstance(line, str) else line for line in lines]
    return [(line, _plain(model, line), _landed(model, line)) for line in encoded]


@pytest.mark.parametrize(("model", "lines"), [(Work, WORK_LINES), (Author, AUTHOR_LINES)])
def test_fast_path_and_pydantic_reach_the_same_verdict(model, lines):
    results = _verdicts(model, lines)
    differ = [(line[:120], plain, fast) for line, plain, fast in results if plain != fast]
    assert not differ
    verdicts = {plain[0] for _, plain, _ in results}
    assert verdicts == {"ok", "rejected"}  # the corpus has both


def test_scalars_of_every_kind_get_the_same_verdict():
    lines = [f'{{"id": "W1", "{name}": {value}}}' for name in SCALAR_FIELDS for value in SCALAR_VALUES]
    lines += [
        f'{{"id": "W1", "authorships": [{{"author": {{"id": "A1"}}, "is_corresponding": {value}}}]}}'
        for value in SCALAR_VALUES
    ]
    lines += [f'{{"id": "W1", "topics": [{{"id": "T1", "score": {value}}}]}}' for value in SCALAR_VALUES]
    lines += [f'{{"id": {value}}}' for value in SCALAR_VALUES]
    # the abstract is checked by the decoder (decoder_checked), not by pydantic: every shape of it
    lines += [f'{{"id": "W1", "abstract_inverted_index": {value}}}' for value in SCALAR_VALUES + ABSTRACTS]
    lines += [f'{{"id": "W1", "abstract_inverted_index": {{"w": {value}}}}}' for value in SCALAR_VALUES + ABSTRACTS]
    lines += [f'{{"id": "W1", "abstract_inverted_index": {{"w": [{value}]}}}}' for value in SCALAR_VALUES + ABSTRACTS]
    results = _verdicts(Work, lines)
    assert [(line, plain, fast) for line, plain, fast in results if plain != fast] == []
    assert sum(plain[0] == "ok" for _, plain, _ in results) > 50


def test_recorded_responses_land_the_same_rows(recorded):
    work_line = json.dumps(json.loads((recorded / "openalex_work_W2741809807.json").read_text())).encode()
    author_line = json.dumps(json.loads((recorded / "openalex_author_A5023888391.json").read_text())).encode()
    for model, line in ((Work, work_line), (Author, author_line)):
        plain = _plain(model, line)
        assert plain[0] == "ok" and _landed(model, line) == plain
        assert fast_validator(model)(line) is not None  # taken by the fast path, not by the fallback


def test_the_fast_path_is_taken_for_good_records_and_drops_what_the_contract_ignores():
    fast = fast_validator(Work)
    assert fast is not None and fast_validator(Author) is not None
    assert fast(json.dumps(RICH_WORK).encode()) is not None
    assert fast(b'{"id": "W1", "skipped": NaN}') is None  # the plain path decides

    import msgspec

    projected = msgspec.json.Decoder(projection(Work)).decode(json.dumps(RICH_WORK).encode())
    assert "concepts" not in projected and "referenced_works" not in projected
    (authorship,) = projected["authorships"]
    assert "countries" not in authorship and "affiliations" not in authorship
    assert all("lineage" not in inst and "type" not in inst for inst in authorship["institutions"])
    assert set(projected) <= set(Work.model_fields)


def test_models_that_look_past_their_fields_are_not_projected():
    class Inner(BaseModel):
        a: int = 0

    class Reads(BaseModel):
        model_config = ConfigDict(extra="ignore")
        inner: Inner | None = None

        @model_validator(mode="before")
        @classmethod
        def _peek(cls, data):
            return data

    class Forbids(BaseModel):
        model_config = ConfigDict(extra="forbid")
        a: int = 0

    class FieldPeeks(BaseModel):
        inner: Inner | None = None

        @field_validator("inner", mode="before")
        @classmethod
        def _peek(cls, value):
            return {"a": value.get("b", 0)} if isinstance(value, dict) else value

    assert fast_validator(Reads) is None and fast_validator(Forbids) is None
    # a raw-value validator on a nested model: that field is decoded whole, not projected
    line = b'{"inner": {"b": 4}}'
    assert fast_validator(FieldPeeks)(line) == FieldPeeks.model_validate_json(line)
    assert FieldPeeks.model_validate_json(line).inner.a == 4


def test_aliases_are_projected_under_every_key_pydantic_reads():
    class Aliased(BaseModel):
        model_config = ConfigDict(populate_by_name=True)
        value: int = Field(default=0, alias="2v")

    for line in (b'{"2v": 1}', b'{"value": 2}', b'{"2v": 3, "value": 4}', b'{"other": 5}'):
        assert fast_validator(Aliased)(line) == Aliased.model_validate_json(line)


def test_every_json_landed_table_gets_the_same_verdict_on_its_own_good_and_bad_lines():
    event = {"event_id": "e1", "type": "author.claimed", "author_id": "A1", "occurred_at": "2026-01-01T10:00:00+02:00"}
    lines = [
        json.dumps(event),
        _with(event, type="author.eaten"),
        _with(event, occurred_at="yesterday"),
        _with(event, event_id=""),
        _with(event, extra={"deep": [[1]]}),
    ]
    results = _verdicts(PlatformEvent, lines)
    assert [(line, plain, fast) for line, plain, fast in results if plain != fast] == []
    tables = [t for t in CATALOG if t.parse is None]
    assert {t.input_model for t in tables} >= {Work, Author, PlatformEvent}


def test_landing_with_the_fast_path_writes_what_plain_pydantic_writes(tmp_path, settings, monkeypatch):
    records = [RICH_WORK, WORK, *WORK_LINES[:30], work("W2", ["A2"])]
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": lines})

    fast = land(OpenAlexSnapshot(root).files(), settings, ingest_date=DAY)
    monkeypatch.setattr(parsers, "fast_row", lambda model: None)
    plain_settings = settings.model_copy(update={"data_dir": tmp_path / "plain"})
    plain = land(OpenAlexSnapshot(root).files(), plain_settings, ingest_date=DAY)

    ((f,), (p,)) = (fast.files, plain.files)
    assert (
        (f.records, f.valid, f.quarantined)
        == (p.records, p.valid, p.quarantined)
        == (len(lines), f.valid, f.quarantined)
    )
    assert f.valid + f.quarantined == f.records and f.quarantined > 10
    for fast_path, plain_path in ((f.records_path, p.records_path), (f.quarantine_path, p.quarantine_path)):
        fast_table, plain_table = pq.read_table(fast_path), pq.read_table(plain_path)
        assert fast_table.schema == plain_table.schema
        assert repr(fast_table.to_pylist()) == repr(plain_table.to_pylist())  # repr: NaN is NaN


# -- the projection validated as data (typed dicts) instead of as models ---------------------------


def _attribute_row(model: BaseModel) -> dict[str, Any]:
    """``to_row()`` as it was written on the models' attributes, before ``row_from_data``."""
    if isinstance(model, Author):
        stats = model.summary_stats
        return {
            "author_id": model.id,
            "orcid": model.orcid,
            "display_name": model.display_name,
            "openalex_works_count": model.works_count,
            "openalex_cited_by_count": model.cited_by_count,
            "h_index": stats.h_index if stats else None,
            "i10_index": stats.i10_index if stats else None,
            "last_known_institutions": [i.display_name for i in model.last_known_institutions if i.display_name],
            "updated_date": model.updated_date,
            "created_date": model.created_date,
        }
    source = model.primary_location.source if model.primary_location else None
    return {
        "work_id": model.id,
        "doi": model.doi,
        "title": model.title if model.title is not None else model.display_name,
        "publication_year": model.publication_year,
        "publication_date": model.publication_date,
        "type": model.type,
        "cited_by_count": model.cited_by_count,
        "source_id": source.id if source else None,
        "source_display_name": source.display_name if source else None,
        "abstract": abstract_from_inverted_index(model.abstract_inverted_index),
        "is_retracted": model.is_retracted,
        "primary_topic_id": model.primary_topic.id if model.primary_topic else None,
        "authorships": [
            {
                "author_id": a.author.id,
                "display_name": a.author.display_name or a.raw_author_name,
                "orcid": a.author.orcid,
                "author_position": a.author_position,
                "position_index": i,
                "is_corresponding": a.is_corresponding,
                "institution_ids": [inst.id for inst in a.institutions if inst.id],
            }
            for i, a in enumerate(model.authorships)
        ],
        "topics": [
            {
                "topic_id": t.id,
                "display_name": t.display_name,
                "score": t.score,
                "subfield": t.subfield.display_name if t.subfield else None,
                "field": t.field.display_name if t.field else None,
                "domain": t.domain.display_name if t.domain else None,
            }
            for t in model.topics
        ],
        "updated_date": model.updated_date,
        "created_date": model.created_date,
    }


def _data_verdict(model: type[BaseModel], value: object) -> tuple[str, str]:
    try:
        return "ok", repr(data_validator(model)(value))
    except ValidationError:
        return "rejected", ""


def _model_verdict(model: type[BaseModel], value: object) -> tuple[str, str]:
    try:
        return "ok", repr(model.model_validate(value).model_dump())
    except ValidationError:
        return "rejected", ""


def _corpus(model: type[BaseModel]) -> list[bytes]:
    lines = WORK_LINES if model is Work else AUTHOR_LINES
    lines = [*lines, json.dumps(RICH_WORK if model is Work else AUTHOR)]
    if model is Work:
        lines += [f'{{"id": "W1", "{name}": {value}}}' for name in SCALAR_FIELDS for value in SCALAR_VALUES]
        lines += [f'{{"id": {value}}}' for value in SCALAR_VALUES]
        lines += [f'{{"id": "W1", "primary_location": {value}}}' for value in SCALAR_VALUES]
        lines += [f'{{"id": "W1", "authorships": [{value}]}}' for value in SCALAR_VALUES]
        lines += [f'{{"id": "W1", "authorships": [{{"author": {value}}}]}}' for value in SCALAR_VALUES]
        lines += [f'{{"id": "W1", "topics": [{{"id": "T1", "field": {value}}}]}}' for value in SCALAR_VALUES]
        lines += [f'{{"id": "W1", "abstract_inverted_index": {value}}}' for value in SCALAR_VALUES]
        lines += ['{"id": "W1", "abstract_inverted_index": {"a": [0], "a": [1], "b": [2]}}']
    else:
        lines += [f'{{"id": "A1", "summary_stats": {value}}}' for value in SCALAR_VALUES]
        lines += [f'{{"id": "A1", "last_known_institutions": [{value}]}}' for value in SCALAR_VALUES]
    return [line.encode() if isinstance(line, str) else line for line in lines]


@pytest.mark.parametrize("model", [Work, Author])
def test_the_projection_validated_as_data_gets_the_models_verdict_and_dump(model):
    """On every projected line of the corpus (and on the raw JSON-decoded lines, which hold what
    the projection drops): the typed-dict schema accepts exactly what the model accepts, and gives
    exactly ``model_dump()``."""
    decode = msgspec.json.Decoder(projection(model)).decode
    values = []
    for line in _corpus(model):
        for decoder in (decode, json.loads):
            try:
                values.append(decoder(line))
            except (ValueError, msgspec.DecodeError, msgspec.ValidationError, RecursionError):
                pass
    results = [(value, _data_verdict(model, value), _model_verdict(model, value)) for value in values]
    assert [(repr(v)[:120], d, m) for v, d, m in results if d != m] == []
    assert {m[0] for _, _, m in results} == {"ok", "rejected"}
    assert sum(m[0] == "ok" for _, _, m in results) > 20


def test_the_fields_the_decoder_checks_get_the_models_verdict_and_dump():
    """With the abstract decoded as ``dict[str, list[int]]`` and taken as it is by the data
    validator: on every line the typed decoder accepts, the model's verdict and dump."""
    checked = decoder_checked(Work)
    assert set(checked) == {"abstract_inverted_index"} and decoder_checked(Author) == {}
    members = {**projection(Work).__annotations__, **checked}
    decode = msgspec.json.Decoder(TypedDict("Typed", members, total=False)).decode
    validate = data_validator(Work, frozenset(checked))
    lines = _corpus(Work) + [f'{{"id": "W1", "abstract_inverted_index": {v}}}'.encode() for v in ABSTRACTS]
    values = []
    for line in lines:
        try:
            values.append(decode(line))
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeDecodeError):
            pass

    def verdict(value):
        try:
            return "ok", repr(validate(value))
        except ValidationError:
            return "rejected", ""

    results = [(value, verdict(value), _model_verdict(Work, value)) for value in values]
    assert [(repr(v)[:120], d, m) for v, d, m in results if d != m] == []
    assert sum(m[0] == "ok" for _, _, m in results) > 20
    assert any(v.get("abstract_inverted_index") for v, d, _ in results if d[0] == "ok")


@pytest.mark.parametrize("model", [Work, Author])
def test_row_from_data_is_the_attribute_to_row_it_replaced(model, recorded):
    lines = _corpus(model)
    name = "openalex_work_W2741809807.json" if model is Work else "openalex_author_A5023888391.json"
    lines.append(json.dumps(json.loads((recorded / name).read_text())).encode())
    checked = 0
    for line in lines:
        try:
            record = model.model_validate_json(line)
        except ValidationError:
            continue
        assert repr(record.to_row()) == repr(_attribute_row(record)), line[:120]
        checked += 1
    assert checked > 10


def test_the_data_validator_is_used_for_the_openalex_models_and_refuses_what_it_cannot_be_sure_of():
    assert data_validator(Work) is not None and data_validator(Author) is not None

    class After(BaseModel):
        inner: Work | None = None

        @field_validator("inner", mode="after")
        @classmethod
        def _sees_the_model(cls, value):
            return value

    class Computed(BaseModel):
        a: int = 0

        @model_validator(mode="after")
        def _check(self):
            return self

    class Either(BaseModel):
        value: Work | Author | None = None

    assert data_validator(After) is None and data_validator(Computed) is None and data_validator(Either) is None
    # no row_from_data: the fast path validates the projection as the model and calls to_row()
    assert fast_row(PlatformEvent) is not None


# -- the nesting guard ------------------------------------------------------------------------------


def _depth(value: object) -> int:
    """Levels of nesting of a JSON value (a scalar is 0, ``[]`` is 1), by walking the decoded value."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def _random_value(rng, depth: int, target: int) -> object:
    """A random JSON value nesting ``target`` levels (strings full of brackets, quotes, escapes)."""
    text = "".join(rng.choice('ab"\\[]{}\u00e9 ') for _ in range(rng.randint(0, 6)))
    if depth >= target:
        return rng.choice([text, 1, None, 2.5, True])
    siblings = [_random_value(rng, target, target) for _ in range(rng.randint(0, 3))]  # shallow siblings
    inner = _random_value(rng, depth + 1, target)
    if rng.random() < 0.5:
        return [*siblings, inner] if rng.random() < 0.5 else [inner, *siblings]
    return {"k" + text: inner, **{f"s{i}": s for i, s in enumerate(siblings)}}


def test_the_nesting_guard_sends_every_line_deep_enough_for_pydantic_to_refuse_to_the_plain_path():
    """Sound on every valid line (at MAX_DEPTH levels or more it says deep, whatever the strings
    hold), and never in the way of an ordinary record (a third of MAX_DEPTH: not deep)."""
    import random

    from pipeline.landing.fastpath import _deep, _openings, _openings_counted

    rng = random.Random(7)
    values = [_random_value(rng, 0, rng.choice([1, 5, 30, 59, 120, 179, 180, 181, 200, 260])) for _ in range(400)]
    # brackets inside strings that would cancel the real ones, were the strings not dropped
    values += [json.loads("[" * n + '"]"' + ', "["]' * n) for n in (10, 179, 180, 300)]
    values += [json.loads('["]",' * n + "1" + "]" * n) for n in (179, 180, 300)]
    values += [{"id": "W1", "s": "[" * 500, "t": "{" * 500 + "}" * 10}, {"a": ['\\"[' * 300]}]
    values += [RICH_WORK, AUTHOR]
    lines = [(json.dumps(v, ensure_ascii=ascii).encode(), _depth(v)) for v in values for ascii in (True, False)]
    lines += [(json.dumps(v, separators=(",", ":")).encode(), _depth(v)) for v in values]
    unsound = [(line[:80], depth) for line, depth in lines if depth >= MAX_DEPTH and not _deep(line)]
    in_the_way = [(line[:80], depth) for line, depth in lines if depth < MAX_DEPTH // 3 and _deep(line)]
    assert unsound == [] and in_the_way == []
    assert sum(depth >= MAX_DEPTH for _, depth in lines) > 50 and sum(depth < 60 for _, depth in lines) > 50
    # many openings (more than MAX_DEPTH, most of them inside strings) and still not deep
    assert not _deep(json.dumps({"id": "W1", "s": "[" * 500, "list": [[1]] * 300}).encode())
    # the openings counted with numpy are those counted without it
    every_byte = bytes(range(256)) * 3
    samples = [line for line, _ in lines] + [every_byte, b"", b"[" * 1000 + b"{" * 7]
    assert [_openings(s) for s in samples] == [_openings_counted(s) for s in samples]
    assert _openings(every_byte) == 6 and _openings(b"[{]}[ {") == 4
