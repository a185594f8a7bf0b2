"""The pipeline's entry points. The CLI and the Airflow tasks call these same
functions, and pass paths (never data) between steps."""

from __future__ import annotations

from contextlib import ExitStack, contextmanager
from dataclasses import asdict
from datetime import UTC, date, datetime

from pipeline.config import Settings
from pipeline.landing.land import LandingReport, Progress, land
from pipeline.sources import parse_source_spec
from pipeline.sources.base import InputFile
from pipeline.storage.layout import DataLayout
from pipeline.storage.lock import data_dir_lock
from pipeline.storage.object_store import ObjectStore
from pipeline.storage.publish import discard_build, remove_stale_builds
from pipeline.storage.reports import read_report, write_report
from pipeline.storage.shared_lock import lake_commit_lock, needs_shared_lock
from pipeline.warehouse.build import BuildReport, StepCallback, build_warehouse, publish_warehouse
from pipeline.warehouse.fingerprint import build_fingerprint, code_fingerprint, input_listing
from pipeline.warehouse.incremental import FULL, INCREMENTAL, Fallback, build_incremental, choose_mode


def today_utc() -> date:
    return datetime.now(UTC).date()


def collect_inputs(specs: list[str], settings: Settings | None = None) -> list[InputFile]:
    """Every input file of every ``--source`` spec, in order. Sources that fetch
    (``openalex-api:…``) fetch here, landing raw responses under ``settings``' data dir."""
    inputs: list[InputFile] = []
    for spec in specs:
        for source in parse_source_spec(spec, settings):
            inputs.extend(source.files())
    return inputs


def plan_inputs(specs: list[str], per_batch: int) -> list[list[str]]:
    """The input files of ``specs`` (sources that need no fetching, such as snapshots), split into
    batches of ``per_batch`` input keys: the bulk DAG lands each batch in its own mapped task."""
    if per_batch < 1:
        from pipeline.errors import SourceSpecError

        raise SourceSpecError(f"parts per task must be at least 1, got {per_batch}")
    keys = [item.key for item in collect_inputs(specs)]
    return [keys[start : start + per_batch] for start in range(0, len(keys), per_batch)]


def land_selected(specs: list[str], keys: list[str], settings: Settings) -> LandingReport:
    """Land only the input files of ``specs`` whose key is in ``keys`` (one batch of :func:`plan_inputs`)."""
    from pipeline.errors import SourceSpecError

    wanted = set(keys)
    inputs = [item for item in collect_inputs(specs) if item.key in wanted]
    missing = wanted - {item.key for item in inputs}
    if missing:
        raise SourceSpecError(f"{len(missing)} planned input(s) are no longer in {', '.join(specs)}; re-plan the run")
    return land_sources(inputs, settings)


def land_sources(
    inputs: list[InputFile],
    settings: Settings,
    *,
    ingest_date: date | None = None,
    on_records: Progress | None = None,
) -> LandingReport:
    """Validate and land ``inputs``, gated by Great Expectations."""
    from pipeline.quality.gate import landing_gate
    from pipeline.quality.suites import import_gx_in_background

    import_gx_in_background()  # the gate needs it only after the records are staged: import it meanwhile

    layout = DataLayout.of(settings)
    ingest_date = ingest_date or today_utc()
    if not needs_shared_lock(layout.lake):
        with data_dir_lock(layout.lock_path, settings.lock_timeout_seconds):
            for store in (layout.lake, layout.quarantine):
                store.sweep_leftovers()
            report = land(inputs, settings, ingest_date=ingest_date, gate=landing_gate(settings), on_records=on_records)
            write_report(layout, "landing", report, no_op=report.no_op)
        return report

    # A lake shared by several hosts: stage in parallel with every other worker, lock only the commit step
    # (and, on this host, the gate: its Great Expectations project and reports are in the local data dir).
    for store in (layout.lake, layout.quarantine):
        if isinstance(store, ObjectStore):
            store.sweep_leftovers()  # only a dead writer's staged objects (by age): safe without the lock
    gate = landing_gate(settings)

    def locked_gate(files) -> None:
        with data_dir_lock(layout.lock_path, settings.lock_timeout_seconds):
            gate(files)

    report = land(
        inputs,
        settings,
        ingest_date=ingest_date,
        gate=locked_gate,
        on_records=on_records,
        commit_guard=lambda: _lake_lock(layout, settings),
    )
    with data_dir_lock(layout.lock_path, settings.lock_timeout_seconds):
        write_report(layout, "landing", report, no_op=report.no_op)
    return report


