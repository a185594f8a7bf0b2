"""The data dictionary: every published table and column with its type and
description, generated from the same ``.yml`` contracts that become the
warehouse's DuckDB comments. ``python -m pipeline.warehouse.dictionary``
rewrites ``docs/data_dictionary.md``; a test fails while it is stale.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import duckdb

from pipeline.config import Settings
from pipeline.storage.layout import DataLayout
from pipeline.warehouse.build import run_macro, run_model
from pipeline.warehouse.inputs import create_raw_inputs, raw_input_names
from pipeline.warehouse.models import Macro, Model, plan
from pipeline.warehouse.variables import model_variables, set_variables

OUT = Path(__file__).resolve().parents[2] / "docs" / "data_dictionary.md"


@cache
def empty_schemas() -> dict[str, list[tuple[str, str]]]:
    """name -> [(column, DuckDB type)] of every raw input and model, from building
    all models on empty inputs in memory (the types the real build produces)."""
    con = duckdb.connect()
    try:
        with tempfile.TemporaryDirectory() as empty:
            set_variables(con, model_variables(Settings(), date(2026, 1, 1)))
            create_raw_inputs(con, DataLayout.of(Settings(data_dir=empty)))
            steps = plan(raw_input_names())
            for step in steps:
                run_macro(con, step) if isinstance(step, Macro) else run_model(con, step)
            names = sorted(raw_input_names()) + [s.name for s in steps if isinstance(s, Model)]
            return {name: [(r[0], r[1]) for r in con.execute(f"describe {name}").fetchall()] for name in names}
    finally:
        con.close()


@dataclass(frozen=True)
class TableEntry:
    """One published table or view: its contract and its columns with their types."""

    name: str
    materialized: str
    grain: str
    description: str
    unique: list[list[str]]
    columns: list[tuple[str, str, str]]  # (column, DuckDB type, description)


def published_tables() -> list[TableEntry]:
    """Every table and view kept in the warehouse, in build order."""
    schemas = empty_schemas()
    return [
        TableEntry(
            name=step.name,
            materialized=step.materialized,
            grain=step.contract.grain,
            description=step.contract.description or "",
            unique=[list(k) for k in step.contract.unique],
            columns=[(column, kind, step.contract.columns.get(column, "")) for column, kind in schemas[step.name]],
        )
        for step in plan(raw_input_names())
        if isinstance(step, Model) and step.persisted
    ]


def render() -> str:
    """The dictionary as Markdown: one section per published table."""
    lines = [
        "# Data dictionary",
        "",
        "Every table and view of the published warehouse (`DIR/warehouse.duckdb`, and `DIR/publish/<table>.parquet`",
        "for the tables). Generated from `warehouse/marts/*.yml` by `python -m pipeline.warehouse.dictionary`;",
        "the same descriptions are DuckDB comments in the warehouse (`select * from duckdb_columns()`).",
        "",
    ]
    for table in published_tables():
        lines += [f"## `{table.name}` ({table.materialized})", "", f"Grain: {table.grain}.", ""]
        if table.description:
            lines += [table.description, ""]
        keys = "; ".join(", ".join(k) for k in table.unique)
        if keys:
            lines += [f"Unique: {keys}.", ""]
        lines += ["| column | type | description |", "|---|---|---|"]
        for column, kind, description in table.columns:
            lines.append(f"| `{column}` | {kind} | {description} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(OUT.parents[1]).as_posix()}")


if __name__ == "__main__":
    main()
