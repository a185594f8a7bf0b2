"""Expose the lake to the SQL models as ``raw_*`` temp views.

Each view selects the contract's columns (plus the ``ingest_date`` partition).
When an entity has no files yet, an empty table with the contract's types
stands in, so the SQL never depends on what happens to have been landed.
"""

from __future__ import annotations

import glob
from pathlib import Path

import duckdb
from pydantic import BaseModel

from pipeline.config import Settings
from pipeline.landing.lake import dataset_glob
from pipeline.schemas.lake import AuthorRow, MergedAuthorRow, PlatformEventRow, QuarantineRow, TrustSnapshotRow, WorkRow
from pipeline.schemas.types import duckdb_columns
from pipeline.sql_text import sql_list

LAKE_INPUTS: dict[str, tuple[str, type[BaseModel]]] = {
    "raw_works": ("works", WorkRow),
    "raw_authors": ("authors", AuthorRow),
    "raw_merged_authors": ("merged_authors", MergedAuthorRow),
    "raw_events": ("events", PlatformEventRow),
}


def trust_history_glob(settings: Settings) -> str:
    return (settings.history_dir / "trust_snapshots" / "as_of=*" / "*.parquet").as_posix()


def trust_history_path(settings: Settings, as_of) -> Path:
    return settings.history_dir / "trust_snapshots" / f"as_of={as_of.isoformat()}" / "part-0.parquet"


def create_raw_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Create every ``raw_*`` view; return how many files back each one."""
    counts: dict[str, int] = {}
    for view, (entity, model) in LAKE_INPUTS.items():
        counts[view] = _partitioned_view(con, view, dataset_glob(settings.lake_dir, entity), model)
    counts["raw_quarantine"] = _partitioned_view(
        con, "raw_quarantine", dataset_glob(settings.quarantine_dir, "*"), QuarantineRow
    )
    counts["raw_trust_history"] = _view(con, "raw_trust_history", trust_history_glob(settings), TrustSnapshotRow)
    return counts


def _columns(model: type[BaseModel]) -> str:
    return ", ".join(f'"{name}"' for name in model.model_fields)


def _partitioned_view(con: duckdb.DuckDBPyConnection, view: str, pattern: str, model: type[BaseModel]) -> int:
    files = sorted(glob.glob(pattern))
    if not files:
        con.execute(f"create or replace temp table {view} ({duckdb_columns(model)}, ingest_date DATE)")
        return 0
    con.execute(
        f"""
        create or replace temp view {view} as
        select {_columns(model)}, ingest_date
        from read_parquet({sql_list(files)}, hive_partitioning = true, hive_types = {{'ingest_date': DATE}})
        """
    )
    return len(files)


def _view(con: duckdb.DuckDBPyConnection, view: str, pattern: str, model: type[BaseModel]) -> int:
    files = sorted(glob.glob(pattern))
    if not files:
        con.execute(f"create or replace temp table {view} ({duckdb_columns(model)})")
        return 0
    con.execute(
        f"create or replace temp view {view} as select {_columns(model)} "
        f"from read_parquet({sql_list(files)}, hive_partitioning = false)"
    )
    return len(files)
