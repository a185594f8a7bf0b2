#!/usr/bin/env python3
"""Throughput and peak memory against input size, from several ``run_bench.py`` results.

    .venv/bin/python bench/scaling.py bench/results/works-100000.json bench/results/works-1000000.json

Writes a table between the ``scaling:begin``/``scaling:end`` markers of ``BENCHMARKS.md`` and a PNG
plot (``bench/scaling.png``): works/s and peak RSS (process tree) of every contender per input size.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parent
BEGIN, END = "<!-- scaling:begin -->", "<!-- scaling:end -->"
SPEED_TARGET, MEMORY_TARGET_MB = 0.5, 1536  # as in run_bench.py
MEMORY_TARGET_WORKS = 2_000_000  # the size the 1.5 GB target is set for
FLAT_TOLERANCE = 1.25  # "flat": the largest size's peak RSS within 25% of the smallest size's


def targets(results: list[dict]) -> list[str]:
    """Per size, whether `pipeline run` meets each target, computed from the figures; then flatness."""
    lines = ["**Targets** (computed from the figures above, not written by hand):", ""]
    peaks = []
    for r in results:
        n, runs = r["snapshot"]["works"], r["contenders"]
        p = runs.get("pipeline")
        if not p:
            lines.append(f"- {n:,} works: `pipeline` not run.")
            continue
        if p.get("wall") is None:
            lines.append(
                f"- {n:,} works: **`pipeline run` FAILED** (exit {p.get('failed')}) after "
                f"{p.get('failed_after')} s at {p['tree_rss_mb']:,.0f} MB: speed and memory targets **not met** (no complete run)."
            )
            peaks.append((n, p["tree_rss_mb"]))
            continue
        ratio = (n / p["wall"]) / (n / runs["baseline"]["wall"])
        tree = p.get("tree_rss_mb") or p["rss_mb"]
        peaks.append((n, tree))
        memory_note = "" if n == MEMORY_TARGET_WORKS else f" (the target is set for {MEMORY_TARGET_WORKS:,} works)"
        lines.append(
            f"- {n:,} works: speed {ratio:.3f}x the raw typed DuckDB read, target >= {SPEED_TARGET}x: "
            f"**{'met' if ratio >= SPEED_TARGET else 'missed'}**; peak RSS {tree:,.0f} MB, target <= "
            f"{MEMORY_TARGET_MB:,} MB: **{'met' if tree <= MEMORY_TARGET_MB else 'missed'}**{memory_note}."
        )
    if len(peaks) >= 2:
        (n0, m0), (n1, m1) = peaks[0], peaks[-1]
        growth = m1 / m0 if m0 else float("inf")
        lines.append(
            f"- Flat in input size: peak RSS {m0:,.0f} MB at {n0:,} works -> {m1:,.0f} MB at {n1:,} works "
            f"({growth:.2f}x for {n1 / n0:.0f}x the input), target <= {FLAT_TOLERANCE}x: "
            f"**{'met' if growth <= FLAT_TOLERANCE else 'missed'}**."
        )
    else:
        lines.append("- Flat in input size: needs two sizes; not checked.")
    if all(r["snapshot"]["works"] != MEMORY_TARGET_WORKS for r in results):
        lines.append(
            f"- {MEMORY_TARGET_WORKS:,} works were not measured in this run: the 1.5 GB target at 2M is "
            "**not checked**."
        )
    lines += [
        "",
        "Where the time goes: the phase breakdown in the block above (`make bench` runs the phases at "
        "the sizes up to `PHASES_MAX`).",
    ]
    return lines


def load(paths: list[Path]) -> list[dict]:
    results = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    return sorted(results, key=lambda r: r["snapshot"]["works"])


def table(results: list[dict], plot: str) -> str:
    keys = list(dict.fromkeys(k for r in results for k in r["contenders"]))
    lines = [
        BEGIN,
        "",
        "| works | contender | wall s | works/s | vs baseline | peak RSS MB (process tree) | "
        "peak RSS MB (largest process) | run |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        n = r["snapshot"]["works"]
        base = n / r["contenders"]["baseline"]["wall"]
        for key in keys:
            c = r["contenders"].get(key)
            if not c:
                continue
            if c.get("wall") is None:
                lines.append(
                    f"| {n:,} | `{key}` | FAILED after {c.get('failed_after')} s |  |  | "
                    f"{c['tree_rss_mb']:,.0f} | {c['rss_mb']:,.0f} | {r['when']}, load {r['load_before']} |"
                )
                continue
            rate = n / c["wall"]
            tree = f"{c['tree_rss_mb']:,.0f}" if c.get("tree_rss_mb") else ""
            lines.append(
                f"| {n:,} | `{key}` | {c['wall']:.1f} | {rate:,.0f} | {rate / base:.3f}x | {tree} | "
                f"{c['rss_mb']:,.0f} | {r['when']}, load {r['load_before']} |"
            )
    lines += ["", *targets(results), "", f"![throughput and peak memory against input size]({plot})", "", END]
    return "\n".join(lines)


def figure(results: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(dict.fromkeys(k for r in results for k in r["contenders"]))
    fig, (speed, memory) = plt.subplots(1, 2, figsize=(11, 4.2))
    for key in keys:
        points = [
            (r["snapshot"]["works"], r["contenders"][key])
            for r in results
            if key in r["contenders"] and r["contenders"][key].get("wall")
        ]
        if not points:
            continue
        sizes = [n for n, _ in points]
        speed.plot(sizes, [n / c["wall"] for n, c in points], marker="o", label=key)
        memory.plot(sizes, [c.get("tree_rss_mb") or c["rss_mb"] for _, c in points], marker="o", label=key)
    for ax, title, unit in ((speed, "throughput", "works / s"), (memory, "peak RSS (process tree)", "MB")):
        ax.set_xscale("log")
        ax.set_xlabel("works in the snapshot")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, alpha=0.3)
    base = [(r["snapshot"]["works"], r["contenders"]["baseline"]["wall"]) for r in results]
    speed.plot(
        [n for n, _ in base],
        [SPEED_TARGET * n / w for n, w in base],
        color="grey",
        linestyle="--",
        linewidth=1,
        label=f"target: {SPEED_TARGET}x baseline",
    )
    speed.set_yscale("log")
    memory.axhline(MEMORY_TARGET_MB, color="grey", linestyle="--", linewidth=1, label="1.5 GB target")
    speed.legend(fontsize=8)
    memory.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("results", type=Path, nargs="+", help="run_bench.py --results files, one per input size")
    parser.add_argument("--markdown", type=Path, default=BENCH.parent / "BENCHMARKS.md")
    parser.add_argument("--png", type=Path, default=BENCH / "scaling.png")
    args = parser.parse_args()
    results = load(args.results)
    figure(results, args.png)
    section = table(results, args.png.resolve().relative_to(args.markdown.resolve().parent).as_posix())
    text = args.markdown.read_text(encoding="utf-8")
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        marker = "<!-- bench:end -->"
        head, _, tail = text.partition(marker)
        text = (
            head + marker + "\n\n## Scaling\n\n" + section + "\n" + tail if tail or marker in text else text + section
        )
    args.markdown.write_text(text, encoding="utf-8")
    print(f"wrote {args.png} and the scaling table in {args.markdown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
