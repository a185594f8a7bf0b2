"""Test helpers: the local paths of a data dir, from the one place that knows them."""

from __future__ import annotations

from pathlib import Path

from pipeline.config import Settings
from pipeline.storage.layout import DataLayout


def layout(settings: Settings) -> DataLayout:
    return DataLayout.of(settings)


def lake_dir(settings: Settings) -> Path:
    return Path(layout(settings).lake.root)


def quarantine_dir(settings: Settings) -> Path:
    return Path(layout(settings).quarantine.root)


def history_dir(settings: Settings) -> Path:
    return Path(layout(settings).history.root)


def warehouse_path(settings: Settings) -> Path:
    return layout(settings).warehouse_path


def publish_dir(settings: Settings) -> Path:
    return layout(settings).publish_dir
