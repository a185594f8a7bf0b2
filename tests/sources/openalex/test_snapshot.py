"""The snapshot reader: layout, manifests, merged ids, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from snapshot_builder import author, work, write_snapshot

from pipeline.errors import SnapshotError, SourceSpecError
from pipeline.sources import parse_source_spec, sample_sources
from pipeline.sources.openalex.snapshot import OpenAlexSnapshot


def test_lists_authors_then_works_then_merged_ids(tmp_path):
    write_snapshot(
        tmp_path,
        works={"2024-01-01": [work("W1", ["A1"])], "2024-02-01": [work("W2", ["A1"])]},
        authors={"2024-01-01": [author("A1", "Ada")]},
        merged=[("2024-01-01", "A9", "A1")],
    )
    files = OpenAlexSnapshot(tmp_path).files()
    assert [(f.entity, f.path.relative_to(tmp_path).as_posix()) for f in files] == [
        ("authors", "data/authors/updated_date=2024-01-01/part_000.gz"),
        ("works", "data/works/updated_date=2024-01-01/part_000.gz"),
        ("works", "data/works/updated_date=2024-02-01/part_000.gz"),
        ("merged_authors", "data/merged_ids/authors/2024-01-01.csv.gz"),
    ]
    assert files[1].expected_records == 1
    merged = files[-1]
    assert list(merged.records()) == [(2, b"2024-01-01,A9,A1")]  # header skipped, real line numbers


def test_manifest_listing_a_missing_file_is_an_error(tmp_path):
    write_snapshot(tmp_path, works={"2024-01-01": [work("W1", ["A1"])], "2024-02-01": [work("W2", ["A1"])]})
    (tmp_path / "data/works/updated_date=2024-02-01/part_000.gz").unlink()
    with pytest.raises(SnapshotError, match="lists 1 file\\(s\\) that are missing.*re-sync"):
        OpenAlexSnapshot(tmp_path).files()


def test_files_not_in_the_manifest_are_ignored(tmp_path, caplog):
    write_snapshot(tmp_path, works={"2024-01-01": [work("W1", ["A1"])]})
    stray = tmp_path / "data/works/updated_date=2030-01-01/part_000.gz"
    stray.parent.mkdir(parents=True)
    stray.write_bytes((tmp_path / "data/works/updated_date=2024-01-01/part_000.gz").read_bytes())
    files = OpenAlexSnapshot(tmp_path).files()
    assert [f.source_file for f in files] == [(tmp_path / "data/works/updated_date=2024-01-01/part_000.gz").as_posix()]
    assert "not listed in" in caplog.text


def test_a_relative_snapshot_path_finds_its_listed_parts(tmp_path, monkeypatch, caplog):
    write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"])]})
    monkeypatch.chdir(tmp_path)
    (file,) = OpenAlexSnapshot(Path("snap")).files()
    assert (
        file.expected_records == 1
        and file.source_file == (tmp_path / "snap/data/works/updated_date=2024-01-01/part_000.gz").as_posix()
    )
    assert "not listed in" not in caplog.text


def test_without_manifest_the_part_files_are_globbed(tmp_path):
    write_snapshot(tmp_path, works={"2024-01-01": [work("W1", ["A1"])]}, manifest=False)
    (file,) = OpenAlexSnapshot(tmp_path).files()
    assert file.expected_records is None


def test_not_a_snapshot(tmp_path):
    with pytest.raises(SnapshotError, match="not an OpenAlex snapshot"):
        OpenAlexSnapshot(tmp_path / "nope").files()


def test_source_specs():
    assert [type(s).__name__ for s in parse_source_spec("sample")] == [
        "OpenAlexSnapshot",
        "PlatformEventsFile",
        "ReplaySource",
    ]
    (snapshot,) = parse_source_spec("openalex-snapshot:/x/y")
    assert str(snapshot.root) == "/x/y"
    with pytest.raises(SourceSpecError, match="needs authors=A1,A2 or orcid=ORCID after the colon"):
        parse_source_spec("openalex-api")
    with pytest.raises(SourceSpecError, match="use 'sample', 'openalex-snapshot:PATH'"):
        parse_source_spec("openalex-apx:authors=A1")


def test_bundled_sample_is_a_valid_snapshot():
    files = [f for s in sample_sources() for f in s.files()]
    assert {f.entity for f in files} >= {"authors", "works", "merged_authors", "events"}  # + replayed API pages
    for f in files:
        if f.expected_records is not None:
            assert sum(1 for _ in f.records()) == f.expected_records, f.source_file
