"""Read the quarantine back for operators, straight from its Parquet files, so
it shows the rejects of a refused batch too (the warehouse may be older)."""

from __future__ import annotations

import csv
import json
from typing import TextIO

import duckdb

from pipeline.sql_text import sql_list
from pipeline.storage.lake import dataset_files
from pipeline.storage.store import Store


def rejected_records(quarantine: Store, *, entity: str | None = None, limit: int = 20) -> tuple[int, list[dict]]:
    """(total rejected, first ``limit`` rows ordered by source, entity, file and line)."""
    files = dataset_files(quarantine, entity or "*")
    if not files:
        return 0, []
    con = duckdb.connect()
    try:
        quarantine.attach(con)
        paths = sql_list([quarantine.for_duckdb(f) for f in files])
        con.execute(f"create view quarantine as select * from read_parquet({paths}, hive_partitioning = true)")
        total = con.execute("select count(*) from quarantine").fetchall()[0][0]
        cursor = con.execute(
            "select source, entity, source_file, line_number, source_file || ':' || line_number as location, error, raw "
            "from quarantine "
            "order by source, entity, source_file, line_number limit ?",
            [limit],
        )
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return total, rows


FIELDS = ("source", "entity", "source_file", "line_number", "location", "error", "raw")


def write_json(out: TextIO, total: int, rows: list[dict]) -> None:
    """``{"total": N, "records": [...]}``: every field in full, for scripts."""
    json.dump({"total": total, "records": [{k: row[k] for k in FIELDS} for row in rows]}, out, indent=2)
    out.write("\n")


def write_csv(out: TextIO, rows: list[dict]) -> None:
    writer = csv.DictWriter(out, fieldnames=FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def reasons(quarantine: Store) -> list[tuple[str, str, int]]:
    """(entity, reason, records) of everything in the quarantine, most records first."""
    files = dataset_files(quarantine)
    if not files:
        return []
    con = duckdb.connect()
    try:
        quarantine.attach(con)
        paths = sql_list([quarantine.for_duckdb(f) for f in files])
        return [
            (row[0], row[1], row[2])
            for row in con.execute(
                f"select entity, error, count(*) as records from read_parquet({paths}, hive_partitioning = true) "
                "group by all order by records desc, entity, error"
            ).fetchall()
        ]
    finally:
        con.close()
