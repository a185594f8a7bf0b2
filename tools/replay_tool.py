"""The command line both replay builders share: write a source's replay under
``pipeline/sample_data/replay/source=<name>/``, or ``--check`` that a fresh build
matches what is committed, byte for byte."""

from __future__ import annotations

import argparse
import filecmp
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def replay_main(doc: str, replay_dir: Path, source_name: str, build: Callable[[Path], None], tool: str) -> int:
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with what is committed")
    args = parser.parse_args()
    ours = replay_dir / f"source={source_name}"
    if not args.check:
        shutil.rmtree(ours, ignore_errors=True)
        build(replay_dir)
        print(f"wrote {len(_files(ours))} files under {ours}")
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        build(Path(scratch))
        fresh = Path(scratch) / f"source={source_name}"
        mine = _files(fresh)
        same = mine == _files(ours) and all(filecmp.cmp(fresh / p, ours / p, shallow=False) for p in mine)
    print("replay is up to date" if same else f"replay differs: run {tool}")
    return 0 if same else 1
