#!/usr/bin/env python3
"""Benchmark the pipeline against a plain DuckDB ``read_json`` baseline on one snapshot.

    .venv/bin/python bench/run_bench.py --works 50000
    .venv/bin/python bench/run_bench.py --snapshot /tmp/snap      # reuse a snapshot

Every contender runs in its own subprocess; wall time is measured around it and peak
RSS comes from ``os.wait4`` (the child's own ``ru_maxrss``, so earlier children do not
leak into later figures). Contenders:

- ``pipeline``: ``pipeline run --source openalex-snapshot:PATH --data-dir <fresh tmp>``
  (lands works + authors + merged ids through pydantic, runs the GX gates, builds and
  publishes the DuckDB warehouse);
- ``duckdb read_json``: ``read_json`` with explicitly typed columns over the works part
  files, core fields only, ``COPY ... TO ... (FORMAT parquet)``; once with DuckDB's
  default threads and once with ``threads=1``;
- ``pipeline phases`` (optional): the same work through ``pipeline.run.land_sources`` and
  ``pipeline.run.build`` in Python, timed per phase;
- a ``cProfile`` of the landing (``pipeline.landing.land.land``, no gate) on a small
  snapshot.

Results are printed and written between the ``bench:begin``/``bench:end`` markers of
``BENCHMARKS.md`` (text outside the markers is kept), plus ``bench/results/latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PYTHON = Path(sys.executable)
PIPELINE_BIN = PYTHON.parent / "pipeline"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
AS_OF = "2026-01-01"
DEFAULT_CONTENDERS = "baseline,baseline-1thread,pipeline,dlt"
# The targets of issue 9: `pipeline run` end to end at >= SPEED_TARGET x the raw typed DuckDB read's
# throughput (same run, same files); peak RSS (process tree) <= MEMORY_TARGET_MB at 2M works, and flat
# in input size (see bench/scaling.py).
SPEED_TARGET = 0.5
MEMORY_TARGET_MB = 1536


def dlt_version() -> str | None:
    import importlib.metadata as md

    try:
        return md.version("dlt")
    except md.PackageNotFoundError:
        return None


def target_lines(result: dict) -> list[str]:
    """Plain statements of whether this run meets the targets, computed from its figures."""
    n, runs = result["snapshot"]["works"], result["contenders"]
    p = runs.get("pipeline")
    if not p:
        return [f"{n:,} works: `pipeline` not run, targets not checked."]
    if p["wall"] is None:
        return [
            f"**{n:,} works: `pipeline run` FAILED (exit {p['failed']}) after {p['failed_after']} s, "
            f"peak RSS {p['tree_rss_mb']:,.0f} MB: speed and memory targets not met (no complete run).**"
        ]
    ratio = result["ratio"]
    tree = p["tree_rss_mb"]
    speed = "met" if ratio >= SPEED_TARGET else "missed"
    memory = "met" if tree <= MEMORY_TARGET_MB else "missed"
    return [
        f"**{n:,} works, speed: {speed}.** `pipeline run` {n / p['wall']:,.0f} works/s = {ratio:.3f}x the raw typed "
        f"DuckDB read ({n / runs['baseline']['wall']:,.0f} works/s); target >= {SPEED_TARGET}x.",
        f"**{n:,} works, memory: {memory}.** `pipeline run` peak RSS {tree:,.0f} MB (process tree); target "
        f"<= {MEMORY_TARGET_MB:,} MB (set for 2M works; flatness is judged across sizes by bench/scaling.py).",
    ]


# ------------------------------------------------------------------------------------
# Baseline: the columns the pipeline actually uses, typed up front.
# ------------------------------------------------------------------------------------
_REF = "STRUCT(id VARCHAR, display_name VARCHAR)"
_INST = "STRUCT(id VARCHAR, display_name VARCHAR, country_code VARCHAR)"
BASELINE_COLUMNS = {
    "id": "VARCHAR",
    "doi": "VARCHAR",
    "title": "VARCHAR",
    "publication_year": "INTEGER",
    "publication_date": "DATE",
    "type": "VARCHAR",
    "cited_by_count": "BIGINT",
    "updated_date": "TIMESTAMP",
    "primary_location": "STRUCT(source STRUCT(id VARCHAR, display_name VARCHAR, type VARCHAR))",
    "authorships": "STRUCT(author_position VARCHAR, author STRUCT(id VARCHAR, display_name VARCHAR, orcid VARCHAR), "
    f"institutions {_INST}[], is_corresponding BOOLEAN, raw_author_name VARCHAR)[]",
    "topics": f"STRUCT(id VARCHAR, display_name VARCHAR, score DOUBLE, subfield {_REF}, field {_REF}, domain {_REF})[]",
}
BASELINE_SELECT = (
    "id, doi, title, publication_year, publication_date, type, cited_by_count, updated_date, "
    "primary_location.source.id as source_id, primary_location.source.display_name as source_display_name, "
    "authorships, topics"
)


WARM_IMPORTS = (
    "import pipeline.cli, pipeline.run, pipeline.landing.land, pipeline.quality.gate, pipeline.warehouse.build, "
    "pandas, duckdb, pyarrow.parquet; import pipeline.quality.suites as s; s.gx_module()"
)


def works_files(snapshot: Path) -> list[str]:
    return sorted(p.as_posix() for p in (snapshot / "data" / "works").glob("updated_date=*/part_*.gz"))


# Deleting a run's data dir frees ~1M inodes at 2M works (~65k at 100k). On ext4 without a journal (this machine's)
# the inode allocator skips every free inode deleted in the last minute, or in the last six while its inode-table
# block is dirty (Linux's RECENTCY_MIN and RECENTCY_DIRTY; creating a file in that block dirties it again), which made
# creating the next export's files up to 2x slower (BENCHMARKS.md, "2026-12-03, night"). Waiting a minute after a
# delete was not enough: the 100k export took 9.8 s instead of ~7 s a minute after a 60k-file delete, and the 100k
# `pipeline run` 32.4 s instead of 24.2 s a few minutes after a 600k-file one (BENCHMARKS.md, "2026-12-04"). So a
# finished run's data dir is kept until the bench ends while the disk has room (KEEP_FREE_FACTOR times its size
# stays free beside it), and only then deleted, written back and waited out (SETTLE_SECONDS) before the next
# process's runs; a dir without room is deleted at once, with the same wait.
SETTLE_MIN_FILES = 10_000
SETTLE_SECONDS = 361  # RECENTCY_MIN + RECENTCY_DIRTY (60 s + 300 s) and one
KEEP_FREE_FACTOR = 2
_KEPT: list[tuple[Path, int]] = []  # finished run dirs and their file counts, deleted by remove_kept_run_dirs()


def _files_and_bytes(path: Path) -> tuple[int, int]:
    files = size = 0
    for folder, _, names in os.walk(path):
        for name in names:
            files += 1
            try:
                size += os.lstat(os.path.join(folder, name)).st_size
            except OSError:
                pass
    return files, size


def _delete_and_settle(paths: list[Path], files: int, settle: bool = True) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
    if settle and files >= SETTLE_MIN_FILES:
        print(
            f"  deleted {files:,} files: waiting {SETTLE_SECONDS} s before the next run (see remove_run_dir)",
            file=sys.stderr,
            flush=True,
        )
        os.sync()
        time.sleep(SETTLE_SECONDS)


def remove_run_dir(path: Path) -> None:
    """Free a finished run's data dir without slowing the runs after it: kept until the bench ends
    (:func:`remove_kept_run_dirs`) while the disk has room for it, else deleted and waited out."""
    files, size = _files_and_bytes(path)
    if files < SETTLE_MIN_FILES or shutil.disk_usage(path).free < KEEP_FREE_FACTOR * size:
        _delete_and_settle([path], files)
        return
    _KEPT.append((path, files))


def remove_kept_run_dirs(settle: bool = True) -> None:
    """Delete the run dirs :func:`remove_run_dir` kept; with ``settle``, wait the deleted inodes out
    (SETTLE_SECONDS) so that the next bench process's runs do not pay for them."""
    _delete_and_settle([path for path, _ in _KEPT], sum(files for _, files in _KEPT), settle=settle)
    _KEPT.clear()


