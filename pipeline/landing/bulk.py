"""Bulk landing: check a batch of JSON lines against the contract in one DuckDB query and get the
landed rows of the lines it accepts as Arrow, without Python per record.

The query is generated from the pydantic input model (:mod:`pipeline.landing.bulk_sql`) and the
model's ``to_row`` twin (:mod:`pipeline.landing.bulk_rows`). It is conservative: a line it accepts
is one pydantic accepts, with the same landed row; every other line (bad JSON, JSON pydantic and
DuckDB read differently, a value in a form it is not sure of, a record pydantic rejects) is left to
the per-record parser, which gives the verdict and, for a reject, pydantic's message. Before the
query, in bulk too: lines must be ``{...}``, valid UTF-8, and nest less than
:data:`~pipeline.landing.fastpath.MAX_DEPTH` (pydantic refuses deep lines, DuckDB does not).
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from functools import cache

import duckdb
import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from pipeline.landing.bulk_rows import ROWS, RowSQL
from pipeline.landing.bulk_sql import NotCompilable, compile_model, top_structure
from pipeline.landing.fastpath import MAX_DEPTH, _deep

BATCH_LINES = 4096
# Off by default: measured slower than the per-record fast path (BENCHMARKS.md, "Reading the figures",
# bulk landing). PIPELINE_BULK_LANDING=1 turns it on, also in the spawned landing workers (for
# measuring it); the tests turn it on to hold it to the per-record path's verdicts and rows.
ENABLED = os.environ.get("PIPELINE_BULK_LANDING") == "1"

_STRUCTURE = np.zeros(256, dtype=bool)
_STRUCTURE[list(b'"[]{}\\')] = True
_OPEN, _CLOSE = np.zeros(256, dtype=np.int8), np.zeros(256, dtype=np.int8)
_OPEN[list(b"[{")] = 1
_CLOSE[list(b"]}")] = 1


def shallow(lines: pa.BinaryArray) -> np.ndarray:
    """Per line: True when it surely nests less than MAX_DEPTH (quotes balanced, brackets outside
    strings balanced, their depth counted); lines with a backslash are decided by
    :func:`~pipeline.landing.fastpath._deep`, one by one."""
    n = len(lines)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=n + 1, offset=lines.offset * 4)
    start = int(offsets[0])
    data = lines.buffers()[2]
    body = np.frombuffer(data, dtype=np.uint8)[start : int(offsets[-1])] if data is not None else np.empty(0, np.uint8)
    pos = np.flatnonzero(_STRUCTURE[body])
    ch = body[pos]
    line = np.searchsorted(offsets[1:] - start, pos, side="right")
    quote = (ch == ord('"')).astype(np.int64)
    quotes_in = np.bincount(line, weights=quote, minlength=n).astype(np.int64)
    quotes_before = np.concatenate(([0], np.cumsum(quotes_in)[:-1]))
    outside = (np.cumsum(quote) - quote - quotes_before[line]) % 2 == 0
    delta = (_OPEN[ch].astype(np.int64) - _CLOSE[ch]) * outside
    net = np.bincount(line, weights=delta, minlength=n).astype(np.int64)
    level = np.cumsum(delta) - np.concatenate(([0], np.cumsum(net)[:-1]))[line]
    depth = np.zeros(n, dtype=np.int64)
    if len(line):
        firsts = np.flatnonzero(np.concatenate(([True], line[1:] != line[:-1])))
        depth[line[firsts]] = np.maximum.reduceat(level, firsts)
    ok = (quotes_in % 2 == 0) & (net == 0) & (depth < MAX_DEPTH)
    escaped = np.unique(line[ch == ord("\\")])
    ok[escaped] = False
    for index in escaped:
        raw = lines[int(index)].as_py()
        ok[index] = not _deep(raw)
    return ok


@dataclass
class BulkChecker:
    """The compiled contract of one input model, on its own DuckDB connection."""

    model: type[BaseModel]
    sql: str
    con: duckdb.DuckDBPyConnection

    def accept(self, lines: list[bytes]) -> tuple[np.ndarray, pa.Table]:
        """(indexes of the accepted lines, their landed rows in that order, less provenance)."""
        candidate = np.fromiter((raw[:1] == b"{" and raw[-1:] == b"}" for raw in lines), dtype=bool, count=len(lines))
        binary = pa.array(lines, pa.binary())
        try:
            text = binary.cast(pa.string())
        except pa.ArrowInvalid:  # some line is not UTF-8: blank those out, they take the per-record path
            for i, raw in enumerate(lines):
                if candidate[i] and not raw.isascii():
                    try:
                        raw.decode("utf-8")
                    except UnicodeDecodeError:
                        candidate[i] = False
            kept = [raw if keep else b"" for raw, keep in zip(lines, candidate, strict=True)]
            binary = pa.array(kept, pa.binary())
            text = binary.cast(pa.string())
        candidate &= shallow(binary)
        batch = pa.table({"i": pa.array(np.arange(len(lines), dtype=np.int64)), "line": text}).filter(
            pa.array(candidate)
        )
        self.con.register("batch", batch)
        try:
            result = self.con.sql(self.sql).to_arrow_table()
        finally:
            self.con.unregister("batch")
        return result.column("i").to_numpy(), result.drop_columns(["i"])


def query(model: type[BaseModel], rows: RowSQL) -> str:
    """The batch query: ``batch(i, line)`` -> ``(i, landed columns...)`` of the accepted lines."""
    structure = top_structure(model).replace("'", "''")
    ctes, out = compile_model(model, "parsed")
    columns = ", ".join(f'{expr} AS "{name}"' for name, expr in rows.columns.items())
    chain = ",\n".join(ctes)
    lets = "".join(f", {expr} AS {name}" for name, expr in rows.lets.items())
    return f"""
        WITH raw AS MATERIALIZED (
            SELECT i, line, try(json_transform(line, '{structure}')) AS t FROM batch
        ), parsed AS MATERIALIZED (
            SELECT i, t, len(k) = len(list_distinct(k)) AS unique_keys FROM (
                SELECT i, t, json_keys(line) AS k FROM raw WHERE t IS NOT NULL
            )
        ),
        {chain},
        checked AS MATERIALIZED (SELECT *{lets} FROM (SELECT i, v AS r FROM {out} WHERE ok))
        SELECT i, {columns} FROM checked WHERE coalesce({rows.accept}, false) ORDER BY i
    """


@cache
def checker(model: type[BaseModel]) -> BulkChecker | None:
    """The bulk checker of ``model``, or None when it has no SQL twin (land it record by record)."""
    rows = ROWS.get(model)
    if rows is None:
        return None
    try:
        sql = query(model, rows)
    except NotCompilable:
        return None
    # One DuckDB thread per landing worker process (they already use every core); all in the parent.
    threads = 1 if multiprocessing.parent_process() is not None else None
    con = duckdb.connect(config={"threads": threads} if threads else {})
    con.execute("SET enable_progress_bar = false")
    return BulkChecker(model, sql, con)
