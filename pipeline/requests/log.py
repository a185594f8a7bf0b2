"""The durable request log: one SQLite file (WAL) that several processes on one
host share. A Redis doorbell only says "look at the log"; the log is the truth.

Life of a request::

    add() -> pending --claim_pending()--> claimed (leased) --mark_done()--> done
                ^                            |  lease expires: claimable again
                +------ mark_failed() -------+  (attempts left)   else -> failed

* ``add`` is idempotent: a profile target already pending is the same request,
  and an event is identified by its ``event_id`` for good.
* ``claim_pending`` leases a batch inside one write transaction
  (``BEGIN IMMEDIATE``), so two runners never take the same request. A runner
  that dies leaves a lease that expires; the request is then claimable again.
* ``mark_done`` is called only after the data has landed, so a crash between
  fetching and landing repeats the work instead of losing it.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pipeline.errors import PipelineError
from pipeline.requests.envelope import EventRequest, ProfileRequest, parse_envelope

Kind = Literal["profile", "event"]
Status = Literal["pending", "claimed", "done", "failed"]
KINDS: tuple[str, ...] = ("profile", "event")
STATUSES: tuple[str, ...] = ("pending", "claimed", "done", "failed")
SCHEMA_VERSION = 1

_SCHEMA = """
create table if not exists requests (
    id            integer primary key autoincrement,
    kind          text    not null check (kind in ('profile', 'event')),
    dedupe_key    text    not null,
    envelope      text    not null,
    status        text    not null default 'pending'
                          check (status in ('pending', 'claimed', 'done', 'failed')),
    attempts      integer not null default 0,
    lease_owner   text,
    lease_until   real,
    last_error    text,
    requested_by  text,
    created_at    text    not null,
    updated_at    text    not null,
    done_at       text
);
-- a target waiting to be refreshed is one request, however often it is asked for
create unique index if not exists requests_one_pending_profile
    on requests (dedupe_key) where kind = 'profile' and status = 'pending';
