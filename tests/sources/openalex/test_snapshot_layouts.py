"""The 2026 snapshot layouts: ``data/jsonl/`` with a combined ``manifest.json`` (read first),
the old layout moved under ``legacy-data/``, and ``data/parquet/`` taken as the Parquet variant when it is alone."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pyarrow.parquet as pq
import pytest
from snapshot_builder import author, work, write_part, write_snapshot

from pipeline.errors import SnapshotError
from pipeline.landing.land import land
from pipeline.sources.openalex.snapshot import (
    LAYOUT_2026,
    LAYOUT_2026_PARQUET,
    LAYOUT_LEGACY,
    LAYOUT_LEGACY_DATA,
    OpenAlexSnapshot,
)

DAY = date(2026, 1, 2)
WORKS = {"2026-06-24": [work("W1", ["A1", "A2"]), "not json"], "2026-06-25": [work("W2", ["A2"])]}
AUTHORS = {"2026-06-24": [author("A1", "Ada"), author("A2", "Bo")]}


def _snapshot_2026(root, *, manifest: bool = True, legacy: bool = True):
    """data/jsonl/<entity>/updated_date=*/part_0000.gz + data/jsonl/manifest.json; merged ids under legacy-data/."""
    entries = {}
    for entity, partitions in (("works", WORKS), ("authors", AUTHORS)):
        entries[entity] = []
        for day, records in partitions.items():
            relative = f"updated_date={day}/part_0000.gz"
            write_part(root / "data" / "jsonl" / entity / relative, records)
            entries[entity].append(
                {"url": f"s3://openalex/data/jsonl/{entity}/{relative}", "meta": {"record_count": len(records)}}
            )
    if manifest:
        document = {"entities": {e: {"entries": v} for e, v in entries.items()}, "format": "jsonl"}
        (root / "data" / "jsonl" / "manifest.json").write_text(json.dumps(document))
    (root / "data" / "parquet" / "works").mkdir(parents=True)  # the other format: data/jsonl/ is read first
    if legacy:
        old = write_snapshot(
            root / "old", works={"2020-01-01": [work("W9", ["A9"])]}, merged=[("2026-01-01", "A8", "A1")]
        )
        shutil.move(old / "data", root / "legacy-data")
        shutil.rmtree(old)
    return root


def test_the_2026_layout_is_detected_and_its_json_lines_read(tmp_path, caplog):
    caplog.set_level("INFO")
    snapshot = OpenAlexSnapshot(_snapshot_2026(tmp_path / "snap"))
    files = snapshot.files()
    assert snapshot.layout == LAYOUT_2026 and "2026 (data/jsonl) snapshot layout" in caplog.text
    assert [(f.entity, f.path.relative_to(snapshot.root).as_posix(), f.expected_records) for f in files] == [
        ("authors", "data/jsonl/authors/updated_date=2026-06-24/part_0000.gz", 2),
        ("works", "data/jsonl/works/updated_date=2026-06-24/part_0000.gz", 2),
        ("works", "data/jsonl/works/updated_date=2026-06-25/part_0000.gz", 1),
        ("merged_authors", "legacy-data/merged_ids/authors/2024-01-01.csv.gz", None),  # kept under legacy-data/
    ]


def test_a_2026_snapshot_lands_like_the_same_records_in_the_old_layout(tmp_path, settings):
    new = land(OpenAlexSnapshot(_snapshot_2026(tmp_path / "new")).files(), settings, ingest_date=DAY)
    old_root = write_snapshot(tmp_path / "old", works=WORKS, authors=AUTHORS, merged=[("2026-01-01", "A8", "A1")])
    old_settings = settings.model_copy(update={"data_dir": tmp_path / "old-data"})
    old = land(OpenAlexSnapshot(old_root).files(), old_settings, ingest_date=DAY)
    assert OpenAlexSnapshot(old_root).layout == LAYOUT_LEGACY

    def rows(report, entity):
        out = []
        for f in report.files:
            if f.entity == entity:
                out += [
                    {k: v for k, v in r.items() if k != "source_file"}
                    for r in pq.read_table(f.records_path).to_pylist()
                ]
        return out

    for entity in ("works", "authors", "merged_authors"):
        assert rows(new, entity) == rows(old, entity) and rows(new, entity)
    for report in (new, old):
        assert report.total("valid") + report.total("quarantined") == report.total("records")
        assert report.total("quarantined", "works") == 1


def test_without_a_combined_manifest_the_part_files_are_listed(tmp_path):
    files = OpenAlexSnapshot(_snapshot_2026(tmp_path / "snap", manifest=False, legacy=False)).files()
    assert [f.entity for f in files] == ["authors", "works", "works"]
    assert all(f.expected_records is None for f in files)


def test_a_combined_manifest_listing_a_missing_file_is_an_error(tmp_path):
    root = _snapshot_2026(tmp_path / "snap")
    (root / "data/jsonl/works/updated_date=2026-06-25/part_0000.gz").unlink()
    with pytest.raises(SnapshotError, match="lists 1 file\\(s\\) that are missing"):
        OpenAlexSnapshot(root).files()


def test_only_legacy_data_is_read_as_the_old_layout(tmp_path):
    root = tmp_path / "snap"
    old = write_snapshot(
        tmp_path / "old", works={"2020-01-01": [work("W9", ["A9"])]}, merged=[("2026-01-01", "A8", "A1")]
    )
    root.mkdir()
    shutil.move(old / "data", root / "legacy-data")
    snapshot = OpenAlexSnapshot(root)
    files = snapshot.files()
    assert snapshot.layout == LAYOUT_LEGACY_DATA
    assert [(f.entity, f.path.relative_to(root).as_posix(), f.expected_records) for f in files] == [
        ("works", "legacy-data/works/updated_date=2020-01-01/part_000.gz", 1),
        ("merged_authors", "legacy-data/merged_ids/authors/2024-01-01.csv.gz", None),
    ]


def test_a_parquet_only_snapshot_is_the_parquet_variant(tmp_path):
    # (tests/sources/openalex/test_snapshot_parquet.py reads it; an empty one says where it looked)
    (tmp_path / "snap" / "data" / "parquet" / "works").mkdir(parents=True)
    snapshot = OpenAlexSnapshot(tmp_path / "snap")
    with pytest.raises(SnapshotError, match="holds no snapshot files under data/parquet/authors"):
        snapshot.files()
    assert snapshot.layout == LAYOUT_2026_PARQUET
