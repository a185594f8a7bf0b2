"""The Parquet variant of a 2026 snapshot (``data/parquet/``): detected and said, read as typed rows
(never through JSON text), checked by the same pydantic models, and landed exactly as the same
records in JSON Lines."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from cli_helpers import run_cli
from parquet_snapshot import REPO, TOOL, convert, records_table, write_parquet_snapshot
from snapshot_builder import author, work, write_snapshot

from pipeline.errors import SnapshotError
from pipeline.landing.land import land
from pipeline.sources.openalex.parquet_parts import ParquetPart
from pipeline.sources.openalex.snapshot import LAYOUT_2026_PARQUET, LAYOUT_LEGACY, OpenAlexSnapshot

DAY = date(2026, 1, 2)
SAMPLE = REPO / "pipeline" / "sample_data" / "openalex"


def _land(root: Path, settings, name: str):
    """Land the snapshot at ``root`` into a data dir of its own (beside the test's, never beside the snapshot)."""
    data_dir = settings.data_dir.parent / f"{name}-data"
    return land(OpenAlexSnapshot(root).files(), settings.model_copy(update={"data_dir": data_dir}), ingest_date=DAY)


def _tables(report) -> dict[str, list[dict]]:
    """Every landed table of the run, row by row in input order (source_file names the format's file)."""
    tables: dict[str, list[dict]] = {}
    for f in report.files:
        rows = pq.read_table(f.records_path).to_pylist()
        tables.setdefault(f.entity, []).extend({k: v for k, v in r.items() if k != "source_file"} for r in rows)
    return tables


def _quarantine(report) -> list[tuple[str, int, str]]:
    out = []
    for f in report.files:
        if f.quarantine_path is not None:
            out += [
                (Path(r["source_file"]).name, r["line_number"], r["error"])
                for r in pq.read_table(f.quarantine_path).to_pylist()
            ]
    return out


def _assert_counts(report) -> None:
    for f in report.files:
        assert f.valid + f.quarantined == f.records, f
        assert not f.count_mismatch, f


@pytest.mark.parametrize("abstract", ["map", "json"])
def test_the_bundled_sample_as_parquet_lands_exactly_like_its_json_lines(tmp_path, settings, abstract, caplog):
    caplog.set_level("INFO")
    root = convert(SAMPLE, tmp_path / "parquet", abstract=abstract, row_group_rows=4)
    snapshot = OpenAlexSnapshot(root)
    files = snapshot.files()
    assert snapshot.layout == LAYOUT_2026_PARQUET and "2026 (data/parquet) snapshot layout" in caplog.text
    assert [(f.entity, type(f).__name__, f.path.relative_to(root).as_posix(), f.expected_records) for f in files] == [
        ("authors", "ParquetPart", "data/parquet/authors/updated_date=2024-06-01/part_0000.parquet", 9),
        ("works", "ParquetPart", "data/parquet/works/updated_date=2024-01-15/part_0000.parquet", 15),
        ("works", "ParquetPart", "data/parquet/works/updated_date=2024-06-01/part_0000.parquet", 5),
        ("merged_authors", "InputFile", "legacy-data/merged_ids/authors/2024-03-01.csv.gz", None),
    ]
    from_parquet = land(files, settings, ingest_date=DAY)
    from_json = _land(SAMPLE, settings, "json")
    assert OpenAlexSnapshot(SAMPLE).layout == LAYOUT_LEGACY
    parquet_tables, json_tables = _tables(from_parquet), _tables(from_json)
    assert set(parquet_tables) == {"works", "authors", "merged_authors"}
    assert parquet_tables == json_tables
    assert all(parquet_tables.values()) and any(r["abstract"] for r in parquet_tables["works"])
    assert _quarantine(from_parquet) == _quarantine(from_json) == []
    _assert_counts(from_parquet)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """bench/generate_snapshot.py --works 2000 (real-sized records), and its Parquet variant written by
    the converter's command line (row groups of 300 rows, so row numbers cross row groups)."""
    base = tmp_path_factory.mktemp("generated")
    json_root, parquet_root = base / "json", base / "parquet"
    for command in (
        [REPO / "bench" / "generate_snapshot.py", "--works", "2000", "--out", json_root, "--jobs", "1"],
        [TOOL, json_root, parquet_root, "--row-group-rows", "300"],
    ):
        result = subprocess.run([sys.executable, *map(str, command)], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
    return json_root, parquet_root


def test_a_generated_snapshot_as_parquet_lands_exactly_like_its_json_lines(generated, settings):
    json_root, parquet_root = generated
    from_json = _land(json_root, settings, "json")
    # in worker processes (each part pickled to a spawned worker), as a big snapshot is landed
    from_parquet = _land(parquet_root, settings.model_copy(update={"workers": 2, "parallel_min_bytes": 0}), "parquet")
    parquet_tables = _tables(from_parquet)
    assert {k: len(v) for k, v in parquet_tables.items()} == {"works": 2000, "authors": 1200, "merged_authors": 1}
    assert parquet_tables == _tables(from_json)
    assert max(r["line_number"] for r in parquet_tables["works"]) > 300  # past the first row group
    _assert_counts(from_parquet)
    assert from_parquet.total("records") == from_json.total("records")


BAD_WORKS = [
    work("W1", ["A1"]),
    {**work("W2", ["A1"]), "id": "https://openalex.org/X2"},  # a bad id
    {k: v for k, v in work("W3", ["A1"]).items() if k != "id"},  # the required id is missing
    {**work("W4", ["A1"]), "publication_year": "soon"},  # the wrong type
    {**work("W5", ["A1"]), "authorships": [{"author_position": "first"}]},  # a nested required field missing
    work("W6", ["A2"]),
]


def _as_strings(records: list[dict]) -> list[dict]:
    """publication_year as text in every record, so one column can hold the bad value."""
    return [{**r, "publication_year": str(r["publication_year"])} for r in records]


def test_bad_rows_are_quarantined_with_pydantic_s_reason_and_their_row_number(tmp_path, settings):
    records = _as_strings(BAD_WORKS)
    parquet = write_parquet_snapshot(tmp_path / "parquet", works={"2026-06-24": records}, row_group_rows=2)
    as_json = write_snapshot(tmp_path / "json", works={"2026-06-24": records})
    from_parquet, from_json = _land(parquet, settings, "parquet"), _land(as_json, settings, "json")
    rejects = _quarantine(from_parquet)
    assert [(name, line) for name, line, _ in rejects] == [("part_0000.parquet", n) for n in (2, 3, 4, 5)]
    reasons = [error for _, _, error in rejects]
    assert "not an OpenAlex W-id: 'https://openalex.org/X2'" in reasons[0]
    assert reasons[1] == "id: Field required"
    assert reasons[2].startswith("publication_year: Input should be a valid integer")
    assert reasons[3] == "authorships.0.author: Field required"
    assert reasons == [error for _, _, error in _quarantine(from_json)]  # the same verdicts as the JSON path
    assert [r["work_id"] for r in _tables(from_parquet)["works"]] == ["W1", "W6"]
    assert _tables(from_parquet) == _tables(from_json)
    (report,) = from_parquet.files
    assert (report.records, report.valid, report.quarantined) == (6, 2, 4)
    raw = pq.read_table(report.quarantine_path).column("raw").to_pylist()
    assert json.loads(raw[0])["id"] == "https://openalex.org/X2"  # the row as read, for the operator


def test_a_json_text_column_that_is_not_json_is_a_reject(tmp_path, settings):
    records = [work("W1", ["A1"]), work("W2", ["A1"])]
    for record in records:
        record["abstract_inverted_index"] = {"hello": [0], "world": [1]}
    root = write_parquet_snapshot(tmp_path / "parquet", works={"2026-06-24": records}, abstract="json")
    path = root / "data/parquet/works/updated_date=2026-06-24/part_0000.parquet"
    table = pq.read_table(path)
    broken = pa.array(['{"hello": [0], "world": [1]}', "{not json"], type=pa.string())
    pq.write_table(
        table.set_column(table.schema.get_field_index("abstract_inverted_index"), "abstract_inverted_index", broken),
        path,
    )
    report = _land(root, settings, "parquet")
    assert [r["abstract"] for r in _tables(report)["works"]] == ["hello world"]
    ((_, line, error),) = _quarantine(report)
    assert line == 2 and error.startswith("abstract_inverted_index: not JSON text")


def _part(root: Path, table: pa.Table, entity: str = "works") -> Path:
    path = root / "data" / "parquet" / entity / "updated_date=2026-06-24" / "part_0000.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return root


def test_a_file_without_a_required_column_has_every_row_quarantined_with_the_reason(tmp_path, settings, caplog):
    table = records_table([work("W1", ["A1"]), work("W2", ["A1"]), work("W3", ["A2"])]).drop(["id"])
    report = _land(_part(tmp_path / "snap", table), settings, "parquet")
    assert [(line, error) for _, line, error in _quarantine(report)] == [(n, "id: Field required") for n in (1, 2, 3)]
    assert (report.total("records"), report.total("valid"), report.total("quarantined")) == (3, 0, 3)
    assert "has no column ['id'] required by Work" in caplog.text


def test_a_column_of_the_wrong_type_has_every_row_quarantined_with_the_reason(tmp_path, settings):
    table = records_table([work("W1", ["A1"]), work("W2", ["A1"])])
    table = table.set_column(table.schema.get_field_index("authorships"), "authorships", pa.array([1, 2]))
    report = _land(_part(tmp_path / "snap", table), settings, "parquet")
    assert [(line, error) for _, line, error in _quarantine(report)] == [
        (1, "authorships: Input should be a valid list"),
        (2, "authorships: Input should be a valid list"),
    ]
    assert report.total("valid") + report.total("quarantined") == report.total("records") == 2


def test_typed_date_and_map_columns_land_as_their_strings_do(tmp_path, settings):
    records = [work("W1", ["A1"], updated="2026-06-24T08:30:00"), work("W2", ["A2"])]
    text = records_table(records)
    typed = text.set_column(
        text.schema.get_field_index("publication_date"),
        "publication_date",
        pa.array([date(2020, 6, 1), None], type=pa.date32()),
    )
    typed = typed.set_column(
        typed.schema.get_field_index("updated_date"),
        "updated_date",
        pa.compute.strptime(text.column("updated_date"), format="%Y-%m-%dT%H:%M:%S", unit="us"),
    )
    as_text = _land(_part(tmp_path / "text", text), settings, "text")
    as_typed = _land(_part(tmp_path / "typed", typed), settings, "typed")
    typed_rows = _tables(as_typed)["works"]
    assert typed_rows[1]["publication_date"] is None and typed_rows[0]["updated_date"].hour == 8
    text_rows = _tables(as_text)["works"]
    text_rows[1]["publication_date"] = None
    assert typed_rows == text_rows


def _write_with(writer: str, table: pa.Table, path: Path) -> None:
    if writer == "duckdb":
        con = duckdb.connect()
        con.register("part", table)
        con.execute(f"copy part to '{path.as_posix()}' (format parquet)")
        con.close()
    else:  # pyarrow, with the standard 3-level list names (list.element) or its older ones (list.item)
        pq.write_table(table, path, use_compliant_nested_type=writer == "pyarrow")


@pytest.mark.parametrize("writer", ["pyarrow", "pyarrow-list-item", "duckdb"])
def test_parts_written_by_other_writers_land_the_same_rows(tmp_path, settings, writer):
    records = [work("W1", ["A1", ("A2", "Bo")], topics=("T1", "T2")), work("W2", ["A3"], topics=("T3",))]
    records[0]["abstract_inverted_index"] = {"typed": [0], "rows": [1]}
    root = _part(tmp_path / "snap", records_table(records))
    path = root / "data/parquet/works/updated_date=2026-06-24/part_0000.parquet"
    _write_with(writer, records_table(records), path)
    from_parquet = _land(root, settings, "parquet")
    from_json = _land(write_snapshot(tmp_path / "json", works={"2026-06-24": records}), settings, "json")
    assert _tables(from_parquet) == _tables(from_json)
    assert _tables(from_parquet)["works"][0]["abstract"] == "typed rows"


def test_only_the_declared_columns_are_read(tmp_path):
    extra = {"referenced_works": ["https://openalex.org/W9"], "counts_by_year": [{"year": 2024, "cited_by_count": 1}]}
    records = [{**work("W1", ["A1"]), **extra}]
    root = write_parquet_snapshot(tmp_path / "parquet", works={"2026-06-24": records})
    (part,) = OpenAlexSnapshot(root).files()
    ((number, row),) = list(part.records())
    assert number == 1 and row["id"] == "https://openalex.org/W1"
    assert "referenced_works" not in row and "counts_by_year" not in row
    assert set(row["authorships"][0]) == {"author_position", "author", "institutions"}  # as declared, and in the file


def test_a_file_that_is_not_parquet_stops_the_batch_with_its_name(tmp_path, settings):
    root = write_parquet_snapshot(tmp_path / "parquet", works={"2026-06-24": [work("W1", ["A1"])]})
    path = root / "data/parquet/works/updated_date=2026-06-24/part_0000.parquet"
    path.write_bytes(b"PAR1 truncated download")
    with pytest.raises(SnapshotError, match=r"part_0000\.parquet: not a readable Parquet file .*re-download it"):
        _land(root, settings, "parquet")


def test_a_corrupt_row_group_stops_the_batch_with_the_file_s_name(tmp_path, settings):
    records = [work(f"W{i}", ["A1"], title=f"A title long enough to compress {i}") for i in range(1, 3001)]
    root = write_parquet_snapshot(tmp_path / "parquet", works={"2026-06-24": records}, row_group_rows=1000)
    path = root / "data/parquet/works/updated_date=2026-06-24/part_0000.parquet"
    start = pq.ParquetFile(path).metadata.row_group(2).column(0).data_page_offset
    damaged = bytearray(path.read_bytes())
    damaged[start + 30 : start + 230] = bytes(200)  # the footer is intact, a data page is not
    path.write_bytes(bytes(damaged))
    with pytest.raises(SnapshotError, match=r"part_0000\.parquet: cannot read past row \d+ \(.*\); re-download it"):
        _land(root, settings, "parquet")


def test_a_struct_column_for_the_inverted_index_lands_the_same_abstract(tmp_path, settings):
    records = [work("W1", ["A1"]), work("W2", ["A1"]), work("W3", ["A1"])]
    records[0]["abstract_inverted_index"] = {"one": [0], "abstract": [1]}
    records[1]["abstract_inverted_index"] = {"another": [0], "abstract": [1, 3], "here": [2]}
    table = records_table(records)
    index = table.schema.get_field_index("abstract_inverted_index")
    as_struct = pa.array([r.get("abstract_inverted_index") for r in records])  # one field per word, null if absent
    assert pa.types.is_struct(as_struct.type)
    report = _land(
        _part(tmp_path / "snap", table.set_column(index, "abstract_inverted_index", as_struct)), settings, "pq"
    )
    assert [r["abstract"] for r in _tables(report)["works"]] == ["one abstract", "another abstract here abstract", None]


def test_a_manifest_count_mismatch_is_reported_as_for_json_lines(tmp_path, settings, caplog):
    works = {"2026-06-24": [work("W1", ["A1"]), work("W2", ["A1"])]}
    parquet = write_parquet_snapshot(tmp_path / "parquet", works=works)
    jsonl = tmp_path / "jsonl"
    shutil.copytree(write_snapshot(tmp_path / "old", works=works) / "data", jsonl / "data" / "jsonl")
    for root, fmt, name in ((parquet, "parquet", "part_0000.parquet"), (jsonl, "jsonl", "part_000.gz")):
        entries = [
            {"url": f"s3://openalex/data/{fmt}/works/updated_date=2026-06-24/{name}", "meta": {"record_count": 3}}
        ]
        (root / "data" / fmt / "manifest.json").write_text(json.dumps({"entities": {"works": {"entries": entries}}}))
    for root, name in ((parquet, "parquet"), (jsonl, "jsonl")):
        (report,) = _land(root, settings, name).files
        assert (report.expected_records, report.records, report.count_mismatch) == (3, 2, True)
        assert f"{name}/works/updated_date=2026-06-24/" in caplog.text
    assert caplog.text.count("manifest says 3 records, read 2") == 2


def test_a_parquet_manifest_listing_a_missing_file_is_an_error(tmp_path):
    root = write_parquet_snapshot(
        tmp_path / "parquet", works={"2026-06-24": [work("W1", ["A1"])], "2026-06-25": [work("W2", ["A1"])]}
    )
    (root / "data/parquet/works/updated_date=2026-06-25/part_0000.parquet").unlink()
    with pytest.raises(SnapshotError, match=r"data/parquet/manifest.json lists 1 file\(s\) that are missing"):
        OpenAlexSnapshot(root).files()


def test_without_a_manifest_the_parquet_parts_are_listed(tmp_path):
    root = write_parquet_snapshot(
        tmp_path / "parquet",
        works={"2026-06-24": [work("W1", ["A1"])]},
        authors={"2026-06-24": [author("A1", "Ada")]},
        manifest=False,
    )
    files = OpenAlexSnapshot(root).files()
    assert [(f.entity, f.expected_records) for f in files] == [("authors", None), ("works", None)]
    assert all(isinstance(f, ParquetPart) for f in files)


def test_the_dry_run_says_which_layout_it_found(tmp_path):
    root = write_parquet_snapshot(tmp_path / "parquet", works={"2026-06-24": [work("W1", ["A1"])]})
    result = run_cli("sources", f"openalex-snapshot:{root}", "sample")
    assert "1 input file(s) (1 works); 2026 (data/parquet) snapshot layout" in result.stdout
    assert "legacy (data/<entity>) snapshot layout" in result.stdout  # the bundled sample
