"""One writer per data dir, and no stale locks after a crash."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from data_paths import lake_dir

from pipeline.storage.lock import LockTimeoutError, data_dir_lock

HOLD = """
import sys, time
from pathlib import Path
from pipeline.storage.lock import data_dir_lock
with data_dir_lock(Path(sys.argv[1]) / ".pipeline.lock", 5):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_writer_waits_then_gives_up_with_a_clear_message(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(LockTimeoutError, match=rf"another pipeline run \(pid {holder.pid}\) has held"):
            with data_dir_lock(tmp_path / ".pipeline.lock", timeout_seconds=0.5):
                pass
        assert time.monotonic() - started >= 0.5  # it waited before giving up
    finally:
        holder.kill()
        holder.wait()
    # the holder died without unlocking: the OS released the lock
    with data_dir_lock(tmp_path / ".pipeline.lock", timeout_seconds=1):
        pass


def test_leftovers_of_crashed_runs_are_swept(settings):
    from datetime import date

    from pipeline.run import build, collect_inputs, land_sources

    crashed = lake_dir(settings) / "source=x" / "entity=works" / "ingest_date=2026-01-01" / ".part-1.parquet.tmp-999"
    crashed.parent.mkdir(parents=True)
    crashed.write_bytes(b"partial")
    building = settings.data_dir / ".warehouse.duckdb.building-999"
    building.write_bytes(b"partial")

    land_sources(collect_inputs(["sample"]), settings)
    build(settings, as_of=date(2026, 1, 1))
    assert not crashed.exists() and not building.exists()
