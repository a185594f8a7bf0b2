"""The bundled sample is exactly what tools/build_sample.py writes, and its own
check (seed figures recomputed in plain Python) passes."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _digests(root: Path) -> dict[str, str]:
    # replay/ holds landed API responses, written by their own tools (tools/build_api_replay.py)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).parts[0] != "replay"
    }


def test_openalex_api_replay_regenerates_byte_identically():
    tool = REPO / "tools" / "build_api_replay.py"
    result = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sample_regenerates_byte_identically(tmp_path):
    out = tmp_path / "sample_data"
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "build_sample.py"), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert _digests(out) == _digests(REPO / "pipeline" / "sample_data")
