"""Shared fixtures for the SQL unit tests (STYLE.md item 8).

Each test gives the direct inputs of one SQL file as a few rows, runs that one
file with ``run_model`` and compares the whole result, ordered, with rows
written out in the test.

Input tables take their columns and types from the real upstream models (every
model built once on empty inputs), never from a copy in the test: a test names
only the columns it fills, and renaming an upstream column fails it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pytest

from pipeline.config import Settings
from pipeline.warehouse.build import run_macro, run_model
from pipeline.warehouse.dictionary import empty_schemas
from pipeline.warehouse.models import Model, discover
from pipeline.warehouse.variables import model_variables, set_variables

AS_OF = date(2026, 1, 1)


@dataclass(frozen=True)
class Result:
    columns: list[str]
    types: list[str]
    rows: list[tuple]


def upstream_schemas() -> dict[str, list[tuple[str, str]]]:
    """name -> [(column, type)] of every raw input and model, as the build makes them."""
    return empty_schemas()


class SqlHarness:
    """An in-memory DuckDB with the build variables set, plus input/run helpers."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.configure()

    def configure(self, settings: Settings | None = None, as_of: date = AS_OF) -> None:
        """(Re)set the ``getvariable`` values from settings (default: ``Settings()``)."""
        set_variables(self.con, model_variables(settings or Settings(), as_of=as_of))

    def given(self, name: str, rows: list[dict[str, Any]] | list[tuple], columns: list[str] | None = None) -> None:
        """Input ``name`` (a raw input or a model) with the real columns and types of
        that table; rows are dicts, or tuples of ``columns``. Columns not given are NULL."""
        schema = upstream_schemas().get(name)
        assert schema is not None, f"{name} is neither a raw input nor a model"
        known = [column for column, _ in schema]
        if rows and isinstance(rows[0], dict):
            columns = list(dict.fromkeys(c for row in rows for c in row))
            values = [[row.get(c) for c in columns] for row in rows]
        else:
            values = [list(row) for row in rows]
        columns = columns or []
        unknown = [c for c in columns if c not in known]
        assert not unknown, f"{name} has no column {unknown}; its columns are {known}"
        ddl = ", ".join(f'"{column}" {kind}' for column, kind in schema)
        self.con.execute(f"create table {name} ({ddl})")
        if values:
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            self.con.executemany(f"insert into {name} ({names}) values ({marks})", values)

    def run(self, key: str, order_by: str) -> Result:
        """Run one SQL file and return its whole output, ordered."""
        model = Model(key)
        _, macros = discover()
        for called in sorted(set(model.calls) & set(macros)):
            for table in macros[called].reads:
                if not self.con.execute("select 1 from duckdb_tables() where table_name = ?", [table]).fetchall():
                    self.given(table, [])
            run_macro(self.con, macros[called])
        run_model(self.con, model)
        relation = self.con.execute(f"select * from {model.name} order by {order_by}")
        columns = [d[0] for d in relation.description]
        rows = relation.fetchall()
        types = [
            str(t)
            for (t,) in self.con.execute(
                "select data_type from information_schema.columns where table_name = ? order by ordinal_position",
                [model.name],
            ).fetchall()
        ]
        return Result(columns, types, rows)


@pytest.fixture
def wh():
    """A fresh in-memory DuckDB with default settings and as_of = 2026-01-01."""
    con = duckdb.connect()
    try:
        yield SqlHarness(con)
    finally:
        con.close()
