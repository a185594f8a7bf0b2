#!/usr/bin/env python3
"""`make bench`: run_bench.py at several input sizes, then the scaling table, targets and plot.

    .venv/bin/python bench/bench_sizes.py --sizes "100000 1000000 2000000" [--snapshot-dir DIR]

For each size (ascending) it finds a snapshot of the current generator shape and seed (in
``--snapshot-dir`` folders, one level below them, or the cache dir) or generates one into the cache,
then runs every contender on it in one run_bench.py run: the raw typed DuckDB read (``baseline``),
``pipeline run``, and dlt. Sizes up to ``--phases-max`` also get the per-phase run and the
landing profile; the smallest of them (else the largest size) writes the ``bench:`` block of
BENCHMARKS.md. Larger sizes
skip them (and run each baseline once, without ``baseline-1thread``) to keep 1M/2M practical.
Results go to ``bench/results/works-N.json``; bench/scaling.py then writes the ``scaling:`` block
(table, targets met or missed per size, flatness) and bench/scaling.png from this run's files.

``--before COMMIT`` (``make bench BEFORE=COMMIT``) also runs ``pipeline-before``, the code of COMMIT
(``git archive`` into a temporary folder, run_bench.py ``--before-root``), at the sizes up to
``--phases-max``: the before-and-after figures and landing profiles of one run, on the same files.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000", help="works per snapshot, space- or comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--snapshot-dir",
        type=Path,
        action="append",
        default=[],
        help="folder(s) holding pre-generated snapshots (searched one level deep)",
    )
    parser.add_argument(
        "--phases-max", type=int, default=300_000, help="largest size that also gets the phase run and the profile"
    )
    parser.add_argument("--results-dir", type=Path, default=BENCH / "results")
    parser.add_argument("--contenders", default=None, help="run_bench.py --contenders for every size")
    parser.add_argument(
        "--dlt-dicts-max",
        type=int,
        default=0,
        help="also run the dlt-dicts contender (slow) up to this size [default: never]",
    )
    parser.add_argument(
        "--before",
        default=None,
        metavar="COMMIT",
        help="also run this commit's code (pipeline-before) at the sizes up to --phases-max",
    )
    parser.add_argument("--markdown", type=Path, default=BENCH.parent / "BENCHMARKS.md")
    parser.add_argument("--png", type=Path, default=BENCH / "scaling.png")
    args, passthrough = parser.parse_known_args()  # e.g. --pipeline-root, --before-root, --repeat

    sizes = sorted({int(s) for s in args.sizes.replace(",", " ").split()})
    if not sizes:
        raise SystemExit("--sizes: give at least one size")
    with tempfile.TemporaryDirectory(prefix="bench-before-") as before_root:
        if args.before:
            export_commit(args.before, Path(before_root))
        return run_sizes(args, sizes, passthrough, Path(before_root) if args.before else None)


def export_commit(commit: str, folder: Path) -> None:
    """The tree of ``commit`` (of this checkout's repository) as files in ``folder``."""
    repo = BENCH.parent
    archive = subprocess.run(["git", "-C", str(repo), "archive", commit], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)


def run_sizes(args: argparse.Namespace, sizes: list[int], passthrough: list[str], before_root: Path | None) -> int:
    results = []
    # the bench: block of BENCHMARKS.md comes from the smallest size with phases (else the largest)
    block_size = min((n for n in sizes if n <= args.phases_max), default=sizes[-1])
    for n in sizes:
        small = n <= args.phases_max
        contenders = args.contenders or ",".join(
            ["baseline"]
            + (["baseline-1thread"] if small else [])
            + ["pipeline", "dlt"]
            + (["dlt-dicts"] if n <= args.dlt_dicts_max else [])
        )
        out = args.results_dir / f"works-{n}.json"
        cmd = [
            sys.executable,
            str(BENCH / "run_bench.py"),
            "--works",
            str(n),
            "--seed",
            str(args.seed),
            "--results",
            str(out),
            "--contenders",
            contenders,
            "--markdown",
            str(args.markdown),
        ]
        for folder in args.snapshot_dir:
            cmd += ["--snapshot-dir", str(folder)]
        if not small:
            cmd += ["--no-phases", "--profile-works", "0", "--baseline-repeat", "1"]
        if n != block_size:
            cmd += ["--no-markdown"]
        if n == sizes[-1]:
            cmd += ["--no-final-settle"]  # nothing runs after it: no need to wait its deletes out
        if before_root is not None and small:
            cmd += ["--before-root", str(before_root), "--before-label", args.before]
        print(f"== {n:,} works: {' '.join(cmd[1:])}", file=sys.stderr, flush=True)
        subprocess.run(cmd + passthrough, check=True)
        results.append(out)
    scaling = [sys.executable, str(BENCH / "scaling.py"), "--markdown", str(args.markdown), "--png", str(args.png)]
    subprocess.run([*scaling, *map(str, results)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
