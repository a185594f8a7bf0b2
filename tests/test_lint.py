"""Ruff (pyflakes, pycodestyle, bugbear, pyupgrade, Airflow 3 rules) is clean, and the code is as
``ruff format`` writes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")


def test_ruff_is_clean():
    result = subprocess.run([str(RUFF), "check", "--no-cache", str(REPO)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = subprocess.run(
        [str(RUFF), "format", "--check", "--no-cache", str(REPO)], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0, f"run `ruff format` on these files:\n{result.stdout}{result.stderr}"
