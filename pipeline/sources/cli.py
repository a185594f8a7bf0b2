"""``pipeline state`` and ``pipeline sources``, and the fetch progress of ``pipeline run``.

- ``pipeline state [--data-dir DIR] [--reset AUTHOR]``: the cursor checkpoints and
  high-water marks of the live sources; ``--reset`` forgets one author's (the next
  fetch of that author is a full one).
- ``pipeline sources SPEC... [--data-dir DIR]``: a dry run: what a run would fetch and
  roughly what it would cost in requests and credits. Only the free author singletons
  are requested; no works page is fetched and nothing is landed.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, TaskID
from rich.table import Table

from pipeline.sources.openalex.client import ClientStats

console = Console()

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the lake and warehouse live. [default: ./data]")
]


def state(
    data_dir: DataDirOption = None,
    reset: Annotated[
        str | None, typer.Option("--reset", help="Forget this author's checkpoints and high-water mark.")
    ] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Show the live sources' cursor checkpoints and high-water marks (or reset one author's)."""
    from pipeline.cli import _guarded, _settings
    from pipeline.sources.state import SourceState

    def action() -> None:
        store = SourceState.of(_settings(data_dir))
        if reset:
            done = store.reset(reset)
            console.print(f"{'reset' if done else 'nothing to reset for'} {reset}")
            return
        table = Table(title=f"Fetch state ({store.folder})", show_edge=False)
        for column in ("author", "aliases", "high-water mark", "last fetched", "checkpoint"):
            table.add_column(column, overflow="fold")
        for author in sorted(store.all(), key=lambda s: s.author_id):
            resume = [
                f"{listing}: page {c.get('pages', 0) + 1} (cursor {str(c.get('cursor'))[:16]})"
                + (f", since {c['since']}" if c.get("since") else "")
                for listing, c in author.checkpoints.items()
            ]
            table.add_row(
                author.author_id,
                ", ".join(author.aliases),
                author.high_water or "",
                author.last_fetched or "never completed",
                "; ".join(resume),
            )
        console.print(table)

    _guarded(debug, action)


def sources(
    spec: Annotated[list[str], typer.Argument(help="Source SPECs, as for `pipeline run --source`.")],
    data_dir: DataDirOption = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Dry run: what `pipeline run --source SPEC` would fetch, and what it would cost."""
    from pipeline.cli import _guarded, _settings
    from pipeline.sources import parse_source_spec
    from pipeline.sources.arxiv.client import ArxivApiSource
    from pipeline.sources.openalex.api import OpenAlexAPISource

    def action() -> None:
        settings = _settings(data_dir)
        for one in spec:
            for source in parse_source_spec(one, settings):
                if isinstance(source, OpenAlexAPISource):
                    _print_plan(one, source)
                elif isinstance(source, ArxivApiSource):
                    plan = source.plan()  # one request for one entry: the listing's size
                    console.print(
                        f"{one}: {plan.total_results} entries in {plan.pages} page(s), {plan.requests} request(s), "
                        f"at least {plan.seconds_at_least:.0f}s at arXiv's pace; no credits"
                    )
                else:
                    files = source.files()
                    counts = Counter(f.entity for f in files)
                    shown = ", ".join(f"{n} {entity}" for entity, n in sorted(counts.items()))
                    layout = getattr(source, "layout", None)  # a snapshot says which layout it found
                    found = f"; {layout} snapshot layout" if layout else ""
                    console.print(f"{one}: {len(files)} input file(s) ({shown}){found}; no network")

    _guarded(debug, action)


def _print_plan(spec: str, source) -> None:
    plan = source.plan()
    table = Table(title=f"{spec}: would fetch", show_edge=False)
    for column in ("author", "name", "works", "since", "resumes", "pages ≤", "requests ≤", "credits ≤"):
        table.add_column(
            column, justify="right" if column in ("works", "pages ≤", "requests ≤", "credits ≤") else "left"
        )
    for p in plan:
        table.add_row(
            p.author_id + (f" (asked {p.requested})" if p.requested != p.author_id else ""),
            p.display_name or "",
            "" if p.works_count is None else str(p.works_count),
            p.since or "everything",
            "yes" if p.resume_cursor else "",
            str(p.pages),
            str(p.requests),
            str(p.credits),
        )
    console.print(table)
    console.print(
        f"total: ≤ {sum(p.requests for p in plan)} requests, ≤ {sum(p.credits for p in plan)} credits "
        "(an incremental run usually needs far fewer pages)"
    )


# -- progress and summary of `pipeline run` -------------------------------------
@dataclass
class FetchProgress:
    """A progress bar per author while sources fetch, and the figures for the summary."""

    progress: Progress
    tasks: dict[str, TaskID] = field(default_factory=dict)
    pages: Counter = field(default_factory=Counter)
    records: Counter = field(default_factory=Counter)
    totals: ClientStats = field(default_factory=ClientStats)
    fetched: int = 0
    used: bool = False

    def author_started(self, author_id: str, expected_pages: int | None) -> None:
        self.used = True
        self.tasks[author_id] = self.progress.add_task(f"fetching {author_id}", total=expected_pages)

    def page_fetched(self, author_id: str, records: int, stats: ClientStats) -> None:
        self.pages[author_id] += 1
        self.records[author_id] += records
        credits = "" if stats.credits_remaining is None else f", {stats.credits_remaining} credits left"
        self.progress.update(
            self.tasks[author_id],
            advance=1,
            description=f"fetching {author_id}: {self.pages[author_id]} pages, {self.records[author_id]} records, "
            f"{stats.requests} requests{credits}",
        )

    def author_finished(self, author_id: str, stats: ClientStats) -> None:
        task = self.tasks[author_id]
        self.progress.update(task, total=self.pages[author_id] or 1, completed=self.pages[author_id] or 1)

    def source_finished(self, stats: ClientStats, records: int) -> None:
        self.used = True
        self.fetched += records
        for name in ("requests", "retries", "rate_limit_waits", "waited_seconds", "credits_used"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(stats, name))
        if stats.credits_remaining is not None:
            self.totals.credits_remaining = stats.credits_remaining


@contextlib.contextmanager
def fetch_progress(progress: Progress):
    """Draw fetch progress on ``progress`` for every API source fetched in this block."""
    from pipeline.sources.progress import observe_fetch

    watcher = FetchProgress(progress)
    with observe_fetch(watcher):
        yield watcher


def print_fetch_summary(out: Console, watcher: FetchProgress, landing) -> None:
    """One line: records fetched, landed, quarantined, requests, retries, rate-limit waits."""
    if not watcher.used:
        return
    live = [f for f in landing.files if f.source.endswith("-api")]
    t = watcher.totals
    credits = "" if t.credits_remaining is None else f", {t.credits_remaining} credits left"
    out.print(
        f"fetched {watcher.fetched} records in {t.requests} requests ({t.retries} retries, "
        f"{t.rate_limit_waits} rate-limit waits, {t.waited_seconds:.1f}s waiting{credits}); "
        f"landed {sum(f.valid for f in live)}, quarantined {sum(f.quarantined for f in live)}"
        + (f", {sum(f.skipped for f in live)} raw responses already landed" if any(f.skipped for f in live) else "")
    )


def register(app: typer.Typer) -> None:
    """Mount ``state`` and ``sources`` on the ``pipeline`` command."""
    app.command("state")(state)
    app.command("sources")(sources)
