"""Structural rules of the codebase that a reviewer would otherwise check by hand."""

from __future__ import annotations

import re
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[1] / "pipeline"
FILESYSTEM_CALLS = re.compile(r"os\.replace|\.glob\(|fcntl|os\.symlink")


def test_only_the_storage_layer_touches_the_filesystem_directly():
    offenders = []
    for path in sorted(PIPELINE.rglob("*.py")):
        if "storage" in path.relative_to(PIPELINE).parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if FILESYSTEM_CALLS.search(line):
                offenders.append(f"{path.relative_to(PIPELINE.parent)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)