-- an event is a fact: its event_id is filed once, ever
create unique index if not exists requests_one_event on requests (dedupe_key) where kind = 'event';
create index if not exists requests_claimable on requests (kind, status, id);
"""


class RequestLogError(PipelineError):
    """The request log cannot be opened or used."""


@dataclass(frozen=True)
class AddResult:
    id: int
    new: bool


@dataclass(frozen=True)
class Request:
    """One row of the log."""

    id: int
    kind: str
    key: str
    status: str
    attempts: int
    envelope: dict[str, Any]
    requested_by: str | None
    created_at: str
    updated_at: str
    lease_owner: str | None
    lease_until: float | None
    last_error: str | None

    def parsed(self) -> ProfileRequest | EventRequest:
        """The stored envelope as its pydantic model."""
        return parse_envelope(self.envelope)

    def to_dict(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in self.__dataclass_fields__}


def request_log_path(data_dir: Path) -> Path:
    """Where a data dir keeps its request log (``DataLayout.requests_db``)."""
    from pipeline.config import Settings
    from pipeline.storage.layout import DataLayout

    return DataLayout.of(Settings(data_dir=Path(data_dir))).requests_db


class RequestLog:
    """The request log at ``path`` (created on first use). Safe to share between processes on one host;
    every call opens its own short-lived connection, so an instance may also cross a fork."""

    def __init__(
        self,
        path: Path,
        *,
        max_attempts: int = 5,
        busy_timeout_seconds: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.max_attempts = max_attempts
        self._busy_ms = int(busy_timeout_seconds * 1000)
        self._clock = clock
        self._ensure_schema()

    def __repr__(self) -> str:
        return f"RequestLog({str(self.path)!r})"

    # -- writing --------------------------------------------------------------------------------

    def add(self, envelope: ProfileRequest | EventRequest) -> AddResult:
        """File a request; the same profile target while still pending, or the same event_id, is not filed twice."""
        now = self._iso_now()
        with self._write() as con:
            row = con.execute(
                """insert into requests (kind, dedupe_key, envelope, requested_by, created_at, updated_at)
                   values (?, ?, ?, ?, ?, ?)
                   on conflict do nothing
                   returning id""",
                (envelope.kind, envelope.dedupe_key, envelope.to_json(), envelope.requested_by, now, now),
            ).fetchone()
            if row is not None:
                return AddResult(id=row[0], new=True)
            existing = con.execute(
                "select id from requests where kind = ? and dedupe_key = ? and (kind = 'event' or status = 'pending')",
                (envelope.kind, envelope.dedupe_key),
            ).fetchone()
            return AddResult(id=existing[0], new=False)

    def add_many(self, envelopes: Iterable[ProfileRequest | EventRequest]) -> list[AddResult]:
        return [self.add(envelope) for envelope in envelopes]

    def claim_pending(
        self, kind: Kind, limit: int = 100, lease_seconds: float = 600.0, owner: str | None = None
    ) -> list[Request]:
        """Lease up to ``limit`` claimable requests of ``kind`` (pending, or claimed with an expired lease),
        oldest first. Each claim counts as an attempt; a request whose lease expired after its last
        allowed attempt is marked failed instead of being handed out again."""
        _check_kind(kind)
        if limit < 1:
            return []
        owner = owner or f"claim-{uuid.uuid4().hex[:12]}"
        now = self._clock()
        stamp = self._iso_now()
        with self._write() as con:
            con.execute(
                """update requests set status = 'failed', lease_owner = null, lease_until = null, updated_at = ?,
                          last_error = coalesce(last_error || '; ', '') || 'lease expired after the last attempt'
                   where kind = ? and status = 'claimed' and lease_until < ? and attempts >= ?""",
                (stamp, kind, now, self.max_attempts),
            )
            ids = [
                row[0]
                for row in con.execute(
                    """select id from requests
                       where kind = ? and (status = 'pending' or (status = 'claimed' and lease_until < ?))
                       order by id limit ?""",
                    (kind, now, limit),
                )
            ]
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            con.execute(
                f"""update requests set status = 'claimed', attempts = attempts + 1, lease_owner = ?,
                           lease_until = ?, updated_at = ?
                    where id in ({marks})""",
                (owner, now + lease_seconds, stamp, *ids),
            )
            rows = con.execute(f"select * from requests where id in ({marks}) order by id", ids).fetchall()
        return [_row_to_request(row) for row in rows]

    def mark_done(self, ids: Iterable[int]) -> int:
        """Mark requests done (call only after their data has landed). Returns how many changed."""
        ids = list(ids)
        if not ids:
            return 0
        stamp = self._iso_now()
        marks = ",".join("?" * len(ids))
        with self._write() as con:
            cursor = con.execute(
                f"""update requests set status = 'done', lease_owner = null, lease_until = null,
                           updated_at = ?, done_at = ?
                    where id in ({marks}) and status != 'done'""",
                (stamp, stamp, *ids),
            )
            return cursor.rowcount

    def mark_failed(self, request_id: int, error: str, *, retry: bool = True) -> str:
        """Record a failed attempt. The request goes back to pending while attempts remain (and ``retry``),
        else it is failed for good. Returns the new status."""
        stamp = self._iso_now()
        error = " ".join(str(error).split())[:2000]
        with self._write() as con:
            row = con.execute("select kind, dedupe_key, attempts from requests where id = ?", (request_id,)).fetchone()
            if row is None:
                raise RequestLogError(f"request #{request_id} is not in {self.path}")
            kind, key, attempts = row
            status = "pending" if retry and attempts < self.max_attempts else "failed"
            if status == "pending" and kind == "profile":
                twin = con.execute(
                    "select id from requests where kind = 'profile' and dedupe_key = ? and status = 'pending'",
                    (key,),
                ).fetchone()
                if twin is not None:  # a newer request for the same target will do the retry
                    status, error = "failed", f"{error} (retried as request #{twin[0]})"
            con.execute(
                """update requests set status = ?, last_error = ?, lease_owner = null, lease_until = null,
                          updated_at = ?
                   where id = ?""",
                (status, error, stamp, request_id),
            )
        return status

    def release(self, ids: Iterable[int]) -> int:
        """Give claimed requests back without counting the attempt (e.g. a runner shutting down cleanly)."""
        ids = list(ids)
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        with self._write() as con:
            # A profile that gained a pending twin meanwhile would violate the one-pending rule; leave it.
            cursor = con.execute(
                f"""update or ignore requests set status = 'pending', attempts = max(attempts - 1, 0),
                           lease_owner = null, lease_until = null, updated_at = ?
                    where id in ({marks}) and status = 'claimed'""",
                (self._iso_now(), *ids),
            )
            return cursor.rowcount

    # -- reading --------------------------------------------------------------------------------

    def pending_count(self, kind: Kind | None = None) -> int:
        """Requests waiting for a runner: pending, or claimed by a runner whose lease expired."""
        if kind is not None:
            _check_kind(kind)
        with self._read() as con:
            return con.execute(
                """select count(*) from requests
                   where (status = 'pending' or (status = 'claimed' and lease_until < ?))
                     and (? is null or kind = ?)""",
                (self._clock(), kind, kind),
            ).fetchone()[0]

    def get(self, request_id: int) -> Request | None:
        with self._read() as con:
            row = con.execute("select * from requests where id = ?", (request_id,)).fetchone()
        return _row_to_request(row) if row else None

    def list(self, status: Status | None = None, kind: Kind | None = None, limit: int | None = None) -> list[Request]:
        """Requests, oldest first, optionally filtered by status and kind."""
        if status is not None and status not in STATUSES:
            raise RequestLogError(f"unknown request status {status!r}; use one of {', '.join(STATUSES)}")
        if kind is not None:
            _check_kind(kind)
        with self._read() as con:
            rows = con.execute(
                """select * from requests where (? is null or status = ?) and (? is null or kind = ?)
                   order by id limit ?""",
                (status, status, kind, kind, -1 if limit is None else limit),
            ).fetchall()
        return [_row_to_request(row) for row in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        """``{kind: {status: n}}`` for dashboards and the CLI."""
        result: dict[str, dict[str, int]] = {kind: dict.fromkeys(STATUSES, 0) for kind in KINDS}
        with self._read() as con:
            for kind, status, n in con.execute("select kind, status, count(*) from requests group by 1, 2"):
                result[kind][status] = n
        return result

    # -- plumbing -------------------------------------------------------------------------------

    def _iso_now(self) -> str:
        return datetime.fromtimestamp(self._clock(), UTC).isoformat(timespec="milliseconds")

    def _connect(self) -> sqlite3.Connection:
        try:
            con = sqlite3.connect(self.path, timeout=self._busy_ms / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise RequestLogError(f"cannot open the request log {self.path}: {exc}") from None
        con.execute(f"pragma busy_timeout = {self._busy_ms}")
        con.execute("pragma synchronous = full")  # the log is the truth: a filed request survives a power cut
        con.row_factory = sqlite3.Row
        return con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            con.execute("begin immediate")  # take the write lock now: claims are read-then-write
            try:
                yield con
            except BaseException:
                con.execute("rollback")
                raise
            con.execute("commit")
        except sqlite3.OperationalError as exc:
            raise RequestLogError(f"request log {self.path} is unavailable: {exc}") from None
        finally:
            con.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            yield con
        except sqlite3.OperationalError as exc:
            raise RequestLogError(f"request log {self.path} is unavailable: {exc}") from None
        finally:
            con.close()

    def _ensure_schema(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RequestLogError(f"cannot create the folder of the request log {self.path}: {exc}") from None
        con = self._connect()
        try:
            mode = con.execute("pragma journal_mode = wal").fetchone()[0]
            if mode.lower() != "wal":
                raise RequestLogError(
                    f"request log {self.path} cannot use WAL mode (got {mode}); put it on a local disk"
                )
            version = con.execute("pragma user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise RequestLogError(
                    f"request log {self.path} has schema v{version}, newer than this pipeline (v{SCHEMA_VERSION}); "
                    "upgrade the pipeline"
                )
            con.execute("begin immediate")
            for statement in _statements(_SCHEMA):
                con.execute(statement)
            con.execute(f"pragma user_version = {SCHEMA_VERSION}")
            con.execute("commit")
        except sqlite3.Error as exc:
            raise RequestLogError(f"cannot open the request log {self.path}: {exc}") from None
        finally:
            con.close()


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise RequestLogError(f"unknown request kind {kind!r}; use one of {', '.join(KINDS)}")


def _row_to_request(row: sqlite3.Row) -> Request:
    return Request(
        id=row["id"],
        kind=row["kind"],
        key=row["dedupe_key"],
        status=row["status"],
        attempts=row["attempts"],
        envelope=json.loads(row["envelope"]),
        requested_by=row["requested_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        lease_owner=row["lease_owner"],
        lease_until=row["lease_until"],
        last_error=row["last_error"],
    )
