"""Fixtures for end-to-end runs of the installed ``pipeline`` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import run_cli


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory) -> Path:
    """The bundled sample, run once through the real CLI."""
    data_dir = tmp_path_factory.mktemp("sample") / "data"
    result = run_cli("run", "--data-dir", str(data_dir), "--as-of", "2026-01-01")
    assert "ok warehouse" in result.stdout
    return data_dir
