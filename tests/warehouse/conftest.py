"""Shared fixtures for the SQL unit tests (STYLE.md item 8).

Each test builds the direct inputs of one SQL file as typed tables in an
in-memory DuckDB, runs that one file with ``run_model`` and compares the whole
result, ordered, with rows written out in the test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pytest
from pydantic import BaseModel

from pipeline.config import Settings
from pipeline.schemas.types import duckdb_columns
from pipeline.warehouse.build import run_model
from pipeline.warehouse.models import Model
from pipeline.warehouse.variables import model_variables, set_variables

AS_OF = date(2026, 1, 1)


@dataclass(frozen=True)
class Result:
    columns: list[str]
    types: list[str]
    rows: list[tuple]


class SqlHarness:
    """An in-memory DuckDB with the build variables set, plus input/run helpers."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.configure()

    def configure(self, settings: Settings | None = None, as_of: date = AS_OF) -> None:
        """(Re)set the ``getvariable`` values from settings (default: ``Settings()``)."""
        set_variables(self.con, model_variables(settings or Settings(), as_of=as_of))

    def raw(self, name: str, row_model: type[BaseModel], rows: list[dict[str, Any]], *, ingest_date: bool = True) -> None:
        """A ``raw_*`` input typed from its row model; columns missing from a row are NULL."""
        columns = duckdb_columns(row_model) + (", ingest_date DATE" if ingest_date else "")
        self.con.execute(f"create table {name} ({columns})")
        for row in rows:
            unknown = set(row) - set(row_model.model_fields) - {"ingest_date"}
            assert not unknown, f"{name}: unknown columns {unknown}"
            names = ", ".join(f'"{c}"' for c in row)
            marks = ", ".join("?" for _ in row)
            self.con.execute(f"insert into {name} ({names}) values ({marks})", list(row.values()))

    def table(self, name: str, columns: str, rows: list[tuple]) -> None:
        """A staging/intermediate/mart input with explicitly typed columns."""
        self.con.execute(f"create table {name} ({columns})")
        if rows:
            marks = ", ".join("?" for _ in rows[0])
            self.con.executemany(f"insert into {name} values ({marks})", [list(r) for r in rows])

    def run(self, key: str, order_by: str) -> Result:
        """Run one SQL file and return its whole output, ordered."""
        model = Model(key)
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
