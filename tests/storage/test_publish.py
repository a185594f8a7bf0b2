"""Pruning old exports (``pipeline/storage/publish.py``): the exports before the current one are
renamed into a trash folder when the next export starts and deleted in a thread while it writes;
the folder ``publish`` points at when an export starts is never removed by it."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import duckdb
import pytest

from pipeline.storage import publish
from pipeline.storage.layout import PROFILES_DIR, DataLayout
from pipeline.storage.publish import TRASH_PREFIX, export_folders, remove_stale_builds
from pipeline.warehouse import build as build_mod
from pipeline.warehouse.build import export_marts

WAIT = 10  # seconds; only reached when the behaviour under test is broken


@pytest.fixture
def layout(settings) -> DataLayout:
    layout = DataLayout.of(settings)
    layout.data_dir.mkdir(parents=True)
    con = duckdb.connect(str(layout.warehouse_path))
    con.execute("create table profiles as select 'A1' as author_id")
    con.close()
    return layout


@pytest.fixture
def profiles(monkeypatch):
    """The profile documents stand-in: a few files per export; ``hooks`` run before it writes."""
    hooks: list = []

    def export_profiles(con, layout, folder, *, changed_authors=None, previous=None, memory_limit=None):
        for hook in hooks:
            hook(folder)
        target = folder / PROFILES_DIR
        target.mkdir()
        for i in range(50):
            (target / f"A{i}.json").write_text("{}", encoding="utf-8")

    monkeypatch.setattr(build_mod, "export_profiles", export_profiles)
    return hooks


def _names(layout: DataLayout) -> list[str]:
    return sorted(p.name for p in layout.exports_dir.iterdir())


def _pruning_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "prune-exports"]


def test_three_exports_leave_the_current_and_the_previous_one_and_no_trash(layout, profiles):
    seen = []
    for _ in range(3):
        export_marts(layout)
        seen.append(layout.publish_dir.resolve())
    assert _names(layout) == [seen[1].name, seen[2].name]  # nothing else: no trash, no first export
    assert not any(name.startswith(TRASH_PREFIX) for name in _names(layout))
    assert export_folders(layout) == [layout.exports_dir / seen[1].name, layout.exports_dir / seen[2].name]
    assert (layout.publish_dir / PROFILES_DIR / "A0.json").exists()


def test_the_export_readers_are_on_when_an_export_starts_stays(layout, profiles):
    export_marts(layout)
    export_marts(layout)
    current = layout.publish_dir.resolve()
    files = sorted(p.name for p in current.rglob("*"))
    during = []
    profiles.append(lambda folder: during.append(sorted(p.name for p in current.rglob("*"))))
    export_marts(layout)
    assert during == [files]  # intact while the next export is written
    assert current.is_dir() and sorted(p.name for p in current.rglob("*")) == files  # and after it
    assert layout.publish_dir.resolve() != current


def test_an_export_never_published_is_pruned_but_not_the_current_one(layout, profiles):
    """A folder newer than the current one is an export that crashed before its switch: the next
    export prunes it, and keeps the one ``publish`` points at (which the old newest-two rule dropped)."""
    export_marts(layout)
    current = layout.publish_dir.resolve()
    crashed = layout.exports_dir / "99999999T000000000000Z-1"
    crashed.mkdir()
    export_marts(layout)
    assert _names(layout) == sorted([current.name, layout.publish_dir.resolve().name])


def test_remove_stale_builds_removes_a_trash_folder_left_by_a_crash(layout, profiles):
    export_marts(layout)
    export_marts(layout)
    exports = _names(layout)
    trash = layout.exports_dir / f"{TRASH_PREFIX}20200101T000000000000Z-1"
    (trash / PROFILES_DIR).mkdir(parents=True)
    (trash / PROFILES_DIR / "A1.json").write_text("{}", encoding="utf-8")
    assert export_folders(layout) == [layout.exports_dir / name for name in exports]  # not an export
    remove_stale_builds(layout)
    assert _names(layout) == exports


def test_the_deletion_overlaps_the_export_and_is_joined_before_it_returns(layout, profiles, monkeypatch):
    export_marts(layout)
    export_marts(layout)
    order = []
    deleting, written, returned = threading.Event(), threading.Event(), threading.Event()
    real_delete = publish.delete_trash

    def delete_trash(path: Path) -> None:
        order.append("deleting")
        deleting.set()
        assert written.wait(WAIT)  # the export writes meanwhile
        returned.wait(0.5)  # a slow deletion: without the join, export_marts would return before it ends
        real_delete(path)
        order.append("deleted")

    def writing(folder: Path) -> None:
        assert deleting.wait(WAIT)  # the deletion runs while the export is being written
        order.append("written")
        written.set()

    monkeypatch.setattr(publish, "delete_trash", delete_trash)
    profiles.append(writing)
    try:
        export_marts(layout)
        assert order == ["deleting", "written", "deleted"]  # joined: "deleted" before export_marts returned
    finally:
        returned.set()
    assert not _pruning_threads()
    assert len(_names(layout)) == 2 and not any(n.startswith(TRASH_PREFIX) for n in _names(layout))


def test_a_deletion_error_does_not_fail_the_export(layout, profiles, monkeypatch, caplog):
    export_marts(layout)
    export_marts(layout)
    oldest = layout.exports_dir / _names(layout)[0]

    def rmtree(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(publish.shutil, "rmtree", rmtree)
    with caplog.at_level(logging.WARNING, logger="pipeline.storage.publish"):
        tables = export_marts(layout)
    monkeypatch.undo()
    assert tables == [layout.publish_dir / "profiles.parquet"] and tables[0].exists()
    trash = layout.exports_dir / f"{TRASH_PREFIX}{oldest.name}"
    assert any(str(trash) in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert trash.exists() and trash not in export_folders(layout) and len(export_folders(layout)) == 2
    remove_stale_builds(layout)  # the next run's crash recovery removes it
    assert not trash.exists()


def test_an_export_failing_midway_leaves_no_thread_and_no_half_deleted_export(layout, profiles, monkeypatch):
    export_marts(layout)
    export_marts(layout)
    current = layout.publish_dir.resolve()
    files = sorted(p.name for p in current.rglob("*"))
    oldest = _names(layout)[0]
    deleting = threading.Event()
    real_delete = publish.delete_trash

    def delete_trash(path: Path) -> None:
        deleting.set()
        real_delete(path)

    def fail(folder: Path) -> None:
        assert deleting.wait(WAIT)
        raise RuntimeError("disk full")

    monkeypatch.setattr(publish, "delete_trash", delete_trash)
    profiles.append(fail)
    with pytest.raises(RuntimeError, match="disk full"):
        export_marts(layout)
    assert not _pruning_threads()
    names = _names(layout)
    assert oldest not in names and not any(n.startswith(TRASH_PREFIX) for n in names)  # gone whole
    assert layout.publish_dir.resolve() == current and sorted(p.name for p in current.rglob("*")) == files
    (failed,) = [p for p in export_folders(layout) if p.resolve() != current]  # the unpublished new one
    assert failed.name > current.name
    remove_stale_builds(layout)
    assert export_folders(layout) == [layout.exports_dir / current.name]


def test_prune_exports_keeps_the_current_export_and_the_one_before(layout, profiles):
    for _ in range(2):
        export_marts(layout)
    older = layout.exports_dir / "20000101T000000000000Z-1"
    older.mkdir()
    keep = _names(layout)[1:]
    publish.prune_exports(layout)
    assert _names(layout) == keep