def child_baseline(snapshot: Path, out_dir: Path, threads: int | None) -> None:
    import duckdb

    files = works_files(snapshot)
    con = duckdb.connect()
    if threads:
        con.execute(f"set threads = {threads}")
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in BASELINE_COLUMNS.items()) + "}"
    out = out_dir / "works.parquet"
    con.execute(
        f"copy (select {BASELINE_SELECT} from read_json({files!r}, columns = {columns}, "
        f"format = 'newline_delimited', compression = 'gzip')) to '{out.as_posix()}' (format parquet, compression zstd)"
    )
    rows = con.execute(f"select count(*) from read_parquet('{out.as_posix()}')").fetchone()[0]
    print(
        json.dumps(
            {
                "rows": rows,
                "threads": con.execute("select current_setting('threads')").fetchone()[0],
                "parquet_bytes": out.stat().st_size,
            }
        )
    )


# ------------------------------------------------------------------------------------
# Phases: the pipeline's own entry points, timed from the inside.
# ------------------------------------------------------------------------------------
def child_phases(snapshot: Path, data_dir: Path) -> None:
    from collections import defaultdict
    from datetime import date

    t_start = time.perf_counter()
    import resource

    import pipeline.landing.land as land_mod
    import pipeline.quality.gate as gate_mod
    import pipeline.quality.suites as suites_mod
    import pipeline.warehouse.build as build_mod
    from pipeline import run as pipeline_run
    from pipeline.config import Settings

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    phases: dict[str, float] = {"python imports": time.perf_counter() - t_start}
    peak: dict[str, float] = {"python imports": rss_mb()}
    settings = Settings().model_copy(update={"data_dir": data_dir, "as_of": date.fromisoformat(AS_OF)})

    t = time.perf_counter()
    suites_mod.gx_module()
    gate_mod.quality_project(settings)
    phases["great_expectations import + context"] = time.perf_counter() - t
    peak["great_expectations import + context"] = rss_mb()

    # Staging runs in worker processes when the input is large, so time the whole
    # staging step (all entities, wall clock) around the parent's generator.
    stage_seconds: dict[str, float] = defaultdict(float)
    stage_records: dict[str, int] = defaultdict(int)
    original_stage_all = land_mod._stage_all

    def timed_stage_all(todo, *args, **kwargs):
        t0 = time.perf_counter()
        entities = set()
        for index, entry in original_stage_all(todo, *args, **kwargs):
            stage_records[entry.report.entity] += entry.report.records
            entities.add(entry.report.entity)
            yield index, entry
        # one entity per land_sources call below, so the wall time is that entity's
        for entity in entities:
            stage_seconds[entity] += time.perf_counter() - t0

    land_mod._stage_all = timed_stage_all

    gate_seconds: dict[str, float] = {}
    original_landing_gate, original_warehouse_gate = gate_mod.landing_gate, gate_mod.warehouse_gate

    def landing_gate(settings_):
        inner = original_landing_gate(settings_)

        def gate(files):
            peak["staged"] = rss_mb()
            t0 = time.perf_counter()
            try:
                inner(files)
            finally:
                gate_seconds["landing"] = time.perf_counter() - t0

        return gate

    def warehouse_gate(settings_, **kwargs):
        inner = original_warehouse_gate(settings_, **kwargs)

        def gate(path):
            peak["models"] = rss_mb()
            t0 = time.perf_counter()
            try:
                return inner(path)
            finally:
                gate_seconds["warehouse"] = time.perf_counter() - t0
                peak["warehouse gate"] = rss_mb()

        return gate

    gate_mod.landing_gate, gate_mod.warehouse_gate = landing_gate, warehouse_gate
    original_export = build_mod.export_marts

    def export_marts(layout_, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original_export(layout_, *args, **kwargs)
        finally:
            gate_seconds["export"] = time.perf_counter() - t0

    build_mod.export_marts = export_marts

    t = time.perf_counter()
    inputs = pipeline_run.collect_inputs([f"openalex-snapshot:{snapshot}"])
    phases["collect inputs"] = time.perf_counter() - t

    # One entity at a time (each with its own gate), so each gets a wall-clock rate;
    # within an entity the files are staged by settings.workers processes.
    t = time.perf_counter()
    landing_files = []
    for entity in ("authors", "merged_authors", "works"):
        batch = [i for i in inputs if i.entity == entity]
        if batch:
            landing_files += pipeline_run.land_sources(batch, settings).files
    land_total = time.perf_counter() - t
    landing = land_mod.LandingReport(ingest_date=date.fromisoformat(AS_OF), files=landing_files)
    peak["landing gate"] = rss_mb()
    for entity in sorted(stage_seconds):
        phases[f"land {entity} (read+validate+write, {settings.workers} workers)"] = stage_seconds[entity]
        peak[f"land {entity} (read+validate+write)"] = peak.get("staged", 0.0)  # all entities staged by then
    phases["landing gate (SQL checks, GX results)"] = gate_seconds.get("landing", 0.0)
    peak["landing gate (SQL checks, GX results)"] = peak["landing gate"]
    phases["landing publish + report"] = land_total - sum(stage_seconds.values()) - gate_seconds.get("landing", 0.0)

    steps: list[tuple[str, float]] = []
    t = time.perf_counter()
    built = pipeline_run.build(settings, on_step=lambda s: steps.append((s, time.perf_counter())))
    build_end = time.perf_counter()
    model_steps = [(s, ts) for s, ts in steps if s != "quality gate"]
    gate_start = next((ts for s, ts in steps if s == "quality gate"), build_end)
    phases["build: raw views"] = (model_steps[0][1] if model_steps else gate_start) - t
    model_times = []
    for i, (name, ts) in enumerate(model_steps):
        nxt = model_steps[i + 1][1] if i + 1 < len(model_steps) else gate_start
        model_times.append((name, nxt - ts))
    phases["build: SQL models"] = sum(d for _, d in model_times)
    peak["build: SQL models"] = peak.get("models", 0.0)
    phases["build: warehouse gate (SQL checks, GX results + Data Docs)"] = gate_seconds.get("warehouse", 0.0)
    peak["build: warehouse gate (SQL checks, GX results + Data Docs)"] = peak.get("warehouse gate", 0.0)
    phases["build: export marts to Parquet"] = gate_seconds.get("export", 0.0)
    peak["build: export marts to Parquet"] = rss_mb()
    phases["build: history + swap"] = (
        (build_end - gate_start) - gate_seconds.get("warehouse", 0.0) - gate_seconds.get("export", 0.0)
    )
    print(
        json.dumps(
            {
                "phases": phases,
                "peak_rss_mb_after": {k: round(v) for k, v in peak.items() if k in phases},
                "records": dict(stage_records),
                "landed": {
                    "records": landing.total("records"),
                    "valid": landing.total("valid"),
                    "quarantined": landing.total("quarantined"),
                },
                "row_counts": built.row_counts,
                "slowest_models": sorted(model_times, key=lambda x: -x[1])[:5],
            }
        )
    )


# ------------------------------------------------------------------------------------
# Profile of the landing (no gate) on a small snapshot.
# ------------------------------------------------------------------------------------
def _short_path(filename: str) -> str:
    import sysconfig

    stdlib = sysconfig.get_paths()["stdlib"] + "/"
    if filename.startswith(stdlib):
        return "stdlib/" + filename[len(stdlib) :]
    for marker in ("site-packages/", str(REPO) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _root_shown(root: Path, label: str | None) -> str:
    """How a ``--pipeline-root``/``--before-root`` folder is shown in the reproduce line of BENCHMARKS.md:
    ``<git archive LABEL>`` when the code is named (a temporary folder's path says nothing elsewhere)."""
    return f"<git archive {label}>" if label else str(root)


def child_profile(snapshot: Path, data_dir: Path, top: int) -> None:
    """pyinstrument over the landing (no gate, in-process: one sampled process) of a small snapshot."""
    from datetime import date

    # Import what the landing imports lazily (pyarrow pulls in pandas on first use), so the
    # profile shows the steady state rather than module loading.
    import pandas  # noqa: F401
    import pyarrow as pa
    from pyinstrument import Profiler

    from pipeline import run as pipeline_run
    from pipeline.config import Settings
    from pipeline.landing.land import land

    pa.Table.from_pylist([{"a": 1}])
    settings = Settings().model_copy(update={"data_dir": data_dir, "workers": 1})
    inputs = pipeline_run.collect_inputs([f"openalex-snapshot:{snapshot}"])
    profiler = Profiler(interval=0.001)
    t, cpu = time.perf_counter(), time.process_time()
    profiler.start()
    report = land(inputs, settings, ingest_date=date.fromisoformat(AS_OF), gate=None)
    profiler.stop()
    seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
    text = profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False)
    lines = [line.rstrip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("_", "/"))]
    frames = [line for line in lines if line[:1].isspace() or line[:1].isdigit()]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "records": report.total("records"),
                "by_entity": {e: report.total("records", e) for e in ("works", "authors", "merged_authors")},
                "frames": frames[:top],
            }
        )
    )


