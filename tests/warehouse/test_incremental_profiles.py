"""After an incremental build, the published profile documents are those of a full rebuild (every
file, byte for byte, removed authors gone), and only the documents that can have changed are
written: the others are the previous export's files (hard links, the same inode)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from test_incremental import AS_OF, World, _settings

from pipeline.config import Settings
from pipeline.storage.layout import PROFILES_DIR, DataLayout
from pipeline.warehouse import incremental
from pipeline.warehouse.build import build_warehouse, publish_warehouse
from pipeline.warehouse.fingerprint import code_fingerprint, input_listing
from pipeline.warehouse.incremental import INCREMENTAL, build_incremental, choose_mode


def _documents(settings: Settings) -> dict[str, tuple[bytes, int]]:
    """author id -> (bytes, inode) of the published documents."""
    folder = DataLayout.of(settings).publish_dir / PROFILES_DIR
    return {p.stem: (p.read_bytes(), p.stat().st_ino) for p in sorted(folder.glob("*.json"))}


class Published:
    """One lake, published twice after every change: incrementally when possible, and fully."""

    def __init__(self, tmp_path: Path, lake: Path) -> None:
        self.inc = _settings(tmp_path / "incremental", lake)
        self.full = _settings(tmp_path / "full", lake)
        self.previous: dict = {}

    def step(self) -> tuple[str, frozenset[str] | None]:
        chosen = choose_mode(
            self.inc,
            as_of=AS_OF,
            previous=self.previous,
            listing=input_listing(self.inc, AS_OF),
            code_fingerprint=code_fingerprint(self.inc),
        )
        if chosen.mode == INCREMENTAL:
            built, _ = build_incremental(self.inc, as_of=AS_OF, new_files=chosen.new_files, max_author_share=1.0)
        else:
            built = build_warehouse(self.inc, as_of=AS_OF)
        publish_warehouse(self.inc, built)
        self.previous = {
            "as_of": AS_OF.isoformat(),
            "code_fingerprint": code_fingerprint(self.inc),
            "input_files": {k: list(v) for k, v in input_listing(self.inc, AS_OF).items()},
        }
        publish_warehouse(self.full, build_warehouse(self.full, as_of=AS_OF))
        return chosen.mode, built.changed_authors


def _run(tmp_path: Path, seed: int, steps: int):
    """Yield (change, mode, changed authors, documents before, incremental documents, full documents) per step."""
    world = World(tmp_path / "lake", random.Random(seed))
    world.seed()
    published = Published(tmp_path, world.lake_dir)
    published.step()
    for _ in range(steps):
        before = _documents(published.inc)
        kind = world.change()
        mode, changed = published.step()
        yield kind, mode, changed, before, _documents(published.inc), _documents(published.full)


@pytest.mark.parametrize("seed", [11, 12])
def test_incremental_publish_equals_a_full_rebuild_and_rewrites_only_what_changed(tmp_path, seed):
    carried_total = 0
    for kind, mode, changed, before, after, full in _run(tmp_path, seed, steps=8):
        assert mode == INCREMENTAL, kind
        assert sorted(after) == sorted(full), kind  # removed authors' documents are gone, new ones there
        assert [a for a in full if after[a][0] != full[a][0]] == [], kind
        carried = {a for a in after if a in before and after[a][1] == before[a][1]}
        rewritten = set(after) - carried
        assert changed is not None and rewritten <= changed | _collaborators_of(tmp_path, changed), kind
        assert carried.isdisjoint(changed), kind  # a changed author's document is always rebuilt
        carried_total += len(carried)
    assert carried_total > 0


def _collaborators_of(tmp_path: Path, authors: frozenset[str]) -> set[str]:
    import duckdb

    con = duckdb.connect(str(DataLayout.of(_settings(tmp_path / "incremental", tmp_path / "lake")).warehouse_path))
    try:
        rows = con.execute(
            "select author_id from collaborator_edges_directed where collaborator_id in (select unnest(?::varchar[]))",
            [sorted(authors)],
        ).fetchall()
    finally:
        con.close()
    return {r[0] for r in rows}


def test_the_comparison_sees_stale_documents(tmp_path, monkeypatch):
    """Carrying over every document (no changed authors) publishes stale ones, and the test sees it."""
    original = incremental.build_incremental

    def forgetful(*args, **kwargs):
        built, stats = original(*args, **kwargs)
        built.changed_authors = frozenset()
        return built, stats

    monkeypatch.setattr(sys.modules[__name__], "build_incremental", forgetful)
    stale = 0
    for _kind, _mode, _changed, _before, after, full in _run(tmp_path, 11, steps=8):
        stale += sorted(after) != sorted(full) or any(after[a][0] != full[a][0] for a in full if a in after)
    assert stale > 0
