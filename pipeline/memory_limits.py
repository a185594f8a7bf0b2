"""DuckDB memory limits as it spells them ("476.8 MiB") or accepts them ("500MB"), and the operator's error when
DuckDB runs out of memory under one."""

from __future__ import annotations

import re

import duckdb

from pipeline.errors import BuildOutOfMemoryError

_UNITS = {"bytes": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40, "pib": 2**50}
_UNITS |= {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "pb": 10**15}


def limit_parts(spelled: str) -> tuple[str, str] | None:
    """A memory limit as DuckDB spells or accepts it ("366.2 MiB", "160MB"): its number and its unit
    (as written; "" for bytes); None if it is not one."""
    match = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", spelled)
    if not match or match.group(2).lower() not in _UNITS | {"": 1}:
        return None
    return match.group(1), match.group(2)


def limit_bytes(spelled: str) -> float | None:
    """A memory limit as DuckDB spells or accepts it, in bytes; None if it is not one."""
    parts = limit_parts(spelled)
    return float(parts[0]) * _UNITS[parts[1].lower() or "bytes"] if parts else None


def current_limit_bytes(con: duckdb.DuckDBPyConnection) -> float | None:
    """The connection's memory limit in bytes (None: DuckDB spelled it in a way not understood)."""
    return limit_bytes(con.execute("select current_setting('memory_limit')").fetchall()[0][0])


def out_of_memory(
    con: duckdb.DuckDBPyConnection,
    where: str,
    exc: Exception,
    *,
    what: str = "the warehouse build",
    outcome: str = "nothing was published",
) -> BuildOutOfMemoryError:
    """An operator's error for DuckDB running out of memory in ``where`` (a model's key, the step of
    the build between models, or the table the gate was checking): the limit it ran under, the setting
    that sets it, and what became of the run (``outcome``)."""
    limit = con.execute("select current_setting('memory_limit')").fetchone()[0]
    detail = str(exc).split("\n", 1)[0].removeprefix("Out of Memory Error: ")
    return BuildOutOfMemoryError(
        f"{what} ran out of memory in {where} under DuckDB's memory limit of {limit} "
        f"(PIPELINE_DUCKDB_MEMORY_LIMIT; DuckDB: {detail}); {outcome}: raise "
        "PIPELINE_DUCKDB_MEMORY_LIMIT (e.g. 2GB) and run again"
    )
