"""The publish switch for downstream apps.

``DIR/publish`` is a symlink to a complete export folder (``DIR/.publish/<stamp>``)
and is switched in one rename, so a reader never sees some tables from one
build and some from another. The previous export is kept for readers still on it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
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
