#!/usr/bin/env python3
"""Refresh one author in a big warehouse: how long the incremental build takes.

Writes a synthetic lake straight into Parquet (no landing: this measures the
build, not the landing) of N works (1-5 authors each, N/3 authors, 10,000
distinct names so that arXiv name matching has candidates, 2% of the works also
as an arXiv entry with the same DOI), builds it fully with ``pipeline.run.build``
(gate and publish included), then lands one author's refresh as two new lake
files (a newer version of every work of theirs, and their author record under a
new name) and builds again. That second build chooses incremental by itself;
the phases are timed from the build's own steps:

* build: lock, fingerprint, choosing the mode, copying the warehouse, finding the
  affected keys, running the models over the restricted inputs, the splice;
* gate: the warehouse gate on the whole result;
* publish: trust history, the swap, the Parquet and profile exports.

``--verify`` also builds the same lake fully in a second data dir and compares
every table (order-insensitive; quality_runs left out: each gate run has its own id).

    .venv/bin/python bench/incremental_bench.py --works 1000000 --out /tmp/incremental-bench
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.config import Settings  # noqa: E402
from pipeline.schemas.lake import ArxivEntryRow, AuthorRow, WorkRow  # noqa: E402
from pipeline.schemas.types import arrow_schema  # noqa: E402
from pipeline.storage.lake import partition  # noqa: E402
from pipeline.storage.layout import DataLayout  # noqa: E402
from pipeline.storage.parquet import write_table  # noqa: E402

AS_OF = date(2026, 1, 1)
FIRST = (
    "Wei Li Yan Jun Hao Maria Anna Elena Sofia Laura James John Robert Michael David Ahmed Ali Omar Hiroshi Yuki "
    "Priya Rahul Carlos Jose Pierre Jean Hans Karl Ivan Olga Lars Ingrid Kwame Amara Chidi Ngozi Min Ji Sven Astrid"
)
LAST = [
    f"{a}{b}"
    for a in ("Wang Zhang Chen Smith Garcia Muller Rossi Sato Kumar Kim".split())
    for b in (
        "",
        "son",
        "ez",
        "ini",
        "ova",
        "berg",
        "ski",
        "ian",
        "oglu",
        "er",
        "ford",
        "man",
        "etti",
        "ov",
        "sen",
        "ley",
        "ton",
        "ard",
        "ino",
        "ke",
        "ada",
        "ura",
        "hi",
        "da",
        "lo",
    )
]


WORST_CASE_NAMES = 10_000  # 40 first x 250 last names: ~33 authors per name at 1M works
NAMES_PER_AUTHOR = 10  # the default name space: ~10% of the authors share their name with another


def _names_sql(distinct: int) -> str:
    """A name for author number ``a`` out of ``distinct`` names. Up to 10,000 names: first x last
    name (``a`` mod ``distinct``, every name shared evenly: the worst case); more: a hash of
    ``a`` picks one of ``distinct`` names (a first name, a middle initial, a last name and from
    the 260,001st name a second last name), so a few names repeat and most do not."""
    first = ", ".join(f"'{n}'" for n in FIRST.split())
    last = ", ".join(f"'{n}'" for n in LAST)
    if distinct <= WORST_CASE_NAMES:
        return f"[{first}][1 + (a % {distinct}) % 40] || ' ' || [{last}][1 + ((a % {distinct}) // 40) % 250]"
    n = f"(hash(a, 7) % {distinct})::bigint"
    return (
        f"[{first}][1 + {n} % 40] || ' ' || chr((65 + ({n} // 40) % 26)::integer) || '. ' "
        f"|| [{last}][1 + ({n} // 1040) % 250] "
        f"|| case when {n} >= 260000 then '-' || [{last}][1 + ({n} // 260000) % 250] else '' end"
    )


def works_sql(start: int, stop: int, authors: int, updated: str, file_name: str, names: int) -> str:
    name = _names_sql(names)
    return f"""
    with w as (select i, hash(i, 1) as h from range({start}, {stop}) t(i)),
    entries as (
        select i, list({{
            'author_id': 'A' || (5100000000 + a), 'display_name': {name}, 'orcid': null::varchar,
            'author_position': case when j = 0 then 'first' else 'middle' end, 'position_index': j::bigint,
            'is_corresponding': j = 0, 'institution_ids': []::varchar[]
        }} order by j) as authorships
        from (select i, j, (hash(i, j + 10) % {authors})::bigint as a from w, range(0, 1 + (h % 5)::bigint) r(j))
        group by i
    )
    select 'W' || (4000000000 + w.i) as work_id, '10.5555/w' || w.i as doi,
        'Synthetic study ' || w.i || ' of topic ' || (w.i % 997) as title,
        (2000 + h % 25)::bigint as publication_year, make_date((2000 + h % 25)::bigint, 6, 1) as publication_date,
        'article' as type, (h % 100)::bigint as cited_by_count, 'S1' as source_id, 'Journal' as source_display_name,
        null::varchar as abstract, false as is_retracted, null::varchar as primary_topic_id, entries.authorships,
        [{{'topic_id': 'T' || (h % 300), 'display_name': 'Topic ' || (h % 300), 'score': 0.9,
           'subfield': 's', 'field': 'f', 'domain': 'd'}}] as topics,
        timestamp '{updated}' as updated_date, timestamp '2020-01-01' as created_date,
        'openalex-snapshot' as record_source, '{file_name}' as source_file, (w.i - {start} + 1)::bigint as line_number
    from w join entries using (i) order by w.i
    """


def authors_sql(start: int, stop: int, updated: str, file_name: str, names: int, rename: str | None = None) -> str:
    name = f"'{rename}'" if rename else _names_sql(names)
    return f"""
    select 'A' || (5100000000 + a) as author_id, null::varchar as orcid, {name} as display_name,
        10::bigint as openalex_works_count, 5::bigint as openalex_cited_by_count, 2::bigint as h_index,
        1::bigint as i10_index, []::varchar[] as last_known_institutions, timestamp '{updated}' as updated_date,
        timestamp '2020-01-01' as created_date, 'openalex-snapshot' as record_source,
        '{file_name}' as source_file, (a - {start} + 1)::bigint as line_number
    from (select range::bigint as a from range({start}, {stop}))
    """


def arxiv_sql(works_table: str, file_name: str, every: int = 50) -> str:
    return f"""
    select lpad(((i // 50) // 99999 + 1000)::varchar, 4, '0') || '.' || lpad(((i // 50) % 99999)::varchar, 5, '0')
            as arxiv_id,
        1::bigint as version, title, null::varchar as abstract,
        list_transform(authorships, lambda x: {{'name': x.display_name, 'position_index': x.position_index,
            'affiliations': []::varchar[]}}) as authors,
        'cs.LG' as primary_category, []::varchar[] as other_categories, doi, null::varchar as journal_ref,
        null::varchar as comment, timestamp '2020-01-01' as published_at, timestamp '2020-01-01' as updated_at,
        'arxiv-api' as record_source, '{file_name}' as source_file, row_number() over (order by i)::bigint as line_number
    from (select *, substr(work_id, 2)::bigint - 4000000000 as i from {works_table}) where i % {every} = 0
    """


def land(con, layout: DataLayout, sql: str, model, source: str, entity: str, day: date, key: str) -> int:
    table = con.sql(sql).to_arrow_table().cast(arrow_schema(model))
    write_table(layout.lake, table, f"{partition(layout.lake, source, entity, day)}/part-{key}.parquet")
    return table.num_rows


def generate(layout: DataLayout, works: int, per_file: int, log, arxiv_every: int, names: int) -> int:
    authors = max(works // 3, 1)
    con = duckdb.connect()
    day = date(2025, 1, 1)
    for number, start in enumerate(range(0, works, per_file)):
        stop = min(start + per_file, works)
        name = f"works-{number}.jsonl"
        con.execute(
            f"create or replace temp table chunk as {works_sql(start, stop, authors, '2025-01-01', name, names)}"
        )
        land(con, layout, "select * from chunk", WorkRow, "openalex-snapshot", "works", day, f"works-{number}")
        if arxiv_every:
            entries = arxiv_sql("chunk", f"arxiv-{number}.jsonl", arxiv_every)
            land(con, layout, entries, ArxivEntryRow, "arxiv-api", "arxiv_entries", day, f"arxiv-{number}")
        log(f"  works {stop:,}/{works:,}")
    for number, start in enumerate(range(0, authors, per_file)):
        stop = min(start + per_file, authors)
        land(
            con,
            layout,
            authors_sql(start, stop, "2025-01-01", f"authors-{number}.jsonl", names),
            AuthorRow,
            "openalex-snapshot",
            "authors",
            day,
            f"authors-{number}",
        )
    con.close()
    return authors


def refresh_one_author(layout: DataLayout, warehouse: Path, authors: int, names: int) -> dict:
    """New versions of every work of one author with a typical number of works, and their author record."""
    con = duckdb.connect(str(warehouse), read_only=True)
    author_id, count = con.execute(
        "select author_id, works_count from profiles where works_count between 8 and 15 order by author_id limit 1"
    ).fetchall()[0]
    work_ids = [
        r[0] for r in con.execute("select work_id from authorships where author_id = ?", [author_id]).fetchall()
    ]
    con.close()
    day = date(2025, 2, 1)
    lake = duckdb.connect()
    numbers = sorted(int(w[1:]) - 4000000000 for w in work_ids)
    parts = []
    for i in numbers:
        parts.append(works_sql(i, i + 1, authors, "2025-02-01", "refresh-works.jsonl", names))
    union = " union all ".join(f"select * from ({p})" for p in parts)
    lake.execute(
        f"create temp table refreshed as select * replace (cited_by_count + 1 as cited_by_count, "
        f"row_number() over (order by work_id)::bigint as line_number) from ({union})"
    )
    land(lake, layout, "select * from refreshed", WorkRow, "openalex-snapshot", "works", day, "refresh-works")
    a = int(author_id[1:]) - 5100000000
    land(
        lake,
        layout,
        authors_sql(a, a + 1, "2025-02-01", "refresh-authors.jsonl", names, rename="Refreshed Name"),
        AuthorRow,
        "openalex-snapshot",
        "authors",
        day,
        "refresh-authors",
    )
    lake.close()
    return {"author_id": author_id, "works": count}


class _TimedConnection:
    """A DuckDB connection that times every ``execute`` (the incremental build's queries)."""

    def __init__(self, con, queries: list):
        self._con = con
        self._queries = queries

    def execute(self, sql, *args, **kwargs):
        started = time.perf_counter()
        try:
            return self._con.execute(sql, *args, **kwargs)
        finally:
            self._queries.append((time.perf_counter() - started, " ".join(str(sql).split())[:200]))

    def __getattr__(self, name):
        return getattr(self._con, name)


class _TimedDuckDB:
    """Stands in for the ``duckdb`` module in pipeline.warehouse.incremental: its connections are timed."""

    def __init__(self, queries: list):
        self._queries = queries

    def connect(self, *args, **kwargs):
        return _TimedConnection(duckdb.connect(*args, **kwargs), self._queries)

    def __getattr__(self, name):
        return getattr(duckdb, name)


def timed_build(settings: Settings, slowest: int = 0) -> dict:
    """One ``pipeline.run.build``, timed per step (from one step of the build's own to the next; the
    models grouped by layer), gate and publish apart; ``slowest``: also the N slowest queries of an
    incremental build."""
    from pipeline import run
    from pipeline.warehouse import incremental

    marks: list[tuple[str, float]] = []
    queries: list[tuple[float, str]] = []
    started = time.perf_counter()

    def on_step(step: str) -> None:
        marks.append((step, time.perf_counter()))

    publish = run.publish_warehouse

    def timed_publish(*args, **kwargs):
        marks.append(("publish", time.perf_counter()))
        return publish(*args, **kwargs)

    run.publish_warehouse = timed_publish
    if slowest:
        incremental.duckdb = _TimedDuckDB(queries)
    try:
        report = run.build(settings, on_step=on_step)
    finally:
        run.publish_warehouse = publish
        incremental.duckdb = duckdb
    ended = time.perf_counter()
    gate = next(t for step, t in marks if step == "quality gate")
    steps: dict[str, float] = {}
    bounds = [("start (lock, fingerprint, mode, copy)", started), *marks, ("end", ended)]
    for (step, t0), (_, t1) in zip(bounds, bounds[1:], strict=False):
        if step.startswith(("staging.", "intermediate.", "marts.")):
            step = "models: " + step.split(".", 1)[0]
        elif step.startswith("incremental: context"):
            step = "incremental: context"
        steps[step] = round(steps.get(step, 0.0) + t1 - t0, 2)
    result = {
        "mode": report.mode,
        "reason": report.mode_reason,
        "incremental": report.incremental,
        "build_s": round(gate - started, 2),
        "gate_and_publish_s": round(ended - gate, 2),
        "total_s": round(ended - started, 2),
        "steps_s": steps,
        "row_counts": report.row_counts,
    }
    if slowest and report.mode == "incremental":
        result["queries_s"] = round(sum(s for s, _ in queries), 2)
        result["slowest_queries"] = [[round(s, 2), q] for s, q in sorted(queries, reverse=True)[:slowest]]
    return result


def shared_names(layout: DataLayout) -> float:
    """The share of the authors whose name (as their record gives it) another author has too."""
    con = duckdb.connect()
    layout.lake.attach(con)
    files = layout.lake.for_duckdb(
        f"{partition(layout.lake, 'openalex-snapshot', 'authors', date(2025, 1, 1))}/*.parquet"
    )
    share = con.execute(
        "select avg((n > 1)::integer) from (select count(*) over (partition by display_name) as n "
        f"from read_parquet('{files}'))"
    ).fetchall()[0][0]
    con.close()
    return round(share, 4)


def compare(a: Path, b: Path) -> dict:
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only)")
    con.execute(f"attach '{b}' as b (read_only)")
    tables = [
        r[0]
        for r in con.execute(
            "select table_schema || '.' || table_name from information_schema.tables where table_catalog = 'a' "
            "order by 1"
        ).fetchall()
    ]
    found = {}
    for t in tables:
        if t == "main.quality_runs" or t.startswith("incremental.changed_"):  # gate runs; the last change
            continue
        x = con.execute(f"select count(*) from (select * from a.{t} except all select * from b.{t})").fetchall()[0][0]
        y = con.execute(f"select count(*) from (select * from b.{t} except all select * from a.{t})").fetchall()[0][0]
        if x or y:
            found[t] = (x, y)
    con.close()
    return found


def _restore(source: Path, target: Path) -> subprocess.Popen | None:
    """``target`` as a copy of ``source``: hard links (the builds write new files and rename them;
    the lake, the exports and the history files are never rewritten in place), but real copies of
    what is (the DuckDB files, the GX project, the lock). Mtimes stay (the input listing records them)."""
    if target.exists():  # out of the way at once, deleted in the background (hundreds of thousands of files)
        trash = target.with_name(f"{target.name}.trash-{os.getpid()}-{time.time_ns()}")
        target.rename(trash)
        cleanup = subprocess.Popen(["rm", "-rf", str(trash)])
    else:
        cleanup = None
    subprocess.run(["cp", "-al", str(source), str(target)], check=True)
    for path in [*target.rglob("*.duckdb*"), *(target / "quality").rglob("*"), target / ".pipeline.lock"]:
        if path.is_file() and not path.is_symlink():  # written in place: the DuckDB files, GX's, the lock
            path.unlink()
            shutil.copy2(source / path.relative_to(target), path)
    return cleanup  # the caller waits for it before measuring


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--works", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=50_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/incremental-bench"))
    parser.add_argument(
        "--memory-limit",
        default="8GB",
        help="PIPELINE_DUCKDB_MEMORY_LIMIT for the builds (default 8GB: the 1M figures in BENCHMARKS.md were measured "
        "under it; the pipeline's own default is 500MB, measured here at 300k works, not yet at 1M)",
    )
    parser.add_argument("--arxiv-every", type=int, default=50, help="one work in N also as an arXiv entry; 0: none")
    parser.add_argument(
        "--distinct-names",
        type=int,
        default=None,
        help=f"distinct author names (default: {NAMES_PER_AUTHOR} per author, ~10%% of the authors share a name; "
        f"{WORST_CASE_NAMES}: the worst case, every name shared by ~33 authors at 1M works)",
    )
    parser.add_argument("--verify", action="store_true", help="also build fully and compare every table")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep a copy of the data dir after the full build (<data dir>.base) and, when there is one, "
        "start from it: no generating, no full build, only the refresh and the incremental build",
    )
    parser.add_argument("--base", type=Path, default=None, help="with --reuse: the copy (default <data dir>.base)")
    parser.add_argument(
        "--restamp",
        action="store_true",
        help="with --reuse: record the current code fingerprint as the base's, so that a base built by other "
        "code still builds incrementally (sound only when the code change leaves a full build's output as it was)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="incremental builds, each from the base (with --reuse)")
    parser.add_argument("--slowest", type=int, default=12, help="list the N slowest queries of the incremental build")
    args = parser.parse_args()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    names = args.distinct_names or NAMES_PER_AUTHOR * max(args.works // 3, 1)
    data_dir = args.out / f"works-{args.works}-arxiv-{args.arxiv_every}-names-{names}"
    base = args.base or data_dir.with_name(data_dir.name + ".base")
    settings = Settings(data_dir=data_dir, as_of=AS_OF, duckdb_memory_limit=args.memory_limit)
    layout = DataLayout.of(settings)
    load = os.getloadavg()[0]
    authors = max(args.works // 3, 1)
    generated_s = full = None
    if args.reuse and base.is_dir():
        log(f"reusing the full build in {base}")
    else:
        shutil.rmtree(data_dir, ignore_errors=True)
        t = time.perf_counter()
        log(f"generating {args.works:,} works into {layout.lake_uri}")
        generate(layout, args.works, args.per_file, log, args.arxiv_every, names)
        generated_s = round(time.perf_counter() - t, 1)
        log("full build")
        full = timed_build(settings)
        log(json.dumps(full))
        if args.reuse:
            _restore(data_dir, base)
    runs = []
    for _ in range(max(args.repeat, 1)):
        if args.reuse:
            cleanup = _restore(base, data_dir)
            if cleanup is not None:
                cleanup.wait()  # not while the build is timed
            if args.restamp:
                from pipeline.storage.reports import read_report, write_report
                from pipeline.warehouse.fingerprint import code_fingerprint

                report = read_report(layout, "build")
                report["code_fingerprint"] = code_fingerprint(settings)
                write_report(layout, "build", report)
        refreshed = refresh_one_author(layout, layout.warehouse_path, authors, names)
        log(f"refreshing {refreshed} (load {os.getloadavg()[0]:.2f})")
        runs.append({**timed_build(settings, slowest=args.slowest), "load_average": round(os.getloadavg()[0], 2)})
        log(json.dumps(runs[-1]))
    incremental = runs[0] if len(runs) == 1 else runs
    result = {
        "works": args.works,
        "authors": authors,
        "arxiv_every": args.arxiv_every,
        "distinct_names": names,
        "authors_sharing_a_name": shared_names(layout),
        "generate_s": generated_s,
        "load_average_at_start": load,
        "cores": os.cpu_count(),
        "warehouse_mb": round(layout.warehouse_path.stat().st_size / 1e6),
        "refreshed": refreshed,
        "full": full,
        "incremental": incremental,
    }
    if args.verify:
        other = settings.model_copy(
            update={"data_dir": args.out / f"works-{args.works}-full", "lake_uri": layout.lake_uri}
        )
        shutil.rmtree(other.data_dir, ignore_errors=True)
        from pipeline.storage.publish import swap_in
        from pipeline.warehouse.build import build_warehouse

        built = build_warehouse(other, as_of=AS_OF)
        swap_in(built.path, DataLayout.of(other).warehouse_path)
        result["differences_from_full_rebuild"] = compare(layout.warehouse_path, DataLayout.of(other).warehouse_path)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
