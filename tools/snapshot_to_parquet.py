#!/usr/bin/env python3
"""Write an OpenAlex snapshot in JSON Lines (the old ``data/<entity>/`` layout or the 2026
``data/jsonl/`` one) as the 2026 Parquet variant, for tests and trials of the Parquet reader.

    python tools/snapshot_to_parquet.py SRC OUT [--abstract map|json] [--row-group-rows N]

Writes, for every works/authors part of SRC (rows in line order, snappy-compressed)::

    OUT/data/parquet/<entity>/updated_date=YYYY-MM-DD/part_NNNN.parquet
    OUT/data/parquet/manifest.json      (every entity, shaped as data/jsonl/manifest.json)
    OUT/legacy-data/merged_ids/authors/*.csv.gz   (copied: 2026 snapshots keep merged ids there)

The columns mirror the JSON record, as the reader assumes (see
``pipeline/sources/openalex/parquet_parts.py``): nested objects become STRUCT columns and arrays
LIST columns, inferred from all the part's records (a key missing from a record is null there);
strings stay strings. The free-keyed ``abstract_inverted_index`` (``{word: [positions]}``) is a
``MAP<string, list<int64>>`` column, or JSON text with ``--abstract json``. A line that is not a
JSON object cannot be a row: the tool stops and names it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.sources.openalex.snapshot import OpenAlexSnapshot

FREE_KEYED = ("abstract_inverted_index",)
ABSTRACT_MAP = pa.map_(pa.string(), pa.list_(pa.int64()))


def records_table(records: list[dict], *, abstract: str = "map") -> pa.Table:
    """The Parquet table of ``records`` (JSON objects), columns mirroring the JSON."""
    free = {key: [r.get(key) for r in records] for key in FREE_KEYED if any(key in r for r in records)}
    rest = [{k: v for k, v in r.items() if k not in free} for r in records]
    table = pa.Table.from_struct_array(pa.array(rest)) if any(rest) else pa.table({"_": [None] * len(rest)}).drop(["_"])
    for key, values in free.items():
        if abstract == "json":
            column = pa.array([None if v is None else json.dumps(v) for v in values], type=pa.string())
        else:
            column = pa.array([None if v is None else list(v.items()) for v in values], type=ABSTRACT_MAP)
        table = table.append_column(key, column)
    return table


def write_part(path: Path, records: list[dict], *, abstract: str = "map", row_group_rows: int = 100_000) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(records_table(records, abstract=abstract), path, compression="snappy", row_group_size=row_group_rows)
    return path.stat().st_size


def _json_records(item) -> list[dict]:
    records = []
    for number, raw in item.records():
        try:
            record = json.loads(raw)
        except ValueError as exc:
            raise SystemExit(
                f"{item.source_file}:{number}: not JSON ({exc}); a Parquet row needs a JSON object"
            ) from None
        if not isinstance(record, dict):
            raise SystemExit(f"{item.source_file}:{number}: not a JSON object; a Parquet row needs one")
        records.append(record)
    return records


def convert(src: Path, out: Path, *, abstract: str = "map", row_group_rows: int = 100_000) -> Path:
    """Write the Parquet variant of the snapshot at ``src`` under ``out``; returns ``out``."""
    entries: dict[str, list[dict]] = {}
    for item in OpenAlexSnapshot(src).files():
        if item.entity == "merged_authors":
            target = out / "legacy-data" / "merged_ids" / "authors" / item.path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(item.path, target)
            continue
        number = int("".join(c for c in item.path.name.split(".")[0] if c.isdigit()) or 0)
        relative = f"{item.path.parent.name}/part_{number:04d}.parquet"
        records = _json_records(item)
        size = write_part(
            out / "data" / "parquet" / item.entity / relative, records, abstract=abstract, row_group_rows=row_group_rows
        )
        entries.setdefault(item.entity, []).append(
            {
                "url": f"s3://openalex/data/parquet/{item.entity}/{relative}",
                "meta": {"content_length": size, "record_count": len(records)},
            }
        )
    document = {"format": "parquet", "entities": {entity: {"entries": listed} for entity, listed in entries.items()}}
    (out / "data" / "parquet" / "manifest.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("src", type=Path, help="an OpenAlex snapshot in JSON Lines (the folder holding data/)")
    parser.add_argument("out", type=Path, help="where to write the Parquet variant (the folder to hold data/)")
    parser.add_argument("--abstract", choices=("map", "json"), default="map", help="abstract_inverted_index as")
    parser.add_argument("--row-group-rows", type=int, default=100_000, help="rows per Parquet row group")
    args = parser.parse_args(argv)
    convert(args.src, args.out, abstract=args.abstract, row_group_rows=args.row_group_rows)
    print(f"wrote {args.out / 'data' / 'parquet'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
