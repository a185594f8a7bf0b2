"""``pipeline``: the command line. Every command calls the same functions as the
Airflow tasks; failures print one line (``--debug`` shows the traceback)."""

from __future__ import annotations

import logging
import re
import sys
import time
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from pipeline.config import Settings, load_settings
from pipeline.errors import PipelineError
from pipeline.storage.layout import DataLayout

# rich_markup_mode=None: plain help text, so "[default: …]" in a help string is shown, not taken for markup
# (it applies to the mounted sub-commands too); typer adds --install-completion / --show-completion.
app = typer.Typer(
    add_completion=True, no_args_is_help=True, rich_markup_mode=None, help="Scholarly profile ingestion pipeline."
)
console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        console.print(f"pipeline {version('scholarly-pipeline')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = None,
) -> None:
    """Scholarly profile ingestion pipeline: sources -> Parquet lake -> DuckDB warehouse -> published Parquet."""


DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the lake and warehouse live. [default: ./data]")
]


def _settings(data_dir: Path | None, as_of: date | None = None) -> Settings:
    return load_settings(data_dir, as_of)


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)


def _parse_date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise PipelineError(f"{option} {value!r} is not a date: {exc}; use YYYY-MM-DD, e.g. 2026-01-01") from None


def _existing_data_dir(settings: Settings) -> DataLayout:
    """The layout of a data dir that must already exist (commands that only read)."""
    layout = DataLayout.of(settings)
    if not layout.data_dir.is_dir():
        raise PipelineError(
            f"no data dir at {layout.data_dir}; pass --data-dir of a pipeline run, or run `pipeline run`"
        )
    return layout


def _one_line(exc: Exception) -> str:
    if isinstance(exc, PipelineError):
        return str(exc)  # written for operators already
    text = " ".join(str(exc).split())
    if type(exc).__module__.lstrip("_") == "duckdb":  # a corrupt lake file met by the build
        named = re.search(r"'([^']+\.parquet)'", text)
        if named and re.search(r"magic bytes|too small to be a Parquet|not a parquet", text, re.IGNORECASE):
            from pipeline.storage.store import CORRUPT_LAKE_FILE_FIX

            reason = re.sub(r"^[\w ]*Error: ", "", text).replace(f" '{named[1]}'", "").replace(f"'{named[1]}' ", "")
            return f"{named[1]} is not a readable Parquet file ({reason}); {CORRUPT_LAKE_FILE_FIX}"
    if isinstance(exc, OSError | ValueError):
        return f"{type(exc).__name__}: {text}"
    return f"unexpected {type(exc).__name__}: {text} (re-run with --debug for the traceback)"


def _guarded(debug: bool, action):
    """Run a command body; failures become one line on stderr and exit 1."""
    try:
        return action()
    except Exception as exc:
        if debug:
            raise
        _fail(_one_line(exc))


@app.command()
def run(
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            "-s",
            help="sample | openalex-snapshot:PATH | platform-events:PATH | openalex-api:authors=A1,A2 | "
            "openalex-api:orcid=ORCID | arxiv-api:author=NAME[;cat=CATEGORY] | replay:DIR (repeatable). "
            "[default: sample]",
        ),
    ] = None,
    data_dir: DataDirOption = None,
    as_of: Annotated[str | None, typer.Option(help="Trust snapshot date, YYYY-MM-DD. [default: today, UTC]")] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Rebuild the whole warehouse, even if nothing changed or only new lake files would allow an "
            "incremental build.",
        ),
    ] = False,
    rebuild: Annotated[bool, typer.Option(help="Same as --full-refresh.")] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Land the sources into the lake, then build and publish the warehouse."""
    from pipeline import run as pipeline_run

    specs = source or ["sample"]

    def action() -> None:
        as_of_date = _parse_date("--as-of", as_of)
        settings = _settings(data_dir, as_of_date)
        started = time.perf_counter()
        from pipeline.sources.cli import fetch_progress, print_fetch_summary

        with _progress() as progress, fetch_progress(progress) as fetched:  # API sources fetch here
            inputs = pipeline_run.collect_inputs(specs, settings)
        expected = sum(i.expected_records or 0 for i in inputs) or None
        with _progress() as progress:
            task = progress.add_task("landing records", total=expected)
            landing = pipeline_run.land_sources(inputs, settings, on_records=lambda n: progress.advance(task, n))
            progress.update(task, completed=landing.total("records"), total=landing.total("records") or 1)
            step = progress.add_task("building warehouse", total=None)
            built = pipeline_run.build(
                settings,
                full_refresh=full_refresh or rebuild,
                on_step=lambda s: progress.update(step, description=f"building {s}"),
            )
            progress.update(step, description="warehouse published", total=1, completed=1)
        _print_run_summary(landing, built, DataLayout.of(settings).publish_dir, time.perf_counter() - started)
        print_fetch_summary(console, fetched, landing)

    _guarded(debug, action)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=not sys.stderr.isatty(),
    )


def _print_run_summary(landing, built, publish_dir: Path, seconds: float) -> None:
    table = Table(title="Landed", show_edge=False)
    for column in ("entity", "files", "skipped", "records", "valid", "quarantined"):
        table.add_column(column, justify="left" if column == "entity" else "right")
    for entity in sorted({f.entity for f in landing.files}):
        files = [f for f in landing.files if f.entity == entity]
        table.add_row(
            entity,
            str(len(files)),
            str(sum(f.skipped for f in files)),
            str(landing.total("records", entity)),
            str(landing.total("valid", entity)),
            str(landing.total("quarantined", entity)),
        )
    console.print(table)
    if landing.total("quarantined"):
        console.print(
            f"[yellow]{landing.total('quarantined')} record(s) quarantined[/]: see `pipeline quarantine` "
            "(each row has the file:line and the reason)"
        )
    mismatched = [f for f in landing.files if f.count_mismatch]
    for f in mismatched:
        console.print(
            f"[yellow]warning:[/] {f.source_file}: manifest says {f.expected_records} records, read {f.records}"
        )
    tables = Table(title="Warehouse tables", show_edge=False)
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, count in built.row_counts.items():
        tables.add_row(name, str(count))
    console.print(tables)
    state = "up to date, nothing changed since the last build" if built.up_to_date else "published"
    if not built.up_to_date:
        console.print(f"{built.mode} build: {built.mode_reason}")
    console.print(
        f"[green]ok[/] warehouse {built.warehouse_path} {state} (trust as of {built.as_of}), "
        f"{len(built.published)} Parquet outputs in {publish_dir}, {seconds:.1f}s"
    )


@app.command()
def profile(
    name_or_id: Annotated[str, typer.Argument(help="An author id (A…) or display name.")],
    data_dir: DataDirOption = None,
    abstracts: Annotated[bool, typer.Option(help="Print each work's abstract, as the seed pages do.")] = True,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the profile document (schemas/json/profile.schema.json) instead.")
    ] = False,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Print a researcher's profile like the seed pages: trust, counts, works, collaborators."""
    from pipeline.profile_card import load_profile
    from pipeline.profile_text import print_card

    def action() -> None:
        layout = DataLayout.of(_settings(data_dir))
        doc = load_profile(layout.warehouse_path, name_or_id, lake=layout.lake)
        if as_json:
            sys.stdout.write(doc.model_dump_json(indent=2) + "\n")
        else:
            print_card(doc, console, abstracts=abstracts)

    _guarded(debug, action)


class QuarantineFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@app.command()
def quarantine(
    data_dir: DataDirOption = None,
    entity: Annotated[str | None, typer.Option(help="Only this entity (works, authors, ...). [default: all]")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Rows to show.")] = 20,
    output_format: Annotated[
        QuarantineFormat, typer.Option("--format", help="table for people; json or csv for scripts.")
    ] = QuarantineFormat.table,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """List rejected input records: where they came from (file:line) and why."""
    from pipeline.quarantine_report import rejected_records, write_csv, write_json

    def action() -> None:
        layout = DataLayout.of(_settings(data_dir))
        if layout.quarantine.is_local:  # a quarantine in an object store needs no local data dir
            _existing_data_dir(_settings(data_dir))
        total, rows = rejected_records(layout.quarantine, entity=entity, limit=limit)
        if output_format is QuarantineFormat.json:
            write_json(sys.stdout, total, rows)
            return
        if output_format is QuarantineFormat.csv:
            write_csv(sys.stdout, rows)
            return
        console.print(f"[bold]Quarantine: {total} rejected record(s)[/]", highlight=False)
        for row in rows:
            raw = row["raw"] if len(row["raw"]) <= 200 else row["raw"][:197] + "..."
            console.print()
            console.print(Text(row["location"], style="cyan"), soft_wrap=True)  # file:line never wraps
            console.print(Text(f"  {row['source']} · {row['entity']} · {row['error']}"))
            console.print(Text(f"  raw: {raw}", style="dim"))
        if total > len(rows):
            console.print(f"[dim]showing {len(rows)} of {total}; --limit N shows more[/]")

    _guarded(debug, action)


@app.command()
def report(
    data_dir: DataDirOption = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Write the HTML report of the last run (DIR/report/index.html): inputs, quarantine, gates, figures,
    one page per profile, the data dictionary."""
    from pipeline.report.site import write_site

    def action() -> None:
        site = write_site(_existing_data_dir(_settings(data_dir)))
        console.print(f"[green]ok[/] report with {site.profiles} profile page(s): {site.index}", highlight=False)

    _guarded(debug, action)


@app.command()
def quality(
    data_dir: DataDirOption = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks.")] = False,
) -> None:
    """Re-run the quality gate on the published warehouse and say where the Data Docs are."""
    from pipeline.run import check_quality

    def action() -> None:
        run = check_quality(_settings(data_dir))
        table = Table(title=f"Quality gate run {run.run_id}", show_edge=False)
        for column in ("suite", "expectations", "failed", "result"):
            table.add_column(column, justify="right" if column in ("expectations", "failed") else "left")
        for suite in run.suites:
            failed = sum(not e.success for e in suite.expectations)
            table.add_row(
                suite.name, str(len(suite.expectations)), str(failed), "ok" if suite.success else "[red]FAILED[/]"
            )
        console.print(table)
        console.print(f"Data Docs: {run.docs}")
        if not run.success:
            _fail(f"quality gate failed: {run.summary()}")

    _guarded(debug, action)


def _mount_subcommands() -> None:
    from pipeline.requests.cli import request_app

    app.add_typer(request_app, name="request")

    from pipeline.sources.cli import register as register_source_commands

    register_source_commands(app)  # pipeline state, pipeline sources


_mount_subcommands()


def main() -> None:  # pragma: no cover - console-script shim
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
