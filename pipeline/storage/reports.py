"""Run reports under ``DIR/reports/``: a timestamped copy of every report for the
history, and ``<kind>-latest.json`` for whoever runs next. A run that did
nothing (every input already landed) keeps its timestamped copy but never
overwrites the last real ``latest``."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.storage.atomic import write_text_atomically
from pipeline.storage.layout import DataLayout


def write_report(layout: DataLayout, kind: str, report: Any, *, no_op: bool = False) -> Path:
    """Write ``report`` (a dataclass or a dict); returns the path of the latest copy."""
    document = asdict(report) if is_dataclass(report) else report
    payload = json.dumps(document, default=str, indent=2)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    stamped = write_text_atomically(layout.report_path(kind, stamp), payload)
    latest = layout.report_path(kind)
    if no_op and latest.exists():
        return latest
    write_text_atomically(latest, payload)
    return latest if latest.exists() else stamped


def read_report(layout: DataLayout, kind: str) -> dict:
    """The last report of ``kind`` as a dict ({} when there is none or it is unreadable)."""
    try:
        return json.loads(layout.report_path(kind).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def report_history(layout: DataLayout, kind: str) -> list[Path]:
    """Every timestamped copy of ``kind``, oldest first."""
    return sorted(p for p in layout.reports_dir.glob(f"{kind}-*.json") if not p.name.endswith("-latest.json"))
