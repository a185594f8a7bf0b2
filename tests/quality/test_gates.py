"""The warehouse gate: GX suites generated from the contracts; a failure keeps
the previously published warehouse, outputs and history exactly as they were."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date

import pytest
from data_paths import history_dir, publish_dir, warehouse_path

import pipeline.warehouse.models as warehouse_models
from pipeline.errors import QualityGateError
from pipeline.quality.gate import check_tables
from pipeline.run import build, collect_inputs, land_sources


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def built(settings):
    land_sources(collect_inputs(["sample"]), settings)
    build(settings, as_of=date(2026, 1, 1))
    return settings


def test_every_contract_becomes_a_passing_suite(built):
    quality = json.loads((built.data_dir / "reports" / "quality-warehouse-latest.json").read_text())
    contracts = [m for m in warehouse_models.models() if m.layer == "marts"]
    assert quality["success"] is True and len(quality["suites"]) == len(contracts) >= 10
    results = check_tables(warehouse_path(built))
    assert sorted(r.name for r in results) == sorted(m.name for m in contracts)
    assert all(r.success for r in results), [r.failures for r in results if not r.success]


def test_failed_gate_keeps_the_previous_warehouse(built, monkeypatch):
    before = _digest(warehouse_path(built))
    published = {p.name: _digest(p) for p in publish_dir(built).glob("*.parquet")}
    original = warehouse_models.load_contract

    def stricter(path):
        contract = original(path)
        if path.parent.name == "marts" and path.stem == "works":
            return dataclasses.replace(contract, ranges={"cited_by_count": {"min": 0, "max": 3}})
        return contract

    monkeypatch.setattr(warehouse_models, "load_contract", stricter)
    with pytest.raises(QualityGateError, match="works: expect_column_values_to_be_between"):
        build(built, as_of=date(2026, 1, 2))

    assert _digest(warehouse_path(built)) == before
    assert {p.name: _digest(p) for p in publish_dir(built).glob("*.parquet")} == published
    assert not (history_dir(built) / "trust_snapshots" / "as_of=2026-01-02").exists()
    assert not list(built.data_dir.glob(".warehouse.duckdb.building-*"))

    quality = json.loads((built.data_dir / "reports" / "quality-warehouse-latest.json").read_text())
    assert quality["success"] is False
    failed = [suite for suite in quality["suites"] if not suite["success"]]
    assert [suite["name"] for suite in failed] == ["works"]
    assert "max_value=3" in failed[0]["failures"][0]

    # Data Docs show the run, and their index links to the failing suite's page
    index = (built.data_dir / "quality" / "docs" / "index.html").read_text()
    assert quality["data_docs"] == str(built.data_dir / "quality" / "docs" / "index.html")
    pages = sorted((built.data_dir / "quality" / "docs" / "validations" / "warehouse" / "works").rglob("*.html"))
    assert pages and any(str(p.relative_to(built.data_dir / "quality" / "docs")) in index for p in pages)
    assert "expect_column_values_to_be_between" in pages[-1].read_text() or "cited_by_count" in pages[-1].read_text()

    # the failed run is in the quality history that the next build publishes
    from pipeline.run import build as rebuild

    monkeypatch.undo()
    rebuild(built, as_of=date(2026, 1, 3))
    import duckdb

    con = duckdb.connect(str(warehouse_path(built)), read_only=True)
    runs = con.execute(
        "select gate, bool_and(suite_success) from quality_runs where suite = 'works' group by run_id, gate"
    ).fetchall()
    con.close()
    assert ("warehouse", False) in runs and ("warehouse", True) in runs


def test_orphan_relations_fail_the_gate(built):
    import duckdb

    con = duckdb.connect(str(warehouse_path(built)))
    con.execute("insert into authorships (work_id, author_id, position_index, listed_count) values ('W1', 'A1', 0, 1)")
    con.close()
    failed = {r.name: r.failures for r in check_tables(warehouse_path(built)) if not r.success}
    assert list(failed) == ["authorships"]
    assert any(
        f.startswith("expect_column_values_to_be_in_set(column='work_id__exists_in_works'")
        for f in failed["authorships"]
    )
    assert any(
        f.startswith("expect_column_values_to_be_in_set(column='author_id__exists_in_profiles'")
        for f in failed["authorships"]
    )


def test_large_tables_are_streamed_through_gx_in_chunks(built):
    import duckdb

    small_chunks = check_tables(warehouse_path(built), chunk_rows=7)
    assert all(r.success for r in small_chunks), [r.failures for r in small_chunks if not r.success]

    con = duckdb.connect(str(warehouse_path(built)))
    con.execute("insert into works select * from works limit 1")  # a duplicate key
    con.execute("update profiles set trust_score = 101 where author_id = (select max(author_id) from profiles)")
    con.close()
    failed = {r.name: r.failures for r in check_tables(warehouse_path(built), chunk_rows=7) if not r.success}
    assert set(failed) == {"works", "profiles"}
    assert any("values of (work_id) are not unique in works" in f for f in failed["works"])
    assert any("expect_column_values_to_be_between" in f and "trust_score" in f for f in failed["profiles"])


def test_landing_suite_catches_rows_that_break_the_lake_contract(settings, tmp_path):
    """A bug in a to_row() must not reach the lake: the landing suites re-check the rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from pipeline.landing.land import FileReport
    from pipeline.quality.gate import landing_gate
    from pipeline.schemas.lake import WorkRow
    from pipeline.schemas.types import arrow_schema

    row = {name: None for name in WorkRow.model_fields}
    row.update(work_id="https://openalex.org/W1", cited_by_count=0, authorships=[], topics=[],
               record_source="s", source_file="f", line_number=1)  # fmt: skip
    staged = tmp_path / "staged.parquet"
    pq.write_table(pa.Table.from_pylist([row], schema=arrow_schema(WorkRow)), staged)
    report = FileReport("openalex-snapshot", "works", "f", records=1, valid=1, staged_path=str(staged))

    with pytest.raises(QualityGateError, match=r"expect_column_values_to_match_regex\(column='work_id'"):
        landing_gate(settings)([report])


