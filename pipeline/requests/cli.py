"""``pipeline request …``: file profile refreshes and platform events in the durable
request log, then ring the Redis doorbell so Airflow picks them up at once.

Mounted by the main CLI with ``app.add_typer(request_app, name="request")``.
"""

from __future__ import annotations

import getpass
import json
import os
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pipeline.errors import PipelineError

request_app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="File refresh requests and platform events (durable log + Redis doorbell).",
)
console = Console()
err_console = Console(stderr=True)

DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="Where the lake and warehouse live. [default: ./data]")
]
RedisUrlOption = Annotated[
    str | None,
    typer.Option("--redis-url", help="Redis that carries the doorbell. [default: PIPELINE_REQUESTS__REDIS_URL]"),
]
NoDoorbellOption = Annotated[
    bool, typer.Option("--no-doorbell", help="Only file in the log; the next scheduled sweep processes it.")
]
RequestedByOption = Annotated[
    str | None, typer.Option("--requested-by", help="Who asks (app or user name). [default: cli:$USER]")
]
DebugOption = Annotated[bool, typer.Option(help="Show tracebacks.")]


@request_app.command("add")
def add(
    targets: Annotated[
        list[str], typer.Argument(help="OpenAlex author ids (A5023888391) or ORCID iDs (orcid:0000-0002-1825-0097).")
    ],
    data_dir: DataDirOption = None,
    requested_by: RequestedByOption = None,
    no_doorbell: NoDoorbellOption = False,
    redis_url: RedisUrlOption = None,
    debug: DebugOption = False,
) -> None:
    """Ask for researcher profiles to be refreshed."""
    from pipeline.requests.envelope import profile_request

    def action() -> None:
        who = requested_by or _default_requester()
        envelopes = [profile_request(target, requested_by=who) for target in targets]  # all valid, or none filed
        _file_and_ring(envelopes, data_dir, redis_url, not no_doorbell)

    _guarded(debug, action)


@request_app.command("event")
def event(
    event_type: Annotated[
        str,
        typer.Argument(metavar="TYPE", help="author.claimed | author.followed | author.unfollowed | author.verified"),
    ],
    author_id: Annotated[str, typer.Argument(help="OpenAlex author id, e.g. A5023888391.")],
    actor: Annotated[str | None, typer.Option("--actor", help="The platform user who acted.")] = None,
    event_id: Annotated[
        str | None, typer.Option("--event-id", help="Unique id; re-sending the same id is a no-op. [default: new]")
    ] = None,
    occurred_at: Annotated[
        str | None, typer.Option("--occurred-at", help="ISO 8601 time, e.g. 2026-01-01T12:00:00Z. [default: now]")
    ] = None,
    data_dir: DataDirOption = None,
    requested_by: RequestedByOption = None,
    no_doorbell: NoDoorbellOption = False,
    redis_url: RedisUrlOption = None,
    debug: DebugOption = False,
) -> None:
    """File a platform event (claim, follow, unfollow, verify)."""
    from pipeline.requests.envelope import event_request

    def action() -> None:
        envelope = event_request(
            event_type,
            author_id,
            event_id=event_id or f"cli-{uuid.uuid4()}",
            actor_id=actor,
            occurred_at=occurred_at,
            requested_by=requested_by or _default_requester(),
        )
        _file_and_ring([envelope], data_dir, redis_url, not no_doorbell)

    _guarded(debug, action)


