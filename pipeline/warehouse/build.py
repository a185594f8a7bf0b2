"""Build the DuckDB warehouse from the lake, gate it, then publish it atomically.

The build writes a new database file next to the published one. Only when the
quality gate passes is the day's trust history written, the file renamed over
``warehouse.duckdb`` and the marts exported. A failed gate leaves the previous
warehouse and outputs exactly as they were.

Downstream apps read ``publish/<table>.parquet``. ``publish`` is a symlink to a
complete export folder (``.publish/<stamp>``) and is switched in one rename, so a
reader never sees some tables from one build and some from another.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.config import Settings
from pipeline.landing.parquet_writer import write_table_atomically
from pipeline.schemas.lake import TrustSnapshotRow
from pipeline.schemas.types import arrow_schema
from pipeline.sql_text import sql_string
from pipeline.storage.atomic import commit_file, temp_path_for
from pipeline.warehouse.inputs import create_raw_inputs, trust_history_path
from pipeline.warehouse.models import Model, models
from pipeline.warehouse.variables import model_variables, set_variables

TableGate = Callable[[Path], None]
StepCallback = Callable[[str], None]


@dataclass
class BuildReport:
    warehouse_path: Path
    as_of: date
    row_counts: dict[str, int] = field(default_factory=dict)
    published: list[Path] = field(default_factory=list)
    fingerprint: str | None = None
    up_to_date: bool = False  # nothing changed since the last build: skipped


def run_model(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    """Materialise one SQL model. Staging and intermediate models are temp tables,
    so the published file holds only the marts."""
    sql = model.sql.strip().rstrip(";")
    contract = model.contract
    if contract is not None and contract.materialized == "view":
        con.execute(f"create or replace view {model.name} as\n{sql}")
    elif model.layer == "marts":
        con.execute(f"create or replace table {model.name} as\n{sql}")
    else:
        con.execute(f"create or replace temp table {model.name} as\n{sql}")


def build_warehouse(
    settings: Settings,
    *,
    as_of: date,
    gate: TableGate | None = None,
    on_step: StepCallback | None = None,
) -> BuildReport:
    """Build, gate and publish the warehouse; returns row counts of the marts."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    building = settings.data_dir / f"{BUILDING_PREFIX}{os.getpid()}"
    building.unlink(missing_ok=True)
    report = BuildReport(settings.warehouse_path, as_of)
    try:
        con = duckdb.connect(str(building))
        try:
            con.execute(f"set temp_directory = {sql_string(settings.data_dir / '.duckdb_tmp')}")
            set_variables(con, model_variables(settings, as_of))
            create_raw_inputs(con, settings)
            for model in models():
                if on_step is not None:
                    on_step(model.key)
                run_model(con, model)
                if model.layer == "marts":
                    report.row_counts[model.name] = con.execute(f"select count(*) from {model.name}").fetchall()[0][0]
            todays_trust = con.sql(
                "select author_id, as_of, trust_score, trust_tier, verification_level, claim_status, "
                "model_version, components::varchar as components from trust_snapshots "
                "where as_of = getvariable('as_of') order by author_id"
            ).to_arrow_table()
            con.execute("checkpoint")
        finally:
            con.close()

        if gate is not None:
            if on_step is not None:
                on_step("quality gate")
            gate(building)

        # Publish: history first (the warehouse is derivable from it), then the file swap.
        write_table_atomically(_as_history(todays_trust), trust_history_path(settings, as_of))
        os.replace(building, settings.warehouse_path)
        report.published = export_marts(settings)
    finally:
        building.unlink(missing_ok=True)
        Path(f"{building}.wal").unlink(missing_ok=True)
    return report


def _as_history(table: pa.Table) -> pa.Table:
    return table.cast(arrow_schema(TrustSnapshotRow))


BUILDING_PREFIX = ".warehouse.duckdb.building-"
EXPORTS_DIR = ".publish"
KEEP_EXPORTS = 2  # the current export and the one before, for readers still on it


def export_marts(settings: Settings) -> list[Path]:
    """Export every mart table to a new folder, then point ``publish`` at it."""
    exports = settings.data_dir / EXPORTS_DIR
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = exports / f"{stamp}-{os.getpid()}"
    folder.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        tables = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'main' and table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        for table in tables:
            target = folder / f"{table}.parquet"
            con.execute(f"copy (select * from {table}) to {sql_string(target)} (format parquet, compression zstd)")
    finally:
        con.close()
    _switch_publish(settings.publish_dir, folder)
    _prune_exports(settings)
    return [settings.publish_dir / f"{table}.parquet" for table in tables]


def _switch_publish(link: Path, folder: Path) -> None:
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a plain folder from an older layout
    tmp = temp_path_for(link)
    tmp.unlink(missing_ok=True)
    tmp.symlink_to(folder.relative_to(link.parent))
    commit_file(tmp, link)


def remove_stale_builds(settings: Settings) -> None:
    """Drop files of builds that crashed (call with the data-dir lock held)."""
    for path in settings.data_dir.glob(f"{BUILDING_PREFIX}*"):
        path.unlink(missing_ok=True)
    shutil.rmtree(settings.data_dir / ".duckdb_tmp", ignore_errors=True)
    _prune_exports(settings)


def _prune_exports(settings: Settings) -> None:
    """Keep the newest KEEP_EXPORTS export folders, and always the one ``publish`` points at."""
    exports = settings.data_dir / EXPORTS_DIR
    if not exports.exists():
        return
    current = settings.publish_dir.resolve() if settings.publish_dir.is_symlink() else None
    folders = sorted(p for p in exports.iterdir() if p.is_dir())
    for folder in folders[:-KEEP_EXPORTS]:
        if folder.resolve() != current:
            shutil.rmtree(folder, ignore_errors=True)
