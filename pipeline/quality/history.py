"""The quality history: every gate run's results as rows analysts can query.

Each run of a gate, passed or failed, lands one Parquet file in the history
store (``quality_runs/checked_on=…/part-<run id>.parquet``); the warehouse's
``quality_runs`` table is built from those files, and a published warehouse
also holds the run of the gate that let it through.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from pipeline.schemas.lake import QualityRunRow
from pipeline.schemas.types import arrow_schema
from pipeline.storage.layout import DataLayout
from pipeline.storage.parquet import write_table

if TYPE_CHECKING:
    from pipeline.quality.gate import GateRun


def run_rows(run: GateRun) -> pa.Table:
    rows = [
        {
            "run_id": run.run_id,
            "checked_at": run.checked_at,
            "gate": run.kind,
            "suite": suite.name,
            "suite_success": suite.success,
            "expectation": item.expectation,
            "column_name": item.column,
            "arguments": item.arguments,
            "success": item.success,
            "element_count": item.element_count,
            "unexpected_count": item.unexpected_count,
            "observed_value": item.observed_value,
        }
        for suite in run.suites
        for item in suite.expectations
    ]
    return pa.Table.from_pylist(rows, schema=arrow_schema(QualityRunRow))


def record_run(layout: DataLayout, run: GateRun) -> str:
    """Land the run's results in the history store."""
    return write_table(layout.history, run_rows(run), layout.quality_run_path(run.checked_at.date(), run.run_id))


def append_to_warehouse(db_path: Path, run: GateRun) -> None:
    """Add the gate run that passed a build to that build's ``quality_runs`` table."""
    con = duckdb.connect(str(db_path))
    try:
        rows = run_rows(run)  # noqa: F841 - read by DuckDB's replacement scan below
        con.execute("insert into quality_runs by name select * from rows")
        con.execute("checkpoint")
    finally:
        con.close()
