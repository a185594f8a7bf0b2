"""One writer per data dir: landing and building take an exclusive lock on
``DIR/.pipeline.lock``. The OS drops the lock when a process dies, so a crash
never leaves a stale lock behind."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.errors import TransientError


class LockTimeoutError(TransientError):
    """Another run kept the data dir (or the shared lake's commit lock) for too long: worth retrying later,
    so an Airflow task that waited behind a long build is retried instead of failed for good."""


@contextmanager
def data_dir_lock(path: Path, timeout_seconds: float) -> Iterator[None]:
    """Hold the exclusive lock file ``path`` (``DataLayout.lock_path``) while the block runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout_seconds
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise LockTimeoutError(
                        f"another pipeline run ({holder}) has held {path} for over {timeout_seconds:.0f}s; "
                        "wait for it to finish (the lock frees itself when that process exits)"
                    ) from None
                time.sleep(0.2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
