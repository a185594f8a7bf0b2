"""Derive Arrow (Parquet) and DuckDB types from the pydantic row models.

Types come from the contract, never from inference: an all-null column in a
batch still lands with the declared type, and an empty lake still yields typed
tables.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from functools import cache

import pyarrow as pa
from pydantic import BaseModel

_SCALARS: dict[type, tuple[pa.DataType, str]] = {
    str: (pa.string(), "VARCHAR"),
    int: (pa.int64(), "BIGINT"),
    float: (pa.float64(), "DOUBLE"),
    bool: (pa.bool_(), "BOOLEAN"),
    datetime: (pa.timestamp("us"), "TIMESTAMP"),
    date: (pa.date32(), "DATE"),
}


def _unwrap(annotation: object) -> tuple[object, bool]:
    """Return (inner annotation, nullable) for ``X | None`` / ``Optional[X]``."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {annotation!r}")
        return args[0], True
    return annotation, False


def _arrow(annotation: object) -> pa.DataType:
    inner, _ = _unwrap(annotation)
    if typing.get_origin(inner) is typing.Literal:
        return pa.string()
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        return pa.list_(_arrow(item))
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        return pa.struct(_fields(inner))
    if inner in _SCALARS:
        return _SCALARS[inner][0]
    raise TypeError(f"no Arrow type for {annotation!r}")


def _fields(model: type[BaseModel]) -> list[pa.Field]:
    out = []
    for name, info in model.model_fields.items():
        _, nullable = _unwrap(info.annotation)
        out.append(pa.field(name, _arrow(info.annotation), nullable=nullable))
    return out


@cache
def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    """The Arrow schema of a landed table, from its row model."""
    return pa.schema(_fields(model))


def _duckdb(annotation: object) -> str:
    inner, _ = _unwrap(annotation)
    if typing.get_origin(inner) is typing.Literal:
        return "VARCHAR"
    if typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        return f"{_duckdb(item)}[]"
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        members = ", ".join(f'"{n}" {_duckdb(i.annotation)}' for n, i in inner.model_fields.items())
        return f"STRUCT({members})"
    if inner in _SCALARS:
        return _SCALARS[inner][1]
    raise TypeError(f"no DuckDB type for {annotation!r}")


def duckdb_columns(model: type[BaseModel]) -> str:
    """Column list for ``CREATE TABLE t (...)``, from a row model."""
    return ", ".join(f'"{n}" {_duckdb(i.annotation)}' for n, i in model.model_fields.items())
