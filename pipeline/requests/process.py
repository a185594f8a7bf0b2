"""Working off the request log: claim pending requests in batches, fetch and land
their data, and only then mark them done.

The Airflow DAGs (``profile_requests``, ``platform_events``, ``sweep_requests``,
``refresh_stale_profiles``) and ``pipeline request process|stale`` call these same
functions. A batch is a small JSON-able dict, so it can travel through XCom to a
mapped task::

    batches = claim_batches(settings, "profile")      # leases requests, oldest first
    for batch in batches:
        process_batch(settings, batch)                # fetch -> land -> mark done

A profile batch fetches every target from the OpenAlex API
(``openalex-api:authors=…`` / ``openalex-api:orcid=…``) and lands the responses;
an event batch writes its events to ``DIR/inbox/events/`` (one JSON Lines file per
batch, named by its content) and lands that file as the platform source. A target
that fails is marked failed with its reason (retried later when the fault may
pass); the others still land. A crash after claiming leaves the lease to expire,
and the request is then claimed again: nothing is lost, and landing the same data
twice changes no warehouse table.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pipeline.config import Settings
from pipeline.errors import PipelineError, TransientError
from pipeline.requests.envelope import EventRequest, ProfileRequest
from pipeline.requests.log import Kind, RequestLog
from pipeline.storage.layout import DataLayout

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    """What one batch did, for task logs, asset-event extras and the CLI."""

    kind: str
    requests: int = 0
    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    retry_later: dict[int, str] = field(default_factory=dict)
    records: int = 0
    valid: int = 0
    quarantined: int = 0
    landing_report: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["failed"] = {str(k): v for k, v in self.failed.items()}
        data["retry_later"] = {str(k): v for k, v in self.retry_later.items()}
        return data

    def summary(self) -> str:
        parts = [
            f"{self.kind} batch: {self.requests} request(s)",
            f"{len(self.done)} done",
            f"{len(self.failed)} failed",
            f"{len(self.retry_later)} to retry",
            f"records {self.records} (valid {self.valid}, quarantined {self.quarantined})",
            f"{self.seconds:.1f}s",
        ]
        return ", ".join(parts)


def open_log(settings: Settings) -> RequestLog:
    return RequestLog(DataLayout.of(settings).requests_db, max_attempts=settings.requests.max_attempts)


def file_payloads(settings: Settings, payloads: list[str]) -> int:
    """File the envelopes that doorbell messages carried (apps that can only publish);
    plain pings are ignored. Returns how many new requests were filed."""
    from pipeline.requests.doorbell import file_doorbell_payloads

    results = file_doorbell_payloads(open_log(settings), payloads)
    filed = sum(result.new for result in results)
    log.info("doorbell: %d message(s), %d envelope(s), %d new request(s)", len(payloads), len(results), filed)
    return filed


def claim_batches(settings: Settings, kind: Kind, *, owner: str | None = None) -> list[dict[str, Any]]:
    """Lease up to ``max_batches × batch_size`` pending requests of ``kind`` and split
    them into batches of ``batch_size`` (each a dict: kind, owner, request ids)."""
    rs = settings.requests
    owner = owner or f"{kind}-{uuid.uuid4().hex[:12]}"
    claimed = open_log(settings).claim_pending(
        kind, limit=rs.batch_size * rs.max_batches, lease_seconds=rs.lease_seconds, owner=owner
    )
    ids = [request.id for request in claimed]
    batches = [
        {"kind": kind, "owner": owner, "ids": ids[start : start + rs.batch_size]}
        for start in range(0, len(ids), rs.batch_size)
    ]
    log.info("claimed %d %s request(s) in %d batch(es)", len(ids), kind, len(batches))
    return batches


def process_batch(settings: Settings, batch: dict[str, Any]) -> BatchResult:
    """Fetch and land one batch, then mark its requests done (or failed, with the reason)."""
    began = time.monotonic()
    request_log = open_log(settings)
    requests = [request_log.get(request_id) for request_id in batch["ids"]]
    requests = [r for r in requests if r is not None and r.status == "claimed"]
    result = BatchResult(kind=batch["kind"], requests=len(requests))
    if requests:
        if batch["kind"] == "profile":
            _process_profiles(settings, request_log, requests, result)
        else:
            _process_events(settings, request_log, requests, result)
    result.seconds = time.monotonic() - began
    log.info(result.summary())
    return result


def process_pending(settings: Settings, kind: Kind | None = None) -> list[BatchResult]:
    """Work off every pending request of ``kind`` (default: both) in this process, batch by batch,
    until the log has none left that this run has not tried."""
    results = []
    for each in [kind] if kind else ["event", "profile"]:
        while True:
            batches = claim_batches(settings, each)
            if not batches:
                break
            results.extend(process_batch(settings, batch) for batch in batches)
    return results


# -- profiles -----------------------------------------------------------------------------------


def _process_profiles(settings: Settings, request_log: RequestLog, requests, result: BatchResult) -> None:
    from pipeline.run import collect_inputs, land_sources

    inputs, fetched = [], []
    for request in requests:
        envelope: ProfileRequest = request.parsed()
        spec = _spec_for(envelope.target)
        try:
            inputs.extend(collect_inputs([spec], settings))
        except Exception as exc:  # one bad target must not sink the batch
            _record_failure(request_log, request.id, exc, result)
            continue
        fetched.append(request.id)
    _land_then_mark(settings, request_log, inputs, fetched, result, land_sources)


def _spec_for(target: str) -> str:
    if target.startswith("orcid:"):
        return f"openalex-api:orcid={target.removeprefix('orcid:')}"
    return f"openalex-api:authors={target}"


# -- platform events ----------------------------------------------------------------------------


def _process_events(settings: Settings, request_log: RequestLog, requests, result: BatchResult) -> None:
    from pipeline.run import land_sources
    from pipeline.sources.platform.events_file import PlatformEventsFile
    from pipeline.storage.atomic import write_text_atomically

    lines = []
    for request in requests:
        envelope: EventRequest = request.parsed()
        lines.append(envelope.event.model_dump_json(exclude_none=True))
    text = "\n".join(lines) + "\n"
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    path = DataLayout.of(settings).inbox_file("events", f"batch-{digest}.jsonl")
    write_text_atomically(path, text)
    _land_then_mark(
        settings, request_log, PlatformEventsFile(path).files(), [r.id for r in requests], result, land_sources
    )


# -- shared -------------------------------------------------------------------------------------


def _land_then_mark(settings, request_log: RequestLog, inputs, ids: list[int], result: BatchResult, land_sources):
    if not ids:
        return
    try:
        report = land_sources(inputs, settings)
    except Exception as exc:
        for request_id in ids:
            _record_failure(request_log, request_id, exc, result)
        raise
    result.records += report.total("records")
    result.valid += report.total("valid")
    result.quarantined += report.total("quarantined")
    result.landing_report = str(DataLayout.of(settings).report_path("landing"))
    request_log.mark_done(ids)  # only now: the data is in the lake
    result.done.extend(ids)


def _record_failure(request_log: RequestLog, request_id: int, exc: BaseException, result: BatchResult) -> None:
    message = _one_line(exc)
    retry = is_transient(exc)
    status = request_log.mark_failed(request_id, message, retry=retry)
    (result.retry_later if status == "pending" else result.failed)[request_id] = message
    log.warning("request #%d %s: %s", request_id, "will be retried" if status == "pending" else "failed", message)


def is_transient(exc: BaseException) -> bool:
    """A fault that may pass (network, rate limit, server error): worth retrying later.
    A PipelineError that is not a TransientError is the operator's to fix (bad target, bad spec)."""
    if isinstance(exc, TransientError):
        return True
    return not isinstance(exc, PipelineError)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if isinstance(exc, PipelineError) else f"{type(exc).__name__}: {text}"


