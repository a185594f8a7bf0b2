"""Atomic publication: write to a hidden temp file beside the target, then rename.
Readers see the old file or the new one, never a partial one."""

from __future__ import annotations

import os
from pathlib import Path


def temp_path_for(final_path: Path) -> Path:
    """The hidden temp name a writer of ``final_path`` uses (per process)."""
    return final_path.with_name(f".{final_path.name}.tmp-{os.getpid()}")


def commit_file(tmp_path: Path, final_path: Path) -> Path:
    """Publish a finished temp file: rename over the final path, then sync the folder."""
    os.replace(tmp_path, final_path)
    _fsync_dir(final_path.parent)
    return final_path


def discard_file(tmp_path: Path | None) -> None:
    if tmp_path is not None:
        tmp_path.unlink(missing_ok=True)


def write_text_atomically(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    tmp.write_text(text, encoding="utf-8")
    return commit_file(tmp, path)


def sweep_leftovers(*roots: Path) -> list[Path]:
    """Delete temp files that crashed runs left under ``roots``. Only safe while
    holding the data-dir lock, when no other writer can own them."""
    removed = []
    for root in roots:
        if not root.exists():
            continue
        for path in root.rglob(".*.tmp-*"):
            if path.is_file():
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes_atomically(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(path)
    tmp.write_bytes(data)
    return commit_file(tmp, path)
