"""Read the quarantine back for operators, straight from its Parquet files, so
it shows the rejects of a refused batch too (the warehouse may be older)."""

from __future__ import annotations

import glob
from pathlib import Path

import duckdb

from pipeline.landing.lake import dataset_glob
from pipeline.sql_text import sql_list


def rejected_records(quarantine_dir: Path, *, entity: str | None = None, limit: int = 20) -> tuple[int, list[dict]]:
    """(total rejected, first ``limit`` rows ordered by source, entity, location)."""
    files = sorted(glob.glob(dataset_glob(quarantine_dir, entity or "*")))
    if not files:
        return 0, []
    con = duckdb.connect()
    try:
        con.execute(f"create view quarantine as select * from read_parquet({sql_list(files)}, hive_partitioning = true)")
        total = con.execute("select count(*) from quarantine").fetchall()[0][0]
        cursor = con.execute(
            "select source, entity, location, error, raw from quarantine order by source, entity, location limit ?",
            [limit],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return total, rows
