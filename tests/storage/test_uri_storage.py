"""The lake is addressed by URI: the same pipeline lands into and builds from
fsspec's in-memory filesystem, with nothing written to the local lake folders."""

from __future__ import annotations

import uuid
from datetime import date

import duckdb
import fsspec
import pytest

from pipeline.config import Settings
from pipeline.run import build, collect_inputs, land_sources
from pipeline.storage.layout import DataLayout
from pipeline.storage.store import Store


@pytest.fixture
def memory_settings(tmp_path):
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        data_dir=tmp_path / "data",
        lake_uri=f"memory://lake-{tag}",
        quarantine_uri=f"memory://quarantine-{tag}",
        history_uri=f"memory://history-{tag}",
        as_of=date(2026, 1, 1),
    )
    yield settings
    memory = fsspec.filesystem("memory")
    for root in (f"/lake-{tag}", f"/quarantine-{tag}", f"/history-{tag}"):
        if memory.exists(root):
            memory.rm(root, recursive=True)


def test_land_and_build_on_an_in_memory_lake(memory_settings):
    first = land_sources(collect_inputs(["sample"]), memory_settings)
    layout = DataLayout.of(memory_settings)
    landed = layout.lake.files("source=*/entity=*/ingest_date=*/*.parquet")
    assert len(landed) == len(first.files)
    assert all(path.startswith(layout.lake.root + "/source=") for path in landed)
    assert not (memory_settings.data_dir / "lake").exists()

    again = land_sources(collect_inputs(["sample"]), memory_settings)
    assert again.no_op  # versions are read back from the in-memory Parquet metadata

    report = build(memory_settings)
    assert report.row_counts["works"] == 19
    con = duckdb.connect(str(layout.warehouse_path), read_only=True)
    try:
        assert con.execute(
            "select works_count, trust_score from profiles where author_id = 'A5020000002'"
        ).fetchall() == [(9, 21)]
    finally:
        con.close()
    assert layout.history.files("trust_snapshots/as_of=2026-01-01/*.parquet")


def test_store_commit_makes_files_visible_at_once(tmp_path):
    for uri in (tmp_path / "local", f"memory://store-{uuid.uuid4().hex[:8]}"):
        store = Store(uri)
        final = store.join("a", "b.txt")
        store.makedirs(store.join("a"))
        tmp = store.temp_for(final)
        with store.fs.open(tmp, "wb") as handle:
            handle.write(b"half")
        assert store.files("a/*") == []  # a temp file is never listed as committed
        store.commit(tmp, final)
        assert store.files("a/*") == [final] and store.read_bytes(final) == b"half"
        assert store.sweep_leftovers() == []
