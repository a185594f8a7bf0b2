"""Read the quarantine table back for operators."""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipeline.errors import NotFoundError


def rejected_records(warehouse: Path, *, entity: str | None = None, limit: int = 20) -> tuple[int, list[dict]]:
    """(total rejected, first ``limit`` rows ordered by source, entity, location)."""
    if not warehouse.exists():
        raise NotFoundError(f"no warehouse at {warehouse}; run `pipeline run` first")
    where, params = ("where entity = ?", [entity]) if entity else ("", [])
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        total = con.execute(f"select count(*) from quarantine {where}", params).fetchall()[0][0]
        cursor = con.execute(
            f"select source, entity, location, error, raw from quarantine {where} "
            "order by source, entity, location limit ?",
            [*params, limit],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return total, rows
