"""Landing: valid rows to Parquet, the rest to quarantine, nothing lost, atomic."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from data_paths import lake_dir, quarantine_dir
from snapshot_builder import work, write_snapshot

from pipeline.errors import QualityGateError
from pipeline.landing.land import land
from pipeline.quality.gate import landing_gate
from pipeline.sources.openalex.snapshot import OpenAlexSnapshot

DAY = date(2026, 1, 2)

BAD_LINES = [
    "{not json",
    json.dumps({"title": "no id at all"}),
    json.dumps({"id": "https://openalex.org/W5", "cited_by_count": "lots"}),
    "",
]


def _snapshot(tmp_path, extra: list[str] = BAD_LINES):
    records = [work("W1", ["A1", "A2"]), *extra, work("W2", ["A2"])]
    return write_snapshot(tmp_path / "snap", works={"2024-01-01": records})


def test_valid_rows_land_and_bad_lines_are_quarantined_with_location(tmp_path, settings):
    root = _snapshot(tmp_path)
    report = land(OpenAlexSnapshot(root).files(), settings, ingest_date=DAY)

    (file,) = report.files
    assert (file.records, file.valid, file.quarantined) == (6, 2, 4)
    assert file.valid + file.quarantined == file.records
    assert file.records_path.rpartition("/")[0].endswith(
        "lake/source=openalex-snapshot/entity=works/ingest_date=2026-01-02"
    )
    landed = pq.read_table(file.records_path)
    assert landed.column("work_id").to_pylist() == ["W1", "W2"]
    part = (root / "data/works/updated_date=2024-01-01/part_000.gz").resolve().as_posix()
    assert landed.column("source_file").to_pylist() == [part, part]  # the file an operator can open
    assert landed.column("line_number").to_pylist() == [1, 6]

    rejected = pq.read_table(file.quarantine_path).to_pylist()
    assert [(r["source_file"], r["line_number"]) for r in rejected] == [(part, n) for n in (2, 3, 4, 5)]
    assert rejected[0]["raw"] == "{not json" and rejected[0]["error"].startswith("invalid JSON")
    assert rejected[1]["error"] == "id: Field required"
    assert rejected[2]["error"].startswith("cited_by_count: Input should be a valid integer")
    assert rejected[3]["error"] == "empty line"
    assert {r["source"] for r in rejected} == {"openalex-snapshot"} and {r["entity"] for r in rejected} == {"works"}


def test_relanding_the_same_input_is_a_no_op(tmp_path, settings):
    root = _snapshot(tmp_path)
    first = land(OpenAlexSnapshot(root).files(), settings, ingest_date=DAY)
    before = sorted(p.relative_to(settings.data_dir) for p in settings.data_dir.rglob("*.parquet"))
    second = land(OpenAlexSnapshot(root).files(), settings, ingest_date=date(2026, 1, 3))
    after = sorted(p.relative_to(settings.data_dir) for p in settings.data_dir.rglob("*.parquet"))

    assert second.files[0].skipped and second.files[0].records_path == first.files[0].records_path
    assert before == after


def test_a_failing_gate_adds_nothing_to_the_lake_but_keeps_the_rejects(tmp_path, settings):
    root = _snapshot(tmp_path)

    def refuse(_files):
        raise QualityGateError("no")

    with pytest.raises(QualityGateError):
        land(OpenAlexSnapshot(root).files(), settings, ingest_date=DAY, gate=refuse)
    assert not any(p.is_file() for p in lake_dir(settings).rglob("*"))
    kept = [pq.read_table(p).num_rows for p in quarantine_dir(settings).rglob("*.parquet")]
    assert kept == [len(BAD_LINES)]
    assert not list(settings.data_dir.rglob(".*.tmp-*"))

    # once the gate passes, the same input lands in full and its rejects are not doubled
    report = land(OpenAlexSnapshot(root).files(), settings, ingest_date=date(2026, 1, 3))
    assert (report.files[0].valid, report.files[0].quarantined) == (2, 4)
    assert [pq.read_table(p).num_rows for p in quarantine_dir(settings).rglob("*.parquet")] == [len(BAD_LINES)]


def test_quarantine_ratio_over_the_limit_fails_the_landing_gate(tmp_path, settings):
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"]), "x", "y", "z"]})
    strict = settings.model_copy(update={"max_quarantine_ratio": 0.5})
    with pytest.raises(QualityGateError, match="3 of 4 records quarantined.*rejected records are kept in"):
        land(OpenAlexSnapshot(root).files(), strict, ingest_date=DAY, gate=landing_gate(strict))
    assert not any(p.is_file() for p in lake_dir(strict).rglob("*"))
    assert [pq.read_table(p).num_rows for p in quarantine_dir(strict).rglob("*.parquet")] == [3]
    quality = json.loads((strict.data_dir / "reports" / "quality-landing-latest.json").read_text())
    assert quality["success"] is False
    part = (root / "data/works/updated_date=2024-01-01/part_000.gz").resolve().as_posix()
    assert [s["name"] for s in quality["suites"] if not s["success"]] == [f"works: {part} (quarantine ratio)"]


def test_landing_gate_passes_clean_batches(tmp_path, settings):
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"]), work("W2", ["A1"])]})
    report = land(OpenAlexSnapshot(root).files(), settings, ingest_date=DAY, gate=landing_gate(settings))
    assert Path(report.files[0].records_path).exists()


def test_records_are_streamed_in_row_groups(tmp_path, settings):
    records = [work(f"W{i}", ["A1"]) for i in range(1, 26)]
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": records})
    small = settings.model_copy(update={"batch_rows": 10})
    report = land(OpenAlexSnapshot(root).files(), small, ingest_date=DAY)
    metadata = pq.ParquetFile(report.files[0].records_path).metadata
    assert metadata.num_rows == 25
    assert metadata.num_row_groups == 3  # 10 + 10 + 5: never the whole file in memory


def _lake_rows(settings):
    import pyarrow.dataset as ds

    table = ds.dataset(lake_dir(settings), format="parquet", partitioning="hive").to_table()
    rows = table.select(["work_id", "source_file", "line_number"]).to_pylist()
    return sorted(rows, key=lambda r: (r["source_file"], r["line_number"]))


def test_parallel_landing_gives_the_same_lake_as_sequential(tmp_path, settings):
    partitions = {f"2024-01-0{d}": [work(f"W{d}{i}", ["A1"]) for i in range(30)] + ["bad"] for d in range(1, 5)}
    root = write_snapshot(tmp_path / "snap", works=partitions)
    sequential = settings.model_copy(update={"workers": 1, "data_dir": tmp_path / "seq"})
    parallel = settings.model_copy(update={"workers": 2, "parallel_min_bytes": 0, "data_dir": tmp_path / "par"})
    progress: list[int] = []

    one = land(OpenAlexSnapshot(root).files(), sequential, ingest_date=DAY)
    two = land(OpenAlexSnapshot(root).files(), parallel, ingest_date=DAY, on_records=progress.append)

    assert [(f.source_file, f.valid, f.quarantined) for f in one.files] == [
        (f.source_file, f.valid, f.quarantined) for f in two.files
    ]
    assert _lake_rows(sequential) == _lake_rows(parallel)
    assert sum(progress) == two.total("records") == 124


def test_a_corrupt_file_stops_the_batch_and_publishes_nothing(tmp_path, settings):
    from pipeline.errors import SnapshotError

    partitions = {"2024-01-01": [work("W1", ["A1"])], "2024-01-02": [work("W2", ["A1"])]}
    root = write_snapshot(tmp_path / "snap", works=partitions)
    corrupt = root / "data/works/updated_date=2024-01-02/part_000.gz"
    corrupt.write_bytes(corrupt.read_bytes()[:20])  # truncated download
    for workers in (1, 2):
        config = settings.model_copy(update={"workers": workers, "parallel_min_bytes": 0})
        with pytest.raises(SnapshotError, match="updated_date=2024-01-02/part_000.gz: cannot read past record 0"):
            land(OpenAlexSnapshot(root).files(), config, ingest_date=DAY)
        assert not any(p.is_file() for p in config.data_dir.rglob("*")), workers


@pytest.mark.parametrize("next_day", [DAY, date(2026, 1, 5)], ids=["same-day", "later-day"])
def test_a_corrected_file_replaces_its_earlier_landing(tmp_path, settings, next_day):
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"]), "{broken"]})
    first = land(OpenAlexSnapshot(root).files(), settings, ingest_date=DAY)
    assert (first.files[0].valid, first.files[0].quarantined) == (1, 1)

    # the operator fixes the bad line and runs again
    write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"]), work("W2", ["A1"])]})
    second = land(OpenAlexSnapshot(root).files(), settings, ingest_date=next_day)

    assert not second.files[0].skipped and (second.files[0].valid, second.files[0].quarantined) == (2, 0)
    assert sorted(r["work_id"] for r in _lake_rows(settings)) == ["W1", "W2"]  # no stale copy of W1
    assert not any(p.is_file() for p in quarantine_dir(settings).rglob("*.parquet"))
    third = land(OpenAlexSnapshot(root).files(), settings, ingest_date=date(2026, 2, 1))
    assert third.files[0].skipped and third.files[0].records_path == second.files[0].records_path


def _gzip_bytes(lines: list[str]) -> bytes:
    import gzip

    return gzip.compress("".join(line + "\n" for line in lines).encode(), compresslevel=1)


def test_a_damaged_deflate_stream_stops_the_batch_with_the_file_name(tmp_path, settings):
    """Not a truncated file but bytes flipped inside the compressed data: ISA-L's own error."""
    from pipeline.errors import SnapshotError

    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"])]})
    damaged = root / "data/works/updated_date=2024-01-01/part_000.gz"
    data = _gzip_bytes([json.dumps(work(f"W{i}", ["A1"])) for i in range(2_000)])
    damaged.write_bytes(data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:])
    with pytest.raises(SnapshotError, match="updated_date=2024-01-01/part_000.gz: cannot read past record"):
        land(OpenAlexSnapshot(root).files(), settings, ingest_date=DAY)
    assert not any(p.is_file() for p in settings.data_dir.rglob("*"))