def test_publish_switches_whole_exports_and_keeps_two(built):
    link = publish_dir(built)
    assert link.is_symlink()
    first = link.resolve()
    for day in (2, 3):
        build(built, as_of=date(2026, 1, day))
    exports = sorted(p.name for p in (built.data_dir / ".publish").iterdir())
    assert len(exports) == 2 and link.resolve().name == exports[-1] and first.name not in exports
    assert sorted(p.name for p in link.iterdir()) == sorted(
        [
            f"{t}.parquet"
            for t in (
                "authorships",
                "collaborator_edges",
                "profiles",
                "quality_runs",
                "quarantine",
                "topic_counts",
                "trust_snapshots",
                "work_sources",
                "works",
            )
        ]
        + ["profiles"]  # the profile documents, publish/profiles/<author_id>.json, switch with the tables
    )


def test_a_bad_row_from_an_incremental_change_blocks_the_publish(built, monkeypatch, tmp_path):
    """After an incremental build the gate checks the spliced rows (its results say so), and a bad
    row among them keeps the previous warehouse and outputs exactly as they were."""
    import duckdb
    from snapshot_builder import work, write_snapshot

    from pipeline.warehouse.incremental import CHANGED_KEYS

    con = duckdb.connect(str(warehouse_path(built)), read_only=True)
    top, total = con.execute("select max(cited_by_count), count(*) from works").fetchone()
    con.close()
    # a contract every published work meets; the new work does not
    original = warehouse_models.load_contract

    def stricter(path):
        contract = original(path)
        if path.parent.name == "marts" and path.stem == "works":
            return dataclasses.replace(contract, ranges={"cited_by_count": {"min": 0, "max": top}})
        return contract

    monkeypatch.setattr(warehouse_models, "load_contract", stricter)
    assert all(r.success for r in check_tables(warehouse_path(built)))
    before = _digest(warehouse_path(built))
    published = {p.name: _digest(p) for p in publish_dir(built).glob("*.parquet")}

    root = write_snapshot(tmp_path / "snap", works={"2025-07-07": [work("W990001", ["A990001"], cited=top + 1)]})
    land_sources(collect_inputs([f"openalex-snapshot:{root}"]), built)
    with pytest.raises(QualityGateError, match="works: expect_column_values_to_be_between"):
        build(built, as_of=date(2026, 1, 1))

    assert _digest(warehouse_path(built)) == before
    assert {p.name: _digest(p) for p in publish_dir(built).glob("*.parquet")} == published
    assert not list(built.data_dir.glob(".warehouse.duckdb.building-*"))
    quality = json.loads((built.data_dir / "reports" / "quality-warehouse-latest.json").read_text())
    suites = {suite["name"]: suite for suite in quality["suites"]}
    assert [name for name, suite in suites.items() if not suite["success"]] == ["works"]
    works = suites["works"]
    assert works["scope"] == "changed rows"  # the build was incremental, and its gate checked what it spliced in
    assert 1 <= works["expectations"][0]["element_count"] < total
    assert suites["quarantine"]["scope"] == "table"  # no key column: checked whole
    # `pipeline quality` (check_tables on the published warehouse) checks every row
    assert {r.scope for r in check_tables(warehouse_path(built))} == {"table"}
    assert set(CHANGED_KEYS) == {"work_id", "author_id"}
