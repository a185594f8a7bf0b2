"""Quoting for the few values that must be spliced into SQL text (paths in
``read_parquet``/``COPY``/``SET``), where DuckDB takes no bind parameters."""

from __future__ import annotations

from pathlib import Path


def sql_string(value: str | Path) -> str:
    text = value.as_posix() if isinstance(value, Path) else str(value)
    return "'" + text.replace("'", "''") + "'"


def sql_list(values: list[str]) -> str:
    return "[" + ", ".join(sql_string(v) for v in values) + "]"
