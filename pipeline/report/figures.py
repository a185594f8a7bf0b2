"""The report's plots, drawn with matplotlib (Agg backend, no display) and returned as PNG bytes.

Each function takes plain figures (lists, dicts) so the report's SQL stays in one place
(:mod:`pipeline.report.facts`) and a plot can be tested on tiny inputs.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, no GUI toolkit

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

# One colour per trust tier, lowest first; the report's CSS uses the same ones.
TIER_COLOURS = {"Unverified": "#9aa5b1", "Emerging": "#f0b429", "Established": "#3ebd93", "Trusted": "#2680c2"}
INK, MUTED, ACCENT = "#1f2933", "#7b8794", "#2680c2"


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _empty(message: str, size: tuple[float, float] = (6, 1.2)) -> bytes:
    fig, ax = plt.subplots(figsize=size)
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center", color=MUTED, fontsize=11)
    return _png(fig)


def works_per_year(series: dict[str, dict[int, int]], *, title: str = "Works per year") -> bytes:
    """Grouped bars: for each author (label), their works per publication year."""
    years = sorted({year for counts in series.values() for year in counts})
    if not years:
        return _empty("no dated works")
    fig, ax = plt.subplots(figsize=(7, 3.2))
    width = 0.8 / max(len(series), 1)
    for index, (label, counts) in enumerate(series.items()):
        offsets = [years.index(y) + (index - (len(series) - 1) / 2) * width for y in years]
        ax.bar(offsets, [counts.get(y, 0) for y in years], width=width, label=label)
    ax.set_xticks(range(len(years)), [str(y) for y in years])
    ax.set_ylabel("works")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    ax.spines[["top", "right"]].set_visible(False)
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False, ncols=2, loc="upper left")
    return _png(fig)


def trust_histogram(scores_by_tier: dict[str, list[int]], bounds: Sequence[int] = (20, 40, 70)) -> bytes:
    """Trust scores of all profiles in bins of 5, stacked by tier, with the tier bounds marked."""
    if not any(scores_by_tier.values()):
        return _empty("no profiles")
    fig, ax = plt.subplots(figsize=(7, 3.2))
    tiers = [t for t in TIER_COLOURS if scores_by_tier.get(t)]
    ax.hist(
        [scores_by_tier[t] for t in tiers],
        bins=range(0, 105, 5),
        stacked=True,
        color=[TIER_COLOURS[t] for t in tiers],
        label=[f"{t} ({len(scores_by_tier[t])})" for t in tiers],
        edgecolor="white",
    )
    for bound in bounds:
        ax.axvline(bound, color=MUTED, linestyle=":", linewidth=1)
    ax.set_xlim(0, 100)
    ax.set_xlabel("trust score")
    ax.set_ylabel("profiles")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title("Trust scores", loc="left", fontsize=11, color=INK)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)


def quarantine_reasons(reasons: list[tuple[str, int]]) -> bytes:
    """Horizontal bars: quarantined records per reason, most first."""
    if not reasons:
        return _empty("no records quarantined")
    shown = reasons[:12]
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.4 * len(shown)))
    labels = [label if len(label) <= 60 else label[:57] + "..." for label, _ in shown]
    ax.barh(range(len(shown)), [count for _, count in shown], color="#e12d39")
    ax.set_yticks(range(len(shown)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("records")
    ax.set_title("Quarantine reasons", loc="left", fontsize=11, color=INK)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def collaborator_graph(
    center: str, collaborators: list[tuple[str, int, bool]], between: list[tuple[int, int, int]] = ()
) -> bytes:
    """The author in the middle, collaborators on a circle; edge width = shared works, close
    collaborators in colour. ``collaborators``: (name, shared works, is close); ``between``:
    (index, index, shared works) edges among the collaborators."""
    if not collaborators:
        return _empty("no collaborators", size=(4.5, 1.2))
    fig, ax = plt.subplots(figsize=(5.5, 5.5))
    count = len(collaborators)
    points = [
        (math.cos(2 * math.pi * i / count + math.pi / 2), math.sin(2 * math.pi * i / count + math.pi / 2))
        for i in range(count)
    ]
    for a, b, shared in between:
        (xa, ya), (xb, yb) = points[a], points[b]
        ax.plot([xa, xb], [ya, yb], color="#cbd2d9", linewidth=0.6 + shared * 0.6, zorder=1)
    for (x, y), (_, shared, close) in zip(points, collaborators, strict=True):
        ax.plot([0, x], [0, y], color=ACCENT if close else "#9aa5b1", linewidth=0.8 + shared * 0.9, zorder=2)
    ax.scatter([0], [0], s=900, color=INK, zorder=3)
    ax.text(0, -0.17, center, ha="center", va="top", fontsize=9, fontweight="bold", color=INK, zorder=4)
    for (x, y), (name, shared, close) in zip(points, collaborators, strict=True):
        ax.scatter([x], [y], s=160 + 60 * shared, color=ACCENT if close else "#9aa5b1", zorder=3)
        ax.text(x * 1.3, y * 1.22, f"{name}\n{shared} shared", ha="center", va="center", fontsize=7.5, color=INK)
    ax.set_xlim(-1.7, 1.7)
    ax.set_ylim(-1.5, 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("Collaborators (blue: close)", loc="left", fontsize=11, color=INK)
    return _png(fig)


def bar_counts(counts: dict[str, int], *, title: str, xlabel: str) -> bytes:
    """Horizontal bars of named counts (the build's rows per table)."""
    if not counts:
        return _empty("nothing built yet")
    names = list(counts)
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.32 * len(names)))
    ax.barh(range(len(names)), [counts[n] for n in names], color=ACCENT)
    ax.set_yticks(range(len(names)), names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    ax.spines[["top", "right"]].set_visible(False)
    for index, name in enumerate(names):
        ax.text(counts[name], index, f" {counts[name]}", va="center", fontsize=8, color=INK)
    return _png(fig)