@contextmanager
def _lake_lock(layout: DataLayout, settings: Settings):
    """This host's data-dir lock plus the lake's cross-host commit lock; yields the latter's guard."""
    with ExitStack() as stack:
        stack.enter_context(data_dir_lock(layout.lock_path, settings.lock_timeout_seconds))
        yield stack.enter_context(lake_commit_lock(settings, layout.lake))


def build(
    settings: Settings,
    *,
    as_of: date | None = None,
    on_step: StepCallback | None = None,
    rebuild: bool = False,
    full_refresh: bool = False,
) -> BuildReport:
    """Build, gate and publish the warehouse from everything in the lake.

    Skipped when nothing it depends on changed since the last build (same lake
    files, settings, SQL and code, same as_of date), unless ``rebuild`` or
    ``full_refresh``. Incremental when only new lake files arrived since the last
    build (:func:`pipeline.warehouse.incremental.choose_mode`); ``full_refresh``
    forces a full rebuild. The report's ``mode`` and ``mode_reason`` say which and why.
    """
    from pipeline.quality.gate import warehouse_gate
    from pipeline.quality.history import append_to_warehouse

    layout = DataLayout.of(settings)
    as_of = as_of or settings.as_of or today_utc()
    with _lake_lock(layout, settings):  # the build reads the lake and appends to the history: no commits meanwhile
        remove_stale_builds(layout)
        layout.history.sweep_leftovers()
        fingerprint = build_fingerprint(settings, as_of)
        previous = read_report(layout, "build")
        published = [layout.publish_dir / name for name in previous.get("published_tables", [])]
        outputs_intact = layout.warehouse_path.exists() and all(p.exists() for p in published)
        if not rebuild and not full_refresh and outputs_intact and previous.get("fingerprint") == fingerprint:
            return BuildReport(
                layout.warehouse_path,
                as_of,
                row_counts=previous.get("row_counts", {}),
                published=published,
                fingerprint=fingerprint,
                up_to_date=True,
                mode=previous.get("mode", FULL),
                mode_reason="nothing changed since the last build",
            )
        code = code_fingerprint(settings)
        listing = input_listing(settings, as_of)
        chosen = choose_mode(
            settings,
            as_of=as_of,
            previous=previous if outputs_intact else {},
            listing=listing,
            code_fingerprint=code,
            full_refresh=full_refresh or rebuild,
        )
        mode, reason, stats = chosen.mode, chosen.reason, None
        built = None
        if mode == INCREMENTAL:
            try:
                built, recomputed = build_incremental(
                    settings, as_of=as_of, new_files=chosen.new_files, on_step=on_step
                )
                stats = asdict(recomputed)
            except Fallback as exc:
                mode, reason = FULL, f"incremental build not possible: {exc}"
        if built is None:
            built = build_warehouse(settings, as_of=as_of, on_step=on_step)
        try:
            if on_step is not None:
                on_step("quality gate")
            gate_run = warehouse_gate(settings, as_of=as_of)(built.path)
            append_to_warehouse(built.path, gate_run)
            report = BuildReport(
                layout.warehouse_path,
                as_of,
                row_counts=built.row_counts,
                fingerprint=fingerprint,
                mode=mode,
                mode_reason=reason,
                incremental=stats,
                code_fingerprint=code,
                input_files={key: list(stat) for key, stat in listing.items()},
            )
            report.published = publish_warehouse(settings, built)
        finally:
            discard_build(built.path)
        write_report(layout, "build", {**asdict(report), "published_tables": [p.name for p in report.published]})
    return report


def check_quality(settings: Settings):
    """Re-run the warehouse gate on the published warehouse; returns the gate run
    (its Data Docs and results are recorded like any other run)."""
    from pipeline.errors import NotFoundError
    from pipeline.quality.gate import GateRun, check_tables, finish, quality_project

    layout = DataLayout.of(settings)
    if not layout.warehouse_path.exists():
        raise NotFoundError(f"no warehouse at {layout.warehouse_path}; run `pipeline run` first")
    with data_dir_lock(layout.lock_path, settings.lock_timeout_seconds):
        run = GateRun("warehouse")
        quality = quality_project(settings)
        run.suites = check_tables(
            layout.warehouse_path,
            chunk_rows=settings.gate_chunk_rows,
            today=settings.as_of or today_utc(),
            project=quality,
            memory_limit=settings.duckdb_memory_limit,
            outcome="the published warehouse is as it was",
        )
        finish(settings, run, quality)
    return run
