"""Expectations evaluated where the data is: each GX expectation of a suite compiled to DuckDB SQL.

The gates used to copy every checked column of a table into pandas for GX; on a big warehouse the
copy and GX's pandas metrics were a large share of a run and held whole marts in memory. Here one
aggregate query per table counts, for every column-map expectation at once, the rows GX looks at
and the unexpected ones (DuckDB streams and parallelises the scan); uniqueness is a GROUP BY; only
a failing expectation fetches its first examples. The results come back in GX's own SUMMARY shape
(``element_count``, ``unexpected_count``, ``missing_count``, ``partial_unexpected_list``, …), and
:meth:`pipeline.quality.suites.QualityProject.record` stores them as GX validation results, so the
suites, the results store and the Data Docs stay GX's.

The SQL follows what GX does on pandas (``tests/quality/test_sql_checks.py`` runs both on the same
tables and compares): column-map expectations ignore nulls (``not_null`` counts them), ``mostly`` is
judged on the non-null rows, a column pair ignores rows where both values are missing, compound
uniqueness ignores rows where all are. Regular expressions are searched (not full-matched) as
pandas' ``str.contains`` does; values that are not printable ASCII (where RE2 and Python's ``re``
could differ: Unicode ``\\d``, ``$`` before a final newline) are fetched and matched with ``re``.
An expectation this module cannot compile makes :func:`compile_suite` return None, and the gate
falls back to GX on pandas for that suite.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import duckdb

from pipeline.memory_limits import current_limit_bytes
from pipeline.sql_text import sql_string

EXAMPLES = 20  # GX's SUMMARY keeps the first 20 unexpected values
# A key check over many rows groups them in hash partitions, each GROUP BY within DuckDB's memory limit:
# about one row per KEY_BYTES_PER_ROW bytes of the limit (under the default 500MB, ~8M rows: the 43.6M rows of
# the 2M works' collaborator_edges_directed in 6 partitions; in 4 they ran out of memory; the 4M rows fixed
# before took 13.4 s there against 11.8 s, and 6.8 s against 3.8 s for collaborator_edges). KEY_PARTITION_ROWS
# set: that many rows per partition whatever the limit.
KEY_BYTES_PER_ROW = 60
MIN_KEY_PARTITION_ROWS = 100_000
UNKNOWN_LIMIT_KEY_PARTITION_ROWS = 4_000_000  # a limit DuckDB spells in a way limit_bytes does not read
KEY_PARTITION_ROWS: int | None = None


def key_partition_rows(con: duckdb.DuckDBPyConnection) -> int:
    """Rows per hash partition of a key check on ``con`` (see KEY_BYTES_PER_ROW)."""
    if KEY_PARTITION_ROWS is not None:
        return KEY_PARTITION_ROWS
    limit = current_limit_bytes(con)
    if limit is None:
        return UNKNOWN_LIMIT_KEY_PARTITION_ROWS
    return max(MIN_KEY_PARTITION_ROWS, int(limit // KEY_BYTES_PER_ROW))


_PRINTABLE = "regexp_full_match({col}, '[ -~]*')"


@dataclass
class Check:
    """One expectation as SQL: ``unexpected`` is a condition on a row of the checked relation."""

    expectation: Any
    kind: str  # map | pair | unique | compound
    columns: list[str]
    unexpected: str | None = None  # map/pair condition (rows to count as unexpected)
    ignored: str | None = None  # rows GX does not look at (nulls)
    mostly: float = 1.0
    regex: str | None = None  # map: searched with Python's re on values that are not printable ASCII


def _q(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _literal(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str):
        return sql_string(value)
    return None


_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "UTINYINT",
            "USMALLINT", "UINTEGER", "UBIGINT")  # fmt: skip


def _compile(expectation, types: dict[str, str]) -> Check | None:
    kind = type(expectation).__name__
    get = expectation.__dict__.get
    column = get("column")
    if column is not None and column not in types:
        return None
    col = _q(column) if column is not None else None
    mostly = float(get("mostly") or 1.0)
    if kind == "ExpectColumnValuesToNotBeNull":
        return Check(expectation, "map", [column], unexpected=f"{col} is null", ignored="false", mostly=mostly)
    if kind == "ExpectColumnValuesToBeUnique" and mostly == 1.0:
        return Check(expectation, "unique", [column])
    if kind == "ExpectCompoundColumnsToBeUnique" and mostly == 1.0:
        columns = list(get("column_list"))
        if any(c not in types for c in columns) or get("ignore_row_if") not in (None, "all_values_are_missing"):
            return None
        return Check(expectation, "compound", columns)
    if kind == "ExpectColumnValuesToMatchRegex":
        regex = get("regex")
        if types[column] != "VARCHAR" or not isinstance(regex, str):
            return None
        condition = f"{_PRINTABLE.format(col=col)} and not regexp_matches({col}, {sql_string(regex)})"
        return Check(expectation, "map", [column], unexpected=condition, mostly=mostly, regex=regex)
    if kind == "ExpectColumnValuesToBeInSet":
        values = [_literal(v) for v in get("value_set")]
        kinds = {type(v) for v in get("value_set")}
        column_type = types[column]
        fits = (kinds <= {str} and column_type == "VARCHAR") or (kinds <= {bool} and column_type == "BOOLEAN")
        if not values or None in values or not fits:
            return None
        return Check(expectation, "map", [column], unexpected=f"{col} not in ({', '.join(values)})", mostly=mostly)
    if kind == "ExpectColumnValuesToBeBetween":
        if types[column].split("(")[0] not in _NUMERIC or get("strict_min") or get("strict_max"):
            return None
        low, high = get("min_value"), get("max_value")
        parts = []
        for bound, op in ((low, "<"), (high, ">")):
            if bound is None:
                continue
            literal = _literal(bound)
            if literal is None or isinstance(bound, bool | str):
                return None
            parts.append(f"{col} {op} {literal}")
        if not parts:
            return None
        return Check(expectation, "map", [column], unexpected=" or ".join(parts), mostly=mostly)
    if kind == "ExpectColumnPairValuesAToBeGreaterThanB" and mostly == 1.0:
        a, b = get("column_A"), get("column_B")
        if a not in types or b not in types or get("ignore_row_if") not in (None, "both_values_are_missing"):
            return None
        op = ">=" if get("or_equal") else ">"
        return Check(
            expectation,
            "pair",
            [a, b],
            unexpected=f"not coalesce({_q(a)} {op} {_q(b)}, false)",
            ignored=f"{_q(a)} is null and {_q(b)} is null",
        )
    return None


def compile_suite(con: duckdb.DuckDBPyConnection, relation: str, expectations: list) -> list[Check] | None:
    """The suite as SQL over ``relation`` (a SELECT); None if any expectation cannot be compiled."""
    types = {row[0]: str(row[1]).upper() for row in con.execute(f"describe {relation}").fetchall()}
    checks = [_compile(e, types) for e in expectations]
    return None if any(c is None for c in checks) else checks  # type: ignore[return-value]


def _plain(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _summary(element: int, missing: int, unexpected: int, examples: list, with_missing: bool = True) -> dict:
    nonmissing = element - missing
    result = {
        "element_count": element,
        "unexpected_count": unexpected,
        "unexpected_percent": (unexpected / nonmissing * 100) if nonmissing else None,
        "partial_unexpected_list": examples,
    }
    if with_missing:
        result.update(
            missing_count=missing,
            missing_percent=(missing / element * 100) if element else None,
            unexpected_percent_total=(unexpected / element * 100) if element else None,
            unexpected_percent_nonmissing=(unexpected / nonmissing * 100) if nonmissing else None,
        )
    counts = Counter(repr(v) for v in examples)
    first = {repr(v): v for v in reversed(examples)}
    result["partial_unexpected_counts"] = [{"value": first[k], "count": n} for k, n in counts.most_common()]
    return result


def _present(c: Check) -> str:
    """The rows a key check looks at: a value (unique), or not every value missing (compound)."""
    if c.kind == "unique":
        return f"{_q(c.columns[0])} is not null"
    return "not (" + " and ".join(f"{_q(x)} is null" for x in c.columns) + ")"


def evaluate(
    con: duckdb.DuckDBPyConnection, relation: str, checks: list[Check], *, keys_relation: str | None = None
) -> list[tuple[bool, dict]]:
    """(success, GX SUMMARY result dict) for every check, in order.

    One scan of ``relation`` counts every column-map expectation (and the values a regex check must
    match with Python's ``re``); each key check is a GROUP BY over ``keys_relation`` when given: the
    same rows with only the plain columns (no derived columns, whose subqueries a key never needs)."""
    rel = f"({relation}) as checked"
    key_rel = f"({keys_relation or relation}) as checked"
    maps = [c for c in checks if c.kind in ("map", "pair")]
    keys = [c for c in checks if c.kind in ("unique", "compound")]
    odd_maps = [c for c in maps if c.regex is not None]
    per_partition = key_partition_rows(con) if keys else 0
    aggregates = ["count(*)"]
    for c in maps:
        ignored = c.ignored if c.ignored is not None else f"{_q(c.columns[0])} is null"
        aggregates.append(f"count(*) filter (where {ignored})")
        aggregates.append(f"count(*) filter (where not ({ignored}) and ({c.unexpected}))")
    for c in keys:  # rows a key check does not look at, in the same scan
        aggregates.append(f"count(*) filter (where not ({_present(c)}))")
    for c in odd_maps:  # values RE2 and Python's re might read differently, in the same scan
        aggregates.append(f"count(*) filter (where {_odd(c)})")
    row = con.execute(f"select {', '.join(aggregates)} from {rel}").fetchone()
    element = row[0]
    counts = {id(c): (row[1 + 2 * i], row[2 + 2 * i]) for i, c in enumerate(maps)}
    absent = {id(c): row[1 + 2 * len(maps) + i] for i, c in enumerate(keys)}
    odd_counts = {id(c): row[1 + 2 * len(maps) + len(keys) + i] for i, c in enumerate(odd_maps)}

    out: list[tuple[bool, dict]] = []
    for c in checks:
        cols = ", ".join(_q(x) for x in c.columns)
        if c.kind in ("map", "pair"):
            missing, unexpected = counts[id(c)]
            ignored = c.ignored if c.ignored is not None else f"{_q(c.columns[0])} is null"
            examples: list = []
            if c.regex is not None and odd_counts[id(c)]:  # values RE2 and Python's re might read differently: use re
                col = _q(c.columns[0])
                odd = con.execute(f"select {col} from {rel} where {_odd(c)}").fetchall()
                pattern = re.compile(c.regex)
                rejected = [v for (v,) in odd if not pattern.search(v)]
                unexpected += len(rejected)
                examples = rejected[:EXAMPLES]
            if unexpected and len(examples) < EXAMPLES:
                fetched = con.execute(
                    f"select {cols} from {rel} where not ({ignored}) and ({c.unexpected}) limit {EXAMPLES}"
                ).fetchall()
                examples += [list(r) if c.kind == "pair" else r[0] for r in fetched][: EXAMPLES - len(examples)]
            if c.kind == "pair":
                missing = 0  # GX counts no missing rows for a pair it ignores
            nonmissing = element - missing
            success = nonmissing == 0 or (nonmissing - unexpected) / nonmissing >= c.mostly
            if c.ignored == "false":  # not_null: every row counts, no missing figures
                result = _summary(element, 0, unexpected, [None] * min(unexpected, EXAMPLES), with_missing=False)
            else:
                result = _summary(element, missing, unexpected, _plain(examples))
            out.append((success, result))
            continue
        # uniqueness: every row whose value (or combination) occurs more than once is unexpected
        present = _present(c)
        missing = absent[id(c)]
        # in hash partitions of the key, so that each GROUP BY of a big table fits the memory limit
        parts = max(1, -(-element // per_partition))
        unexpected = 0
        for part in range(parts):
            where = present if parts == 1 else f"({present}) and hash({cols}) % {parts} = {part}"
            (found,) = con.execute(
                f"select coalesce(sum(n), 0) from "
                f"(select count(*) as n from {key_rel} where {where} group by {cols} having count(*) > 1)"
            ).fetchone()
            unexpected += found
        examples = []
        if unexpected:
            fetched = con.execute(
                f"select {cols}, count(*) as n from {key_rel} where {present} group by {cols} "
                f"having count(*) > 1 limit {EXAMPLES}"
            ).fetchall()
            for r in fetched:
                value = r[0] if c.kind == "unique" else dict(zip(c.columns, r[:-1], strict=True))
                examples += [_plain(value)] * r[-1]
            examples = examples[:EXAMPLES]
        out.append((unexpected == 0, _summary(element, missing, int(unexpected), examples)))
    return out


def _odd(c: Check) -> str:
    """The values of a regex check that are not printable ASCII (matched with Python's re)."""
    col = _q(c.columns[0])
    return f"{col} is not null and not {_PRINTABLE.format(col=col)}"
