"""Shared fixtures. Tests never touch the network beyond loopback."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.config import Settings

REPO = Path(__file__).resolve().parents[1]
RECORDED = Path(__file__).resolve().parent / "fixtures" / "recorded"
AS_OF = date(2026, 1, 1)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--live", action="store_true", help="also run tests that call the real public APIs")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--live"):
        return
    skip_live = pytest.mark.skip(reason="live API test: opt in with --live")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip_live)


@pytest.fixture
def recorded() -> Path:
    return RECORDED


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", as_of=AS_OF)
