"""Atomicity on an object store: a landing killed midway (SIGKILL, on moto's S3 server) leaves nothing
a reader or a later run takes for landed, and the later run loses nothing."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from datetime import date

import pyarrow.parquet as pq
import pytest
from s3_helpers import AS_OF, subprocess_env, warehouse_rows

from pipeline.config import LockSettings, Settings
from pipeline.run import build, collect_inputs, land_sources
from pipeline.storage.lake import dataset_files
from pipeline.storage.layout import DataLayout

# A landing of the sample that SIGKILLs itself at a chosen point (argv: where, how many to let through).
CRASHING_LANDING = textwrap.dedent(
    """
    import os, signal, sys
    from pipeline.config import Settings
    from pipeline.run import collect_inputs, land_sources
    from pipeline.storage.object_store import ObjectStore
    from pipeline.storage.parquet import StagedParquet

    where, let_through = sys.argv[1], int(sys.argv[2])
    calls = [0]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    if where == "commit":  # after the copy to the final key, before the staged object is deleted
        commit = ObjectStore.commit

        def crashing_commit(self, tmp, final):
            calls[0] += 1
            if calls[0] > let_through:
                self.fs.cp_file(tmp, final)
                die()
            return commit(self, tmp, final)

        ObjectStore.commit = crashing_commit
    else:  # "write": halfway through writing a file (rows written, upload not completed)
        close = StagedParquet.close

        def crashing_close(self):
            calls[0] += 1
            if calls[0] > let_through:
                self._flush()
                die()
            return close(self)

        StagedParquet.close = crashing_close
    land_sources(collect_inputs(["sample"]), Settings())
    print("not killed")
    """
)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sample landed and built on a local lake, for comparison."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("reference") / "data", as_of=AS_OF, workers=1)
    landed = land_sources(collect_inputs(["sample"]), settings)
    build(settings)
    return {f.source_file: f.valid for f in landed.files}, warehouse_rows(settings)


def crash_landing(settings: Settings, tmp_path, where: str, let_through: int) -> None:
    script = tmp_path / "crashing_landing.py"
    script.write_text(CRASHING_LANDING)
    result = subprocess.run(
        [sys.executable, str(script), where, str(let_through)],
        env=subprocess_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == -signal.SIGKILL, result.stdout + result.stderr


@pytest.mark.parametrize(("where", "let_through"), [("write", 2), ("commit", 3)])
def test_a_landing_killed_midway_leaves_nothing_half_landed(s3_server, tmp_path, reference, where, let_through):
    expected_valid, expected_rows = reference[0], dict(reference[1])
    settings = s3_server.lake_settings(tmp_path / "data", lock=LockSettings(lease_seconds=1))
    layout = DataLayout.of(settings)
    crash_landing(settings, tmp_path, where, let_through)

    lake = layout.lake
    committed = dataset_files(lake)
    assert lake.staged_writers(), "the killed run left staged objects behind"
    if where == "write":
        assert committed == []  # nothing was committed: the gate never ran
    else:
        # the killed commit step: every visible object is a whole Parquet file of a whole input
        assert 0 < len(committed) <= let_through + 1
        for path in committed:
            assert pq.read_metadata(path, filesystem=lake.arrow_fs).num_rows == expected_valid[_input_of(path)]
    assert not [p for p in lake.files("**/*.parquet") if "/_staging/" in p]  # staged objects are never listed
    if where == "commit":
        assert lake.fs.exists(lake.join("_locks", "commit.lease"))  # the dead holder's lease stays behind ...

    again = land_sources(collect_inputs(["sample"]), settings)  # ... and goes stale after lease_seconds
    landed_before = {_input_of(p) for p in committed}
    assert {f.source_file for f in again.files if f.skipped} == landed_before
    assert {f.source_file: f.valid for f in again.files if not f.skipped} == {
        name: count for name, count in expected_valid.items() if name not in landed_before
    }
    assert len(dataset_files(lake)) == len(expected_valid)  # each input exactly once
    build(settings)
    rows = warehouse_rows(settings)
    del rows["quality_runs"], expected_rows["quality_runs"]  # the gate's run log: it gated fewer files at a time
    assert rows == expected_rows

    # young staged objects may be another host's and stay (never listed); a dead writer's go once stale
    leftovers = lake.staged_writers()
    assert leftovers and lake.sweep_leftovers() == []
    assert lake.sweep_leftovers(max_age_seconds=0) and lake.staged_writers() == []
    assert not lake.fs.exists(lake.join("_locks", "commit.lease"))


def _input_of(path: str) -> str:
    """The input file a landed object came from (by the input key in its name)."""
    names = {f"part-{item.key}.parquet": item.source_file for item in collect_inputs(["sample"])}
    return names[path.rsplit("/", 1)[-1]]


def test_an_object_store_commit_makes_a_staged_object_visible_at_once(s3_settings):
    store = DataLayout.of(s3_settings).lake
    final = store.join("source=x", "entity=works", "ingest_date=2026-01-01", "part-a.parquet")
    tmp = store.temp_for(final)
    assert tmp.startswith(store.join("_staging") + "/") and tmp.endswith(
        "/source=x/entity=works/ingest_date=2026-01-01/part-a.parquet"
    )
    assert store.temp_for(final) != tmp  # unique per writer and file, whatever the pid
    with store.fs.open(tmp, "wb") as handle:
        handle.write(b"whole")
    assert store.files("source=*/entity=*/ingest_date=*/*.parquet") == [] and store.files("**/*.parquet") == []
    store.commit(tmp, final)
    assert store.files("**/*.parquet") == [final] and store.read_bytes(final) == b"whole"
    assert store.staged_writers() == [] and not store.fs.exists(tmp)

    young = store.temp_for(final)
    store.fs.pipe_file(young, b"someone else's, still writing")
    old = store.join("_staging", "20200101T000000Z-host-1-dead", "source=x", "part-b.parquet")
    store.fs.pipe_file(old, b"a dead writer's")
    assert store.sweep_leftovers() == [old]  # by age: a young staged object may be another host's
    assert store.staged_writers() == [young.rsplit("/source=x/", 1)[0]]


def test_a_corrected_file_replaces_its_earlier_landing_on_s3(s3_settings, tmp_path):
    from snapshot_builder import work, write_snapshot

    from pipeline.sources.openalex.snapshot import OpenAlexSnapshot

    root = write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"]), "{broken"]})
    first = land_sources(OpenAlexSnapshot(root).files(), s3_settings, ingest_date=AS_OF)
    assert (first.files[0].valid, first.files[0].quarantined) == (1, 1)
    layout = DataLayout.of(s3_settings)
    assert len(dataset_files(layout.quarantine)) == 1

    write_snapshot(tmp_path / "snap", works={"2024-01-01": [work("W1", ["A1"]), work("W2", ["A1"])]})
    second = land_sources(OpenAlexSnapshot(root).files(), s3_settings, ingest_date=date(2026, 1, 2))
    assert not second.files[0].skipped and (second.files[0].valid, second.files[0].quarantined) == (2, 0)
    (landed,) = dataset_files(layout.lake)  # the older landing was removed in the guarded commit step
    assert "ingest_date=2026-01-02" in landed and dataset_files(layout.quarantine) == []
    assert land_sources(OpenAlexSnapshot(root).files(), s3_settings).files[0].skipped
    assert not layout.lake.fs.exists(layout.lake.join("_locks", "commit.lease"))
