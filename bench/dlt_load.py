#!/usr/bin/env python3
"""The dlt contender: load the works of a snapshot into DuckDB with dlt's Parquet loader.

    .venv/bin/python bench/dlt_load.py SNAPSHOT OUT_DIR [arrow|dicts]

Reads the same works part files as the DuckDB baseline (gzipped JSON Lines) and keeps the same
columns (core fields, the authorships with their authors and institutions, the topics). Two ways
of handing them to a dlt resource, both loaded with ``loader_file_format="parquet"`` into a
DuckDB file:

- ``arrow`` (default; dlt's fast path): pyarrow's JSON reader parses each part file with the
  baseline's typed schema into Arrow record batches; dlt writes them to Parquet load files
  as they are (authorships and topics stay nested list columns, as in the baseline) and loads them.
- ``dicts`` (dlt's usual path for JSON): each line parsed (orjson) and projected to a dict, handed
  over in pages; dlt infers the schema and its normaliser unnests the lists into child tables
  (``works__authorships``, ``works__authorships__institutions``, ``works__topics``). Much slower:
  the normaliser is per-row Python.

Needs the ``bench`` dependency group (``uv sync --group bench``, which ``make bench`` runs).
Telemetry is off and everything stays under OUT_DIR (pipeline working dir and the database).
Prints one JSON line: row counts per table and the seconds of dlt's extract/normalize/load steps.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from pathlib import Path

PAGE = 2_000  # records per page handed to dlt (dlt recommends yielding lists)


def works_files(snapshot: Path) -> list[Path]:
    return sorted((snapshot / "data" / "works").glob("updated_date=*/part_*.gz"))


def project(record: dict) -> dict:
    """The baseline's columns (bench/run_bench.py BASELINE_COLUMNS), as a dict for dlt."""
    source = (record.get("primary_location") or {}).get("source") or {}
    return {
        "id": record["id"],
        "doi": record.get("doi"),
        "title": record.get("title"),
        "publication_year": record.get("publication_year"),
        "publication_date": record.get("publication_date"),
        "type": record.get("type"),
        "cited_by_count": record.get("cited_by_count"),
        "updated_date": record.get("updated_date"),
        "source_id": source.get("id"),
        "source_display_name": source.get("display_name"),
        "authorships": [
            {
                "author_position": a.get("author_position"),
                "author": {k: (a.get("author") or {}).get(k) for k in ("id", "display_name", "orcid")},
                "institutions": [
                    {k: i.get(k) for k in ("id", "display_name", "country_code")} for i in a.get("institutions") or []
                ],
                "is_corresponding": a.get("is_corresponding"),
                "raw_author_name": a.get("raw_author_name"),
            }
            for a in record.get("authorships") or []
        ],
        "topics": [
            {
                "id": t.get("id"),
                "display_name": t.get("display_name"),
                "score": t.get("score"),
                **{f"{k}_id": (t.get(k) or {}).get("id") for k in ("subfield", "field", "domain")},
                **{f"{k}_display_name": (t.get(k) or {}).get("display_name") for k in ("subfield", "field", "domain")},
            }
            for t in record.get("topics") or []
        ],
    }


def arrow_schema():
    import pyarrow as pa

    ref = pa.struct([("id", pa.string()), ("display_name", pa.string())])
    inst = pa.struct([("id", pa.string()), ("display_name", pa.string()), ("country_code", pa.string())])
    author = pa.struct([("id", pa.string()), ("display_name", pa.string()), ("orcid", pa.string())])
    return pa.schema(
        [
            ("id", pa.string()),
            ("doi", pa.string()),
            ("title", pa.string()),
            ("publication_year", pa.int32()),
            ("publication_date", pa.string()),
            ("type", pa.string()),
            ("cited_by_count", pa.int64()),
            ("updated_date", pa.timestamp("us")),
            (
                "primary_location",
                pa.struct(
                    [("source", pa.struct([("id", pa.string()), ("display_name", pa.string()), ("type", pa.string())]))]
                ),
            ),
            (
                "authorships",
                pa.list_(
                    pa.struct(
                        [
                            ("author_position", pa.string()),
                            ("author", author),
                            ("institutions", pa.list_(inst)),
                            ("is_corresponding", pa.bool_()),
                            ("raw_author_name", pa.string()),
                        ]
                    )
                ),
            ),
            (
                "topics",
                pa.list_(
                    pa.struct(
                        [
                            ("id", pa.string()),
                            ("display_name", pa.string()),
                            ("score", pa.float64()),
                            ("subfield", ref),
                            ("field", ref),
                            ("domain", ref),
                        ]
                    )
                ),
            ),
        ]
    )


