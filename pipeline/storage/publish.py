"""The publish switch for downstream apps.

``DIR/publish`` is a symlink to a complete export folder (``DIR/.publish/<stamp>``)
and is switched in one rename, so a reader never sees some tables from one
build and some from another. The previous export is kept for readers still on it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from pipeline.storage.atomic import commit_file, temp_path_for
from pipeline.storage.layout import PROFILES_DIR, DataLayout

KEEP_EXPORTS = 2  # the current export and the one before


def new_export_folder(layout: DataLayout) -> Path:
    """A fresh, empty folder for the next export (not visible until :func:`switch_publish`)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = layout.exports_dir / f"{stamp}-{os.getpid()}"
    folder.mkdir(parents=True)
    return folder


def write_profile_documents(folder: Path, documents: Iterable[tuple[str, str]]) -> int:
    """Write ``(author_id, json text)`` pairs as ``<folder>/profiles/<author_id>.json`` in an export
    folder that is not published yet (so no temp files: the switch makes them visible at once)."""
    target = folder / PROFILES_DIR
    target.mkdir(exist_ok=True)
    written = 0
    for author_id, text in documents:
        (target / f"{author_id}.json").write_text(text, encoding="utf-8")
        written += 1
    return written


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def write_document_batches(folder: Path, batches: Iterable, *, threads: int = 2) -> int:
    """Write batches of documents (:class:`pipeline.warehouse.profile_documents.DocumentBatch`: the
    author ids and, per document, ``pieces(i)``, its bytes as a few buffers) as
    ``<folder>/profiles/<author_id>.json``, each file in one ``writev`` of the buffers, ``threads``
    writers at a time (the system calls run without the GIL). Same folder rules as
    :func:`write_profile_documents`."""
    target = folder / PROFILES_DIR
    target.mkdir(exist_ok=True)
    prefix = str(target) + os.sep

    def write(batch, start: int, stop: int) -> None:
        for i in range(start, stop):
            fd = os.open(f"{prefix}{batch.author_ids[i]}.json", _FLAGS, 0o644)
            try:
                pieces = batch.pieces(i)
                expected = sum(len(p) for p in pieces)
                done = os.writev(fd, pieces)
                if done != expected:  # a short write (a signal): write the rest plainly
                    rest = memoryview(b"".join(pieces))[done:]
                    while rest:
                        rest = rest[os.write(fd, rest) :]
            finally:
                os.close(fd)

    written = 0
    pending: list = []
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for batch in batches:  # the next batch renders (in DuckDB, without the GIL) while this one is written
            step = max(1, -(-len(batch) // max(1, threads)))
            futures = [
                pool.submit(write, batch, start, min(start + step, len(batch))) for start in range(0, len(batch), step)
            ]
            for future in pending:
                future.result()
            pending = futures
            written += len(batch)
        for future in pending:
            future.result()
    return written


def switch_publish(layout: DataLayout, folder: Path) -> None:
    """Point ``publish`` at ``folder`` in one rename, then prune old exports."""
    link = layout.publish_dir
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a plain folder from an older layout
    tmp = temp_path_for(link)
    tmp.unlink(missing_ok=True)
    os.symlink(folder.relative_to(link.parent), tmp)
    commit_file(tmp, link)
    prune_exports(layout)


def prune_exports(layout: DataLayout) -> None:
    """Keep the newest KEEP_EXPORTS export folders, and always the one ``publish`` points at."""
    if not layout.exports_dir.exists():
        return
    current = layout.publish_dir.resolve() if layout.publish_dir.is_symlink() else None
    folders = sorted(p for p in layout.exports_dir.iterdir() if p.is_dir())
    for folder in folders[:-KEEP_EXPORTS]:
        if folder.resolve() != current:
            shutil.rmtree(folder, ignore_errors=True)


def remove_stale_builds(layout: DataLayout) -> None:
    """Drop files of builds that crashed (call with the data-dir lock held)."""
    for path in layout.stale_builds():
        path.unlink(missing_ok=True)
    shutil.rmtree(layout.duckdb_temp_dir, ignore_errors=True)
    prune_exports(layout)


def swap_in(building: Path, published: Path) -> None:
    """Replace the published warehouse file with a finished build, atomically."""
    commit_file(building, published)


def discard_build(building: Path) -> None:
    building.unlink(missing_ok=True)
    Path(f"{building}.wal").unlink(missing_ok=True)