@request_app.command("list")
def list_requests(
    status: Annotated[
        str | None, typer.Option("--status", help="pending | claimed | done | failed. [default: all]")
    ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="profile | event. [default: both]")] = None,
    output_format: Annotated[str, typer.Option("--format", help="table | json")] = "table",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Show at most this many (oldest first).")] = None,
    data_dir: DataDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Show the requests in the log."""

    def action() -> None:
        if output_format not in ("table", "json"):
            raise PipelineError(f"unknown --format {output_format!r}; use table or json")
        requests = _open_log(data_dir).list(status=status, kind=kind, limit=limit)
        if output_format == "json":
            typer.echo(json.dumps([request.to_dict() for request in requests], indent=2, default=str))
            return
        if not requests:
            console.print("no requests" + (f" with status {status}" if status else ""))
            return
        table = Table(title=f"{len(requests)} request(s)")
        for column in ("id", "kind", "target / event", "status", "attempts", "requested by", "filed at", "last error"):
            table.add_column(column, overflow="fold")
        for request in requests:
            table.add_row(
                str(request.id),
                request.kind,
                _describe(request.envelope),
                _styled(request.status),
                str(request.attempts),
                request.requested_by or "",
                request.created_at[:19].replace("T", " "),
                request.last_error or "",
            )
        console.print(table)

    _guarded(debug, action)


def _file_and_ring(envelopes, data_dir: Path | None, redis_url: str | None, doorbell: bool) -> None:
    from pipeline.config import load_settings
    from pipeline.requests.doorbell import DoorbellError, ring

    settings = load_settings(data_dir)
    redis_url = redis_url or settings.requests.redis_url
    request_log = _open_log(data_dir)
    filed = []
    for envelope in envelopes:
        result = request_log.add(envelope)
        filed.append((envelope, result))
        what = _describe(json.loads(envelope.to_json()))
        if result.new:
            console.print(f"[green]filed[/] #{result.id} {envelope.kind} {what}", highlight=False)
        else:
            console.print(f"[yellow]already filed[/] #{result.id} {envelope.kind} {what}", highlight=False)
    if not doorbell:
        console.print("doorbell not rung (--no-doorbell): the next scheduled sweep processes the log")
        return
    try:
        for envelope, _ in filed:
            ring(redis_url, None, envelope, settings=settings)
    except DoorbellError as exc:
        err_console.print(f"[bold yellow]warning:[/] {exc}", highlight=False, soft_wrap=True)
        return
    console.print(f"rang the doorbell for {len(filed)} request(s)")


def _open_log(data_dir: Path | None):
    from pipeline.config import load_settings
    from pipeline.requests.process import open_log

    return open_log(load_settings(data_dir))


@request_app.command("process")
def process(
    kind: Annotated[str | None, typer.Option("--kind", help="profile | event. [default: both]")] = None,
    data_dir: DataDirOption = None,
    debug: DebugOption = False,
) -> None:
    """Work off the pending requests now, in this process (what the Airflow DAGs do in mapped tasks)."""
    from pipeline.config import load_settings
    from pipeline.requests.process import process_pending

    def action() -> None:
        if kind not in (None, "profile", "event"):
            raise PipelineError(f"unknown --kind {kind!r}; use profile or event")
        results = process_pending(load_settings(data_dir), kind)
        if not results:
            console.print("no pending requests")
        for result in results:
            console.print(result.summary(), highlight=False)
            for request_id, reason in {**result.failed, **result.retry_later}.items():
                console.print(f"  #{request_id}: {reason}", highlight=False, soft_wrap=True)
        if any(result.failed or result.retry_later for result in results):
            raise typer.Exit(code=1)

    _guarded(debug, action)


@request_app.command("stale")
def stale(
    older_than_days: Annotated[
        int | None, typer.Option("--older-than-days", min=0, help="[default: PIPELINE_REQUESTS__STALE_AFTER_DAYS, 7]")
    ] = None,
    data_dir: DataDirOption = None,
    debug: DebugOption = False,
) -> None:
    """File refresh requests for published authors whose data is older than N days."""
    from pipeline.config import load_settings
    from pipeline.requests.process import file_stale_requests

    def action() -> None:
        settings = load_settings(data_dir)
        if older_than_days is not None:
            settings.requests.stale_after_days = older_than_days
        filed = file_stale_requests(settings)
        console.print(f"filed {len(filed)} stale-profile request(s)")

    _guarded(debug, action)


def _describe(envelope: dict) -> str:
    if envelope.get("kind") == "event":
        ev = envelope.get("event") or {}
        return f"{ev.get('type')} {ev.get('author_id')} (event {ev.get('event_id')})"
    return str(envelope.get("target"))


def _styled(status: str) -> str:
    colour = {"pending": "cyan", "claimed": "blue", "done": "green", "failed": "red"}.get(status, "white")
    return f"[{colour}]{status}[/]"


def _default_requester() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return f"cli:uid-{os.getuid()}"


def _guarded(debug: bool, action) -> None:
    """Run a command body; failures become one line on stderr and exit 1 (like the main CLI)."""
    try:
        action()
    except typer.Exit:
        raise
    except Exception as exc:
        if debug:
            raise
        if isinstance(exc, PipelineError):
            message = str(exc)
        else:
            message = f"unexpected {type(exc).__name__}: {' '.join(str(exc).split())} (re-run with --debug)"
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=1) from None