# -- stale profiles -----------------------------------------------------------------------------


def stale_authors(settings: Settings, *, today: date | None = None) -> list[str]:
    """Authors of the published warehouse whose newest data is older than ``stale_after_days``,
    oldest first, at most ``stale_max_per_run``. An author's data is as new as the later of
    the last ingest date of their author record and their last finished profile request;
    co-authors with no author record of their own are left alone."""
    import duckdb

    layout = DataLayout.of(settings)
    if not layout.warehouse_path.exists():
        return []
    rs = settings.requests
    today = today or datetime.now(UTC).date()
    cutoff = today - timedelta(days=rs.stale_after_days)
    refreshed = _last_refreshed(open_log(settings))
    con = duckdb.connect(str(layout.warehouse_path), read_only=True)
    try:
        authors = [row[0] for row in con.sql("select author_id from profiles where author_id like 'A%'").fetchall()]
    finally:
        con.close()
    landed = _last_landed(layout)
    ages = []
    for author in authors:
        newest = max(filter(None, (landed.get(author), refreshed.get(author))), default=None)
        # None: only named on someone else's works (no author record of their own): not ours to refresh,
        # or a daily run would crawl the whole co-author graph
        if newest is not None and newest < cutoff:
            ages.append((newest, author))
    return [author for _, author in sorted(ages)[: rs.stale_max_per_run]]


def file_stale_requests(settings: Settings, *, today: date | None = None, ring: bool = True) -> list[int]:
    """File a profile request for every stale author (see :func:`stale_authors`); returns the new ids."""
    from pipeline.requests.doorbell import DoorbellError
    from pipeline.requests.doorbell import ring as ring_doorbell
    from pipeline.requests.envelope import profile_request

    request_log = open_log(settings)
    filed = []
    for author in stale_authors(settings, today=today):
        added = request_log.add(profile_request(author, requested_by="refresh_stale_profiles"))
        if added.new:
            filed.append(added.id)
    log.info("filed %d stale-profile request(s)", len(filed))
    if ring and filed:
        try:
            ring_doorbell(settings.requests.redis_url, settings.requests.requests_channel, json.dumps({"version": 1}))
        except DoorbellError as exc:
            log.warning("%s", exc)
    return filed


def _last_refreshed(request_log: RequestLog) -> dict[str, date]:
    newest: dict[str, date] = {}
    for request in request_log.list(status="done", kind="profile"):
        target = request.key
        when = datetime.fromisoformat(request.updated_at).date()
        if target not in newest or when > newest[target]:
            newest[target] = when
    return newest


def _last_landed(layout: DataLayout) -> dict[str, date]:
    """author id -> the newest ingest date of a landed author record."""
    import duckdb

    files = layout.lake.files("source=*/entity=authors/ingest_date=*/*.parquet")
    if not files:
        return {}
    con = duckdb.connect()
    try:
        layout.lake.attach(con)
        paths = [layout.lake.for_duckdb(path) for path in files]
        rows = con.execute(
            "select author_id, max(ingest_date)::date from read_parquet(?, hive_partitioning = true, hive_types = {'ingest_date': DATE}, union_by_name = true) group by 1",
            [paths],
        ).fetchall()
    finally:
        con.close()
    return dict(rows)