# ------------------------------------------------------------------------------------
# Parent: run, measure, report.
# ------------------------------------------------------------------------------------
def measure(cmd: list[str], *, log_dir: Path, name: str, env: dict | None = None) -> dict:
    """Run ``cmd``; return wall seconds, peak RSS of the child (MB), exit code, stdout tail."""
    import threading

    import psutil

    out_path, err_path = log_dir / f"{name}.stdout", log_dir / f"{name}.stderr"
    tree_peak = [0]
    done = threading.Event()

    def sample_tree(pid: int) -> None:
        # ru_maxrss is the largest single process; with landing workers the machine holds the sum
        try:
            root = psutil.Process(pid)
            while not done.wait(0.1):
                total = 0
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
                tree_peak[0] = max(tree_peak[0], total)
        except psutil.Error:
            pass

    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=REPO)
        sampler = threading.Thread(target=sample_tree, args=(proc.pid,), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(errors="replace")
    stderr = err_path.read_text(errors="replace")
    return {
        "wall": wall,
        "rss_mb": usage.ru_maxrss / 1024,
        "tree_rss_mb": tree_peak[0] / 2**20,
        "rc": proc.returncode,
        "stdout": stdout,
        "stderr": stderr,
        "cpu": usage.ru_utime + usage.ru_stime,
    }


def last_json(text: str) -> dict:
    for line in reversed(text.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in child output")


def snapshot_stats(snapshot: Path) -> dict:
    stats = {}
    for entity in ("works", "authors"):
        manifest = json.loads((snapshot / "data" / entity / "manifest").read_text())
        stats[f"{entity}"] = manifest["meta"]["record_count"]
        stats[f"{entity}_gz_bytes"] = manifest["meta"]["content_length"]
        stats[f"{entity}_files"] = len(manifest["entries"])
    merged = sorted((snapshot / "data" / "merged_ids" / "authors").glob("*.csv.gz"))
    stats["merged_ids_gz_bytes"] = sum(p.stat().st_size for p in merged)
    extra = snapshot / "bench_snapshot.json"
    if extra.exists():
        info = json.loads(extra.read_text())
        stats["distinct_work_ids"] = info.get("distinct_work_ids")
        stats["seed"] = info.get("seed")
    stats["works_uncompressed_bytes_sample"] = _uncompressed_per_record(snapshot)
    return stats


def _uncompressed_per_record(snapshot: Path) -> float:
    import gzip

    first = works_files(snapshot)[0]
    n = size = 0
    with gzip.open(first, "rb") as handle:
        for line in handle:
            n += 1
            size += len(line)
            if n >= 2000:
                break
    return size / max(n, 1)


def find_snapshot(folders: list[Path], works: int, seed: int) -> Path | None:
    """A snapshot of this generator's current shape with ``works`` works and ``seed``, directly in one of
    ``folders`` or one level below (e.g. a cache dir, or a folder of kept snapshots such as snap-1m/)."""
    sys.path.insert(0, str(BENCH))
    from generate_snapshot import SHAPE

    for folder in folders:
        for candidate in [folder, *sorted(p for p in folder.glob("*") if p.is_dir())]:
            info_path = candidate / "bench_snapshot.json"
            if not info_path.exists():
                continue
            info = json.loads(info_path.read_text())
            if info.get("works") == works and info.get("seed") == seed and info.get("shape") == SHAPE:
                return candidate
    return None


def ensure_snapshot(args, log) -> Path:
    if args.snapshot:
        return args.snapshot
    found = find_snapshot([*args.snapshot_dir, args.cache_dir], args.works, args.seed)
    if found:
        log(f"reusing snapshot {found}")
        return found
    sys.path.insert(0, str(BENCH))
    from generate_snapshot import SHAPE

    target = args.cache_dir / f"works-{args.works}-seed-{args.seed}-shape-{SHAPE}"
    shutil.rmtree(target, ignore_errors=True)
    sys.path.insert(0, str(BENCH))
    from generate_snapshot import generate

    log(f"generating {args.works} works into {target} ...")
    t = time.perf_counter()
    generate(target, works=args.works, seed=args.seed, jobs=args.jobs, log=lambda *_: None)
    log(f"  generated in {time.perf_counter() - t:.1f}s")
    return target


def code_version(root: Path) -> str:
    """``<commit>[+uncommitted changes]`` of the measured code, or the folder name if not a checkout."""

    def git(*cmd: str) -> str:
        return subprocess.run(["git", "-C", str(root), *cmd], capture_output=True, text=True, check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() != root:
            raise subprocess.CalledProcessError(1, "git")
        commit = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--", "pipeline", "schemas", "warehouse")
        return commit + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return f"code in {root}"


def machine() -> dict:
    import importlib.metadata as md

    import psutil

    cpu = "?"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    versions = {}
    for dist in ("duckdb", "pyarrow", "pydantic", "great-expectations", "pandas"):
        try:
            versions[dist] = md.version(dist)
        except md.PackageNotFoundError:
            versions[dist] = "-"
    return {
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()}",
        **versions,
    }


def fmt_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render(result: dict) -> str:
    m, s, runs = result["machine"], result["snapshot"], result["contenders"]
    lines = [
        BEGIN,
        "",
        f"_Generated by `bench/run_bench.py` on {result['when']}; reproduce with `{result['command']}`._",
        "",
    ]
    lines += [f"Pipeline code measured: {result['code']}.", ""]
    lines += [
        "### Machine",
        "",
        f"{m['cores']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, {m['os']}; Python {m['python']}, "
        f"duckdb {m['duckdb']}, pyarrow {m['pyarrow']}, pydantic {m['pydantic']}, "
        f"great-expectations {m['great-expectations']}, pandas {m['pandas']}. "
        f"1-min load average when the run started: {result['load_before']}.",
        "",
    ]
    lines += [
        "### Snapshot",
        "",
        f"Synthetic (`bench/generate_snapshot.py`, seed {s.get('seed')}): **{s['works']:,} work records** "
        f"({s.get('distinct_work_ids') or 0:,} distinct ids) in {s['works_files']} part files, "
        f"{s['works_gz_bytes'] / 1e6:,.1f} MB gz (~{s['works_uncompressed_bytes_sample'] / 1e3:.1f} KB of JSON "
        f"per work); **{s['authors']:,} author records** in {s['authors_files']} files, "
        f"{s['authors_gz_bytes'] / 1e6:,.1f} MB gz; merged_ids {s['merged_ids_gz_bytes']} B.",
        "",
    ]
    lines += [
        "### Results",
        "",
        fmt_row(
            [
                "contender",
                "what it does",
                "wall s",
                "works/s",
                "peak RSS MB (largest process)",
                "peak RSS MB (process tree)",
                "CPU s",
                "speed vs baseline",
                "runs (wall s)",
            ]
        ),
        fmt_row(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---"]),
    ]
    base = runs["baseline"]
    for key, r in runs.items():
        if r.get("wall") is None:
            lines.append(
                fmt_row(
                    [
                        f"`{key}`",
                        r["label"],
                        f"FAILED (exit {r['failed']}) after {r['failed_after']}",
                        "",
                        f"{r['rss_mb']:,.0f}",
                        f"{r['tree_rss_mb']:,.0f}",
                        f"{r['cpu']:.1f}",
                        "",
                        "",
                    ]
                )
            )
            continue
        rate = s["works"] / r["wall"]
        ratio = rate / (s["works"] / base["wall"])
        tree = f"{r['tree_rss_mb']:,.0f}" if r.get("tree_rss_mb") else ""
        lines.append(
            fmt_row(
                [
                    f"`{key}`",
                    r["label"],
                    f"{r['wall']:.1f}",
                    f"{rate:,.0f}",
                    f"{r['rss_mb']:,.0f}",
                    tree,
                    f"{r['cpu']:.1f}",
                    f"{ratio:.3f}x",
                    ", ".join(f"{w:.1f}" for w in r["walls"]),
                ]
            )
        )
    lines += [
        "",
        f"works/s = work records in the snapshot / wall seconds of the whole subprocess (interpreter start "
        f"included); median of the runs listed under 'runs'. Peak RSS (largest process) = `ru_maxrss` of the child "
        f"from `os.wait4` (the largest of the child and its workers); process tree = the peak of the summed RSS "
        f"of the child and its worker processes, sampled every 0.1 s. "
        f"Imports: {result['imports']}.",
        "",
    ]
    lines += (
        ["### Targets", ""]
        + [f"- {line}" for line in target_lines(result)]
        + [
            "",
            f"(The pipeline also lands {s['authors']:,} authors and builds and publishes the warehouse; the phase "
            "breakdown below, where run, separates those.)",
            "",
        ]
    )
    for key, r in runs.items():
        child = r.get("child") or {}
        if key.startswith("dlt") and child.get("steps"):
            steps = ", ".join(f"{k} {v:.1f}s" for k, v in child["steps"].items())
            counts = ", ".join(f"{k} {v:,}" for k, v in child.get("row_counts", {}).items())
            lines += [
                f"`{key}` (dlt {child.get('dlt')}, {child.get('normalize_workers')} normalize workers): "
                f"steps {steps}; rows {counts}.",
                "",
            ]

    phases = result.get("phases")
    if phases and phases.get("phases"):
        total = sum(phases["phases"].values())
        lines += [
            "### Where the pipeline's time goes",
            "",
            f"`pipeline.run.land_sources` + `pipeline.run.build` called from Python "
            f"(subprocess wall {phases['wall']:.1f}s, peak RSS {phases['rss_mb']:,.0f} MB):",
            "",
            fmt_row(["phase", "s", "share", "rate", "peak RSS so far, MB"]),
            fmt_row(["---", "---:", "---:", "---:", "---:"]),
        ]
        peaks = phases.get("peak_rss_mb_after", {})
        for name, secs in phases["phases"].items():
            rate = ""
            for entity, n in phases.get("records", {}).items():
                if name.startswith(f"land {entity} ") and secs > 0:
                    rate = f"{n / secs:,.0f} {entity}/s"
            peak_cell = f"{peaks[name]:,}" if name in peaks else ""
            lines.append(fmt_row([name, f"{secs:.1f}", f"{secs / total:.0%}", rate, peak_cell]))
        slow = ", ".join(f"`{n}` {d:.1f}s" for n, d in phases.get("slowest_models", []))
        lines += ["", f"Slowest SQL models: {slow}.", ""]
        land_works = next((v for k, v in phases["phases"].items() if k.startswith("land works ")), None)
        if land_works:
            best = max(s["works"] / r["wall"] for k, r in runs.items() if k.startswith("baseline"))
            works_rate = phases["records"]["works"] / land_works
            lines += [
                f"Landing the works alone (no imports, authors, gates or build; all cores) runs at {works_rate:,.0f} "
                f"works/s, {works_rate / best:.2f}x the fastest baseline ({best:,.0f} works/s, whose figure "
                f"still includes interpreter start).",
                "",
            ]
        counts = phases.get("row_counts") or {}
        if counts:
            lines += ["Marts built: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()) + ".", ""]

    profiles = result.get("profile") or {}
    for key, prof in profiles.items():
        if not prof.get("frames"):
            continue
        lines += [
            f"### pyinstrument profile of the landing, `{key}` ({prof['label']})",
            "",
            f"`pipeline.landing.land.land` without the gate, in one process, on a {prof['snapshot_works']:,}-work "
            f"snapshot ({prof['records']:,} records incl. authors): {prof['seconds']:.1f}s wall, "
            f"{prof['cpu']:.1f}s CPU under the profiler. Top frames (wall seconds):",
            "",
            "```",
        ]
        lines += prof["frames"]
        lines += ["```", ""]
    lines.append(END)
    return "\n".join(lines)


def write_markdown(path: Path, section: str) -> None:
    header = (
        "# Benchmarks\n\nIngestion speed of the pipeline on a synthetic OpenAlex snapshot, against a plain "
        "DuckDB `read_json` baseline. See `bench/README.md`.\n\n"
    )
    text = path.read_text(encoding="utf-8") if path.exists() else header + BEGIN + "\n" + END + "\n"
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, encoding="utf-8")


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        kind, rest = sys.argv[1], sys.argv[2:]
        if kind == "_baseline":
            child_baseline(Path(rest[0]), Path(rest[1]), int(rest[2]) if len(rest) > 2 else None)
        elif kind == "_phases":
            child_phases(Path(rest[0]), Path(rest[1]))
        elif kind == "_profile":
            child_profile(Path(rest[0]), Path(rest[1]), int(rest[2]))
        else:
            raise SystemExit(f"unknown child {kind}")
        return 0

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--works", type=int, default=50_000, help="work records in the generated snapshot")
    parser.add_argument("--snapshot", type=Path, default=None, help="reuse this snapshot instead of generating one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="generator processes")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "openalex-bench",
        help="where generated snapshots are kept for reuse",
    )
    parser.add_argument(
        "--snapshot-dir",
        type=Path,
        action="append",
        default=[],
        help="look here (and one level below) for a snapshot of --works/--seed before generating one; repeatable",
    )
    parser.add_argument(
        "--contenders",
        default=DEFAULT_CONTENDERS,
        help=f"comma-separated, in run order [default: {DEFAULT_CONTENDERS}; also dlt-dicts]",
    )
    parser.add_argument("--repeat", type=int, default=1, help="pipeline runs (median reported)")
    parser.add_argument("--baseline-repeat", type=int, default=3, help="runs per baseline (median reported)")
    parser.add_argument("--no-phases", action="store_true", help="skip the per-phase Python run")
    parser.add_argument("--profile-works", type=int, default=5_000, help="works in the profiled snapshot (0: skip)")
    parser.add_argument("--markdown", type=Path, default=REPO / "BENCHMARKS.md")
    parser.add_argument("--no-markdown", action="store_true")
    parser.add_argument("--results", type=Path, default=BENCH / "results" / "latest.json", help="raw figures (JSON)")
    parser.add_argument(
        "--pipeline-root",
        type=Path,
        default=None,
        help="benchmark the pipeline code in this folder (e.g. a `git archive` export of another "
        "commit) instead of the installed one; put first on PYTHONPATH",
    )
    parser.add_argument(
        "--before-root",
        type=Path,
        default=None,
        help="also run `pipeline run` (and the profile) with the code in this folder, in the same "
        "run: a `git archive <commit>` export of the code before a change",
    )
    parser.add_argument("--before-label", default=None, help="what the --before-root code is (e.g. a commit)")
    parser.add_argument("--code-label", default=None, help="what the measured code is, when not a checkout")
    parser.add_argument("--profile-top", type=int, default=40, help="profile lines kept")
    parser.add_argument(
        "--cold-imports",
        action="store_true",
        help="keep the environment's bytecode settings (no .pyc cache, no warm-up)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dirs of the runs")
    parser.add_argument(
        "--no-final-settle",
        action="store_true",
        help="no wait after deleting the run dirs at the end (nothing runs after this process)",
    )
    args = parser.parse_args()

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    snapshot = ensure_snapshot(args, log).resolve()
    stats = snapshot_stats(snapshot)
    work_root = Path(tempfile.mkdtemp(prefix="bench-run-"))
    log_dir = work_root / "logs"
    log_dir.mkdir()
    this = str(Path(__file__).resolve())
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    code_root = (args.pipeline_root or REPO).resolve()
    if args.pipeline_root:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(code_root), env.get("PYTHONPATH")]))
    code = args.code_label or code_version(code_root)
    log(f"pipeline code: {code}")
    if not args.cold_imports:
        # Installed packages normally ship compiled bytecode (pip compiles on install); a venv
        # without .pyc files recompiles pandas/GX/pydantic in every process. Keep the bytecode in
        # a cache of our own (the venv is not touched) and warm it before measuring.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str((args.cache_dir / "pycache").resolve())
        log("warming the bytecode cache ...")
        warm = measure([str(PYTHON), "-c", WARM_IMPORTS], log_dir=log_dir, name="warm", env=env)
        log(f"  {warm['wall']:.1f}s")

    all_contenders = {
        "baseline": (
            "DuckDB `read_json` typed columns -> Parquet, works only, default threads",
            lambda d: [str(PYTHON), this, "_baseline", str(snapshot), str(d)],
        ),
        "baseline-1thread": (
            "same, `threads=1`",
            lambda d: [str(PYTHON), this, "_baseline", str(snapshot), str(d), "1"],
        ),
        "pipeline": (
            "`pipeline run` CLI: land works+authors+merged ids, GX gates, build + publish warehouse",
            lambda d: [
                str(PIPELINE_BIN),
                "run",
                "--source",
                f"openalex-snapshot:{snapshot}",
                "--data-dir",
                str(d),
                "--as-of",
                AS_OF,
            ],
        ),
        "dlt": (
            f"dlt {dlt_version() or '(not installed)'}, Parquet loader into DuckDB: the works (baseline's columns) "
            "parsed by pyarrow's JSON reader, handed to dlt as Arrow batches",
            lambda d: [str(PYTHON), str(BENCH / "dlt_load.py"), str(snapshot), str(d), "arrow"],
        ),
        "dlt-dicts": (
            "same, records handed to dlt as dicts: its normaliser unnests authorships/institutions/topics "
            "into child tables",
            lambda d: [str(PYTHON), str(BENCH / "dlt_load.py"), str(snapshot), str(d), "dicts"],
        ),
    }
    wanted = [c.strip() for c in args.contenders.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in all_contenders]
    if unknown or "baseline" not in wanted:
        raise SystemExit(f"--contenders: unknown {unknown}, or no baseline (known: {', '.join(all_contenders)})")
    if any(c.startswith("dlt") for c in wanted) and not dlt_version():
        log(
            "dlt is not installed (it is in the `bench` dependency group: `make bench`, or "
            "`.tools/bin/uv sync --group bench`); skipping the dlt contenders"
        )
        wanted = [c for c in wanted if not c.startswith("dlt")]
    contenders = {key: all_contenders[key] for key in wanted}
    envs = {key: env for key in contenders}
    if args.before_root:
        before_env = {
            **env,
            "PYTHONPATH": os.pathsep.join(
                filter(None, [str(args.before_root.resolve()), os.environ.get("PYTHONPATH")])
            ),
        }
        before_code = args.before_label or code_version(args.before_root.resolve())
        contenders["pipeline-before"] = (f"same as `pipeline`, code of {before_code}", all_contenders["pipeline"][1])
        envs["pipeline-before"] = before_env
    runs: dict[str, dict] = {}
    for key, (label, make_cmd) in contenders.items():
        samples = []
        repeat = args.baseline_repeat if key.startswith("baseline") else args.repeat
        for i in range(repeat):
            data_dir = work_root / f"{key}-{i}"
            data_dir.mkdir()
            log(f"running {key} ({i + 1}/{repeat}) ...")
            r = measure(make_cmd(data_dir), log_dir=log_dir, name=f"{key}-{i}", env=envs[key])
            if not args.keep:
                remove_run_dir(data_dir)
            if r["rc"] != 0:
                log(
                    f"  {key} FAILED (exit {r['rc']}) after {r['wall']:.1f}s, peak RSS {r['rss_mb']:.0f} MB:\n"
                    f"{r['stderr'][-3000:]}\n{r['stdout'][-2000:]}"
                )
                if key == "baseline":
                    raise SystemExit(1)
                # kept in the results (and the table) as a failure, with what it reached
                runs[key] = {
                    "label": label,
                    "wall": None,
                    "failed": r["rc"],
                    "failed_after": round(r["wall"], 1),
                    "rss_mb": r["rss_mb"],
                    "tree_rss_mb": r["tree_rss_mb"],
                    "cpu": r["cpu"],
                    "walls": [],
                    "stderr_tail": r["stderr"][-1500:],
                }
                break
            log(f"  {r['wall']:.1f}s, peak RSS {r['rss_mb']:.0f} MB (process tree {r['tree_rss_mb']:.0f} MB)")
            samples.append(r)
        if not samples:
            continue
        runs[key] = {
            "label": label,
            "wall": statistics.median(r["wall"] for r in samples),
            "rss_mb": max(r["rss_mb"] for r in samples),
            "tree_rss_mb": max(r["tree_rss_mb"] for r in samples),
            "cpu": statistics.median(r["cpu"] for r in samples),
            "walls": [round(r["wall"], 2) for r in samples],
        }
        if key.startswith(("baseline", "dlt")):
            runs[key]["child"] = last_json(samples[-1]["stdout"])
            if runs[key]["child"]["rows"] != stats["works"]:
                log(f"  warning: {key} wrote {runs[key]['child']['rows']} rows, snapshot has {stats['works']}")

    phases = None
    if not args.no_phases:
        data_dir = work_root / "phases"
        data_dir.mkdir()
        log("running pipeline phases (Python entry points) ...")
        r = measure(
            [str(PYTHON), this, "_phases", str(snapshot), str(data_dir)], log_dir=log_dir, name="phases", env=env
        )
        if r["rc"] != 0:
            log(f"  phases FAILED (exit {r['rc']}):\n{r['stderr'][-3000:]}")
        else:
            phases = {**last_json(r["stdout"]), "wall": r["wall"], "rss_mb": r["rss_mb"]}
            log(f"  {r['wall']:.1f}s, peak RSS {r['rss_mb']:.0f} MB")
        if not args.keep:
            remove_run_dir(data_dir)

    profile = None
    if args.profile_works:
        sys.path.insert(0, str(BENCH))
        from generate_snapshot import SHAPE, generate

        small = find_snapshot([args.cache_dir], args.profile_works, args.seed) or (
            args.cache_dir / f"works-{args.profile_works}-seed-{args.seed}-shape-{SHAPE}"
        )
        if not (small / "bench_snapshot.json").exists():
            shutil.rmtree(small, ignore_errors=True)
            generate(small, works=args.profile_works, seed=args.seed, jobs=1, log=lambda *_: None)
        profile = {}
        for key in ["pipeline", *(["pipeline-before"] if args.before_root else [])]:
            data_dir = work_root / f"profile-{key}"
            data_dir.mkdir()
            log(f"profiling the landing of {args.profile_works} works ({key}) ...")
            r = measure(
                [str(PYTHON), this, "_profile", str(small), str(data_dir), str(args.profile_top)],
                log_dir=log_dir,
                name=f"profile-{key}",
                env=envs[key],
            )
            if r["rc"] != 0:
                log(f"  profile FAILED (exit {r['rc']}):\n{r['stderr'][-3000:]}")
            else:
                profile[key] = {
                    **last_json(r["stdout"]),
                    "snapshot_works": args.profile_works,
                    "label": contenders[key][0],
                }
            if not args.keep:
                remove_run_dir(data_dir)

    base_rate = stats["works"] / runs["baseline"]["wall"]
    pipeline_wall = (runs.get("pipeline") or {}).get("wall")
    ratio = (stats["works"] / pipeline_wall) / base_rate if pipeline_wall else None
    command = (
        ".venv/bin/python bench/run_bench.py "
        + (f"--snapshot {args.snapshot}" if args.snapshot else f"--works {args.works}")
        + (f" --seed {args.seed}" if args.seed != 1 else "")
        + (f" --contenders {args.contenders}" if args.contenders != DEFAULT_CONTENDERS else "")
        + (" --no-phases" if args.no_phases else "")
        + (f" --profile-works {args.profile_works}" if args.profile_works != 5000 else "")
        + (f" --pipeline-root {_root_shown(args.pipeline_root, args.code_label)}" if args.pipeline_root else "")
        + (f" --before-root {_root_shown(args.before_root, args.before_label)}" if args.before_root else "")
    )
    result = {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": command,
        "repeat": args.repeat,
        "machine": machine(),
        "snapshot": {**stats, "path": str(snapshot)},
        "contenders": runs,
        "ratio": ratio,
        "code": code,
        "load_before": round(load_before, 2),
        "imports": "cold (no .pyc)" if args.cold_imports else "warm .pyc cache",
        "phases": phases,
        "profile": profile,
        "total_seconds": round(time.perf_counter() - started, 1),
    }

    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"{stats['works']:,} works, {stats['authors']:,} authors, "
        f"{(stats['works_gz_bytes'] + stats['authors_gz_bytes']) / 1e6:,.0f} MB gz"
    )
    for col in ("contender", "wall s", "works/s", "peak RSS MB", "vs baseline"):
        table.add_column(col, justify="left" if col == "contender" else "right")
    for key, r in runs.items():
        if r["wall"] is None:
            table.add_row(key, f"FAILED after {r['failed_after']}", "", f"{r['rss_mb']:,.0f}", "")
            continue
        rate = stats["works"] / r["wall"]
        table.add_row(key, f"{r['wall']:.1f}", f"{rate:,.0f}", f"{r['rss_mb']:,.0f}", f"{rate / base_rate:.3f}x")
    console = Console()
    console.print(table)
    if phases:
        for name, secs in phases["phases"].items():
            console.print(f"  {name:45s} {secs:7.1f}s")
    for line in target_lines(result):
        console.print(line)
    console.print(f"total bench time {result['total_seconds']}s")

    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    if not args.no_markdown:
        write_markdown(args.markdown, render(result))
        log(f"wrote {args.markdown}")
    if not args.keep:
        remove_kept_run_dirs(settle=not args.no_final_settle)
        shutil.rmtree(work_root, ignore_errors=True)
    else:
        log(f"kept run folders in {work_root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