def arrow_batches(files: list[Path]):
    """Record batches of the baseline's columns, file by file (pyarrow's streaming JSON reader)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    parse = pj.ParseOptions(explicit_schema=arrow_schema(), unexpected_field_behavior="ignore")
    read = pj.ReadOptions(block_size=8 << 20)
    for path in files:
        with pa.input_stream(str(path), compression="gzip") as stream:
            for batch in pj.open_json(stream, read_options=read, parse_options=parse):
                source = pc.struct_field(batch.column("primary_location"), "source")
                yield pa.RecordBatch.from_arrays(
                    [batch.column(c) for c in ("id", "doi", "title", "publication_year")]
                    + [pc.cast(batch.column("publication_date"), pa.date32())]
                    + [batch.column(c) for c in ("type", "cited_by_count", "updated_date")]
                    + [
                        pc.struct_field(source, "id"),
                        pc.struct_field(source, "display_name"),
                        batch.column("authorships"),
                        batch.column("topics"),
                    ],
                    names=[
                        "id",
                        "doi",
                        "title",
                        "publication_year",
                        "publication_date",
                        "type",
                        "cited_by_count",
                        "updated_date",
                        "source_id",
                        "source_display_name",
                        "authorships",
                        "topics",
                    ],
                )


def dict_pages(files: list[Path]):
    import orjson

    for path in files:
        page = []
        with gzip.open(path, "rb") as handle:
            for line in handle:
                page.append(project(orjson.loads(line)))
                if len(page) >= PAGE:
                    yield page
                    page = []
        if page:
            yield page


def main(argv: list[str]) -> int:
    snapshot, out_dir = Path(argv[0]), Path(argv[1])
    mode = argv[2] if len(argv) > 2 else "arrow"
    if mode not in ("arrow", "dicts"):
        raise SystemExit(f"mode must be arrow or dicts, not {mode!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    # Before dlt reads its configuration: no telemetry (no network), parallel normalize, and load
    # files rotated so that the normalize workers have several files to share.
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    os.environ.setdefault("NORMALIZE__WORKERS", str(os.cpu_count() or 1))
    os.environ.setdefault("DATA_WRITER__FILE_MAX_ITEMS", "100000")
    os.environ.setdefault("DLT_DATA_DIR", str(out_dir / "dlt-home"))

    import dlt

    files = works_files(snapshot)

    @dlt.resource(name="works", write_disposition="replace")
    def works():
        yield from (arrow_batches(files) if mode == "arrow" else dict_pages(files))

    pipeline = dlt.pipeline(
        pipeline_name="bench_works",
        destination=dlt.destinations.duckdb(str(out_dir / "works.duckdb")),
        dataset_name="openalex",
        pipelines_dir=str(out_dir / "pipelines"),
    )
    started = time.perf_counter()
    pipeline.run(works(), loader_file_format="parquet")
    total = time.perf_counter() - started
    trace = pipeline.last_trace
    steps = {s.step: (s.finished_at - s.started_at).total_seconds() for s in trace.steps if s.finished_at}
    tables = ["works"] + (
        ["works__authorships", "works__authorships__institutions", "works__topics"] if mode == "dicts" else []
    )
    with pipeline.sql_client() as client:
        rows = {t: client.execute_sql(f"select count(*) from {t}")[0][0] for t in tables}
        if mode == "arrow":
            # dlt keeps nested Arrow columns as JSON
            rows["authorships (in the JSON column)"] = client.execute_sql(
                "select sum(json_array_length(authorships)) from works"
            )[0][0]
    print(
        json.dumps(
            {
                "rows": rows["works"],
                "row_counts": rows,
                "steps": steps,
                "run_seconds": total,
                "mode": mode,
                "dlt": dlt.__version__,
                "normalize_workers": int(os.environ["NORMALIZE__WORKERS"]),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