def test_a_multi_member_gzip_part_is_read_whole(tmp_path, settings):
    """Concatenated gzip members (as some writers append) are one file of records, as with gzip."""
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"])]})
    part = root / "data/works/updated_date=2024-01-01/part_000.gz"
    first, second = [json.dumps(work("W1", ["A1"]))], [json.dumps(work("W2", ["A2"])), "{broken"]
    part.write_bytes(_gzip_bytes(first) + _gzip_bytes(second))
    (file,) = land(OpenAlexSnapshot(root).files(), settings, ingest_date=DAY).files
    assert (file.records, file.valid, file.quarantined) == (3, 2, 1)
    assert [(r["work_id"], r["line_number"]) for r in _lake_rows(settings)] == [("W1", 1), ("W2", 2)]


@pytest.mark.parametrize("enabled", [True, False], ids=["gc-on", "gc-off"])
def test_staging_collects_once_per_batch_and_gives_the_collector_back(tmp_path, settings, monkeypatch, enabled):
    """Automatic collection is off while a file is staged (the loop collects per batch itself), and
    the caller's setting comes back afterwards, also when the batch fails."""
    import gc

    from pipeline.errors import SnapshotError

    records = [work(f"W{i}", ["A1"]) for i in range(1, 26)] + ["{bad"] * 25
    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": records})
    small = settings.model_copy(update={"batch_rows": 10})
    collected: list[tuple[int, bool]] = []
    real_collect = gc.collect
    monkeypatch.setattr(gc, "collect", lambda generation=2: collected.append((generation, gc.isenabled())) or 0)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        (file,) = land(OpenAlexSnapshot(root).files(), small, ingest_date=DAY).files
        assert gc.isenabled() is enabled
        corrupt = tmp_path / "corrupt"
        bad_root = write_snapshot(corrupt, works={"2024-01-01": [work("W1", ["A1"])] * 3})
        part = bad_root / "data/works/updated_date=2024-01-01/part_000.gz"
        part.write_bytes(part.read_bytes()[:30])
        with pytest.raises(SnapshotError):
            land(
                OpenAlexSnapshot(bad_root).files(),
                small.model_copy(update={"data_dir": corrupt / "d"}),
                ingest_date=DAY,
            )
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
        monkeypatch.setattr(gc, "collect", real_collect)
    assert (file.valid, file.quarantined) == (25, 25)
    # after rows 10 and 20 (each batch written), then once in the 20 rejects that follow
    assert collected == [(1, False), (1, False), (1, False)]
