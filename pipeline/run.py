"""The pipeline's entry points. The CLI and the Airflow tasks call these same
functions, and pass paths (never data) between steps."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

from pipeline.config import Settings
from pipeline.landing.land import LandingReport, Progress, land
from pipeline.sources import parse_source_spec
from pipeline.sources.base import InputFile
from pipeline.storage.atomic import sweep_leftovers, write_text_atomically
from pipeline.storage.lock import data_dir_lock
from pipeline.warehouse.build import BuildReport, StepCallback, build_warehouse, remove_stale_builds
from pipeline.warehouse.fingerprint import build_fingerprint


def today_utc() -> date:
    return datetime.now(UTC).date()


def collect_inputs(specs: list[str]) -> list[InputFile]:
    """Every input file of every ``--source`` spec, in order."""
    inputs: list[InputFile] = []
    for spec in specs:
        for source in parse_source_spec(spec):
            inputs.extend(source.files())
    return inputs


def land_sources(
    specs: list[str],
    settings: Settings,
    *,
    ingest_date: date | None = None,
    on_records: Progress | None = None,
    inputs: list[InputFile] | None = None,
) -> LandingReport:
    """Validate and land every input of ``specs``, gated by Great Expectations."""
    from pipeline.quality.gate import landing_gate

    inputs = collect_inputs(specs) if inputs is None else inputs
    with data_dir_lock(settings.data_dir, settings.lock_timeout_seconds):
        sweep_leftovers(settings.lake_dir, settings.quarantine_dir)
        report = land(
            inputs, settings, ingest_date=ingest_date or today_utc(), gate=landing_gate(settings), on_records=on_records
        )
        write_report(settings, "landing", report)
    return report


def build(
    settings: Settings, *, as_of: date | None = None, on_step: StepCallback | None = None, rebuild: bool = False
) -> BuildReport:
    """Build, gate and publish the warehouse from everything in the lake.

    Skipped when nothing it depends on changed since the last build (same lake
    files, settings, SQL and code, same as_of date), unless ``rebuild``.
    """
    from pipeline.quality.gate import warehouse_gate

    as_of = as_of or settings.as_of or today_utc()
    with data_dir_lock(settings.data_dir, settings.lock_timeout_seconds):
        remove_stale_builds(settings)
        sweep_leftovers(settings.history_dir, settings.data_dir / "reports")
        fingerprint = build_fingerprint(settings, as_of)
        previous = read_report(settings, "build")
        outputs_intact = settings.warehouse_path.exists() and all(
            Path(p).exists() for p in previous.get("published", [])
        )
        if not rebuild and outputs_intact and previous.get("fingerprint") == fingerprint:
            return BuildReport(
                settings.warehouse_path,
                as_of,
                row_counts=previous.get("row_counts", {}),
                published=[Path(p) for p in previous.get("published", [])],
                fingerprint=fingerprint,
                up_to_date=True,
            )
        report = build_warehouse(settings, as_of=as_of, gate=warehouse_gate(settings), on_step=on_step)
        report.fingerprint = fingerprint
        write_report(settings, "build", report)
    return report


def read_report(settings: Settings, kind: str) -> dict:
    """The last report of ``kind`` as a dict ({} when there is none or it is unreadable)."""
    try:
        return json.loads(report_path(settings, kind).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def report_path(settings: Settings, kind: str) -> Path:
    """``DIR/reports/<kind>-latest.json``: the last landing or build report."""
    return settings.data_dir / "reports" / f"{kind}-latest.json"


def write_report(settings: Settings, kind: str, report: LandingReport | BuildReport) -> Path:
    """Keep a JSON record of each step under ``DIR/reports/``: a timestamped copy
    for the history and ``<kind>-latest.json`` for whoever runs next."""
    latest = report_path(settings, kind)
    payload = json.dumps(asdict(report), default=str, indent=2)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    write_text_atomically(latest.with_name(f"{kind}-{stamp}.json"), payload)
    return write_text_atomically(latest, payload)
