"""DuckDB memory limits as it spells them ("476.8 MiB") or accepts them ("500MB")."""

from __future__ import annotations

import re

import duckdb

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
