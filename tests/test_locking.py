"""One writer per data dir, and no stale locks after a crash."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.locking import LockTimeoutError, data_dir_lock

HOLD = """
import sys, time
from pathlib import Path
from pipeline.locking import data_dir_lock
with data_dir_lock(Path(sys.argv[1]), 5):
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_a_second_writer_waits_then_gives_up_with_a_clear_message(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), "30"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockTimeoutError, match=rf"another pipeline run \(pid {holder.pid}\) has held"):
            with data_dir_lock(tmp_path, timeout_seconds=0.5):
                pass
    finally:
        holder.kill()
        holder.wait()
    # the holder died without unlocking: the OS released the lock
    with data_dir_lock(tmp_path, timeout_seconds=1):
        pass
