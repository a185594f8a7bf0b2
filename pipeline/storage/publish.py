"""The publish switch for downstream apps.

``DIR/publish`` is a symlink to a complete export folder (``DIR/.publish/<stamp>``)
and is switched in one rename, so a reader never sees some tables from one
build and some from another. The previous export is kept for readers still on it.

Old exports are pruned while the next export is written (:func:`pruning_in_background`): each
one is first renamed into a trash folder in ``DIR/.publish`` (``.trash-<stamp>``; a name starting
with a dot is never an export folder), so no reader or lister ever sees a half-deleted export, and
the trash is deleted in a thread. A run killed meanwhile leaves the trash behind;
:func:`remove_stale_builds` removes it.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from pipeline.storage.atomic import commit_file, temp_path_for
from pipeline.storage.layout import PROFILES_DIR, DataLayout

log = logging.getLogger(__name__)

KEEP_EXPORTS = 2  # the current export and the one before
TRASH_PREFIX = ".trash-"  # DIR/.publish/.trash-<stamp>: an old export being deleted


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
    """Point ``publish`` at ``folder`` in one rename. (The old exports are pruned around the export,
    :func:`pruning_in_background`.)"""
    link = layout.publish_dir
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a plain folder from an older layout
    tmp = temp_path_for(link)
    tmp.unlink(missing_ok=True)
    os.symlink(folder.relative_to(link.parent), tmp)
    commit_file(tmp, link)


def export_folders(layout: DataLayout) -> list[Path]:
    """The export folders in ``DIR/.publish``, oldest first (never the trash: names starting with a dot)."""
    if not layout.exports_dir.exists():
        return []
    return sorted(p for p in layout.exports_dir.iterdir() if p.is_dir() and not p.name.startswith("."))


def _beyond(layout: DataLayout, keep: int) -> list[Path]:
    """The export folders beyond the one ``publish`` points at and the ``keep - 1`` newest before it.
    Folders newer than the current one were never published (an export that crashed before its
    switch: exports run with the data-dir lock held), so they go too."""
    current = layout.publish_dir.resolve() if layout.publish_dir.is_symlink() else None
    folders = export_folders(layout)
    resolved = [folder.resolve() for folder in folders]
    if current not in resolved:
        return folders
    at = resolved.index(current)
    kept = set(range(max(0, at - (keep - 1)), at + 1))
    return [folder for i, folder in enumerate(folders) if i not in kept]


def stale_exports(layout: DataLayout) -> list[Path]:
    """The export folders that the next export's switch makes superfluous, known before it starts:
    all but the one ``publish`` points at now (after the switch the previous export, kept for readers
    still on it) and the ``KEEP_EXPORTS - 2`` newest before that one; with the new export that makes
    ``KEEP_EXPORTS``."""
    return _beyond(layout, KEEP_EXPORTS - 1)


def _move_to_trash(folder: Path) -> Path | None:
    """Rename ``folder`` to ``.trash-<name>`` next to it (one atomic rename: no export is ever seen
    half deleted). None (logged) if the rename fails: the folder stays, a later prune retries."""
    target = folder.with_name(f"{TRASH_PREFIX}{folder.name}")
    n = 0
    while os.path.lexists(target):
        n += 1
        target = folder.with_name(f"{TRASH_PREFIX}{folder.name}.{n}")
    try:
        os.rename(folder, target)
    except OSError as exc:
        log.warning("could not move the old export %s to the trash: %s", folder, exc)
        return None
    return target


def delete_trash(path: Path) -> None:
    """Delete one trash folder; an error is logged, never raised (the next run's
    :func:`remove_stale_builds` retries)."""
    try:
        shutil.rmtree(path)
    except OSError as exc:
        log.warning("could not delete the old export %s: %s", path, exc)


def _delete_all(paths: list[Path]) -> None:
    for path in paths:
        try:
            delete_trash(path)
        except Exception:  # never let the thread die with a traceback; the export goes on
            log.warning("could not delete the old export %s", path, exc_info=True)


@contextmanager
def pruning_in_background(layout: DataLayout) -> Iterator[None]:
    """Around an export (before :func:`new_export_folder`): move the :func:`stale_exports` into the
    trash, then delete the trash in a thread while the body renders and writes the new export. The
    thread is joined on the way out, also when the body raises, so nothing is deleted after the export
    returns. Deleting costs about as much as writing (one journalled unlink per file), hence the overlap."""
    trash = [moved for folder in stale_exports(layout) if (moved := _move_to_trash(folder)) is not None]
    if not trash:
        yield
        return
    # a daemon: a second Ctrl-C during the join must not hang the exit (the next run removes the trash)
    thread = threading.Thread(target=_delete_all, args=(trash,), name="prune-exports", daemon=True)
    thread.start()
    try:
        yield
    finally:
        thread.join()


def prune_exports(layout: DataLayout) -> None:
    """Keep the export folder ``publish`` points at and the KEEP_EXPORTS - 1 newest before it; the
    others are renamed into the trash, then deleted (synchronously; exports prune in the background,
    :func:`pruning_in_background`)."""
    for folder in _beyond(layout, KEEP_EXPORTS):
        moved = _move_to_trash(folder)
        if moved is not None:
            delete_trash(moved)


def leftover_trash(layout: DataLayout) -> list[Path]:
    """Trash folders that a run killed while deleting them left behind."""
    if not layout.exports_dir.exists():
        return []
    return sorted(p for p in layout.exports_dir.iterdir() if p.name.startswith(TRASH_PREFIX))


def remove_stale_builds(layout: DataLayout) -> None:
    """Drop files of builds that crashed, and the trash of a prune that was cut short (call with the
    data-dir lock held)."""
    for path in layout.stale_builds():
        path.unlink(missing_ok=True)
    shutil.rmtree(layout.duckdb_temp_dir, ignore_errors=True)
    for path in leftover_trash(layout):
        delete_trash(path)
    prune_exports(layout)


def swap_in(building: Path, published: Path) -> None:
    """Replace the published warehouse file with a finished build, atomically."""
    commit_file(building, published)


def discard_build(building: Path) -> None:
    building.unlink(missing_ok=True)
    Path(f"{building}.wal").unlink(missing_ok=True)
