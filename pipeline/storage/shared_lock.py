"""The lake's commit lock across hosts.

``DIR/.pipeline.lock`` (:mod:`pipeline.storage.lock`, flock) only holds on one host. When the lake is on an
object store, Airflow workers on several hosts land into it at once: they stage their files in parallel,
and only the **commit step** (re-check what is landed, copy staged objects into place, delete superseded
ones) and the warehouse build (which reads the lake and appends to the trust history) take this lock:

* ``PIPELINE_LOCK__POSTGRES_DSN`` set: a PostgreSQL session advisory lock (``pg_advisory_lock``) keyed by
  the lake's URI, e.g. on the Airflow metadata database. PostgreSQL drops it when the holder's connection
  ends, so a killed worker never leaves it behind.
* otherwise, for an ``s3://`` lake: a **lease object**, ``<lake>/_locks/commit.lease``, created with a
  conditional write (``PUT`` with ``If-None-Match: *``: exactly one creator wins). The holder renews it
  every ``lease_seconds / 3`` (``PUT`` with ``If-Match: <its ETag>``; each renewal changes the ETag) and
  deletes it when done (``DELETE`` with ``If-Match``). A contender that sees the *same* ETag for
  ``lease_seconds`` by its own monotonic clock (no clocks are compared across hosts) knows the holder is
  dead and takes the lease over with ``If-Match`` on that ETag, so only one contender can win. A holder
  that could not renew for two thirds of ``lease_seconds`` stops committing (:meth:`ObjectLease.check`
  runs before every commit), before anyone may take its lease. S3 (since 2024), MinIO and moto support
  these conditional writes.
* a local (or ``memory://``) lake: nothing more than the flock, whatever is configured.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from pipeline.config import Settings
from pipeline.errors import PipelineError, TransientError
from pipeline.storage.lock import LockTimeoutError
from pipeline.storage.object_store import LOCKS_DIR, S3_PROTOCOLS, ObjectStore, _writer_token, protocol_of
from pipeline.storage.store import Store

log = logging.getLogger(__name__)

LEASE_NAME = "commit.lease"


class LeaseLostError(TransientError):
    """This process no longer holds the lake's commit lease (another host took it over): retry the run."""


class CommitGuard:
    """What the commit step holds; :meth:`check` before each commit."""

    kind = "none"

    def check(self) -> None:
        return None


def lock_key(lake_uri: str) -> int:
    """A signed 64-bit advisory-lock key for one lake (different lakes never contend)."""
    digest = hashlib.blake2b(f"scholarly-pipeline lake commit|{lake_uri}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def needs_shared_lock(lake: Store) -> bool:
    """A lake on an object store may be written from several hosts; a local lake is the flock's."""
    return isinstance(lake, ObjectStore)


@contextmanager
def lake_commit_lock(settings: Settings, lake: Store, *, timeout_seconds: float | None = None) -> Iterator[CommitGuard]:
    """Hold the lake's cross-host commit lock (see the module docstring) while the block runs."""
    timeout = settings.lock_timeout_seconds if timeout_seconds is None else timeout_seconds
    if not needs_shared_lock(lake):
        yield CommitGuard()
    elif settings.lock.postgres_dsn is not None:
        with postgres_advisory_lock(settings.lock.postgres_dsn.get_secret_value(), lock_key(lake.uri), timeout) as g:
            yield g
    elif protocol_of(lake.uri) in S3_PROTOCOLS:
        with ObjectLease(lake, ttl_seconds=settings.lock.lease_seconds, timeout_seconds=timeout) as lease:
            yield lease
    else:
        raise PipelineError(f"{lake.uri}: no shared commit lock for this object store; set PIPELINE_LOCK__POSTGRES_DSN")


# -- PostgreSQL ------------------------------------------------------------------------------------


class _PostgresGuard(CommitGuard):
    kind = "postgres"

    def __init__(self, con) -> None:
        self.con = con

    def check(self) -> None:
        """The lock lives as long as the session: make sure it is still there."""
        try:
            with self.con.cursor() as cur:
                cur.execute("select 1")
        except Exception as exc:
            raise LeaseLostError(f"lost the PostgreSQL session holding the lake's commit lock ({exc})") from exc


@contextmanager
def postgres_advisory_lock(dsn: str, key: int, timeout_seconds: float) -> Iterator[CommitGuard]:
    import psycopg2

    con = psycopg2.connect(dsn, connect_timeout=10, application_name="scholarly-pipeline lake commit")
    con.autocommit = True
    try:
        deadline = time.monotonic() + timeout_seconds
        with con.cursor() as cur:
            while True:
                cur.execute("select pg_try_advisory_lock(%s)", (key,))
                if cur.fetchone()[0]:
                    break
                if time.monotonic() >= deadline:
                    cur.execute(
                        "select a.pid, a.client_addr, a.application_name from pg_locks l "
                        "join pg_stat_activity a on a.pid = l.pid where l.locktype = 'advisory' and l.granted "
                        "and ((l.classid::bigint << 32) | l.objid::bigint) = %s",
                        (key,),
                    )
                    holder = cur.fetchone()
                    raise LockTimeoutError(
                        f"another pipeline run (postgres backend {holder[0] if holder else '?'}, "
                        f"{holder[1] if holder else '?'}) has held the lake's commit lock for over "
                        f"{timeout_seconds:.0f}s; it frees itself when that run's connection ends"
                    )
                time.sleep(0.1 + random.random() * 0.2)
        try:
            yield _PostgresGuard(con)
        finally:
            try:
                with con.cursor() as cur:
                    cur.execute("select pg_advisory_unlock(%s)", (key,))
            except Exception:  # the session is gone, and the lock with it
                log.warning("could not release the lake's commit lock explicitly; it ends with the session")
    finally:
        con.close()


# -- S3 lease object -------------------------------------------------------------------------------


def _conflict(exc: BaseException) -> bool:
    """A conditional write lost (412 Precondition Failed, or 409 when two conditional writes race)."""
    if isinstance(exc, FileExistsError):
        return True
    cause = exc.__cause__ or exc
    response = getattr(cause, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409") or status in (409, 412)


class ObjectLease(CommitGuard):
    """A lease object in the lake, taken and renewed with S3 conditional writes."""

    kind = "s3-lease"

    def __init__(self, store: ObjectStore, *, ttl_seconds: float = 60.0, timeout_seconds: float = 600.0) -> None:
        self.store = store
        self.path = store.join(LOCKS_DIR, LEASE_NAME)
        self.bucket, self.key, _ = store.fs.split_path(self.path)
        self.ttl = ttl_seconds
        self.timeout = timeout_seconds
        self.owner = _writer_token()
        self._etag: str | None = None
        self._renewed = time.monotonic()
        self._lost: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # conditional requests
    def _put(self, **condition) -> str:
        body = json.dumps({"owner": self.owner, "renewed_at": datetime.now(UTC).isoformat()}).encode()
        response = self.store.fs.call_s3("put_object", Bucket=self.bucket, Key=self.key, Body=body, **condition)
        return response["ETag"]

    def _holder_etag(self) -> str | None:
        """The ETag of the current lease object, or None when there is none."""
        try:
            return self.store.fs.call_s3("head_object", Bucket=self.bucket, Key=self.key)["ETag"]
        except FileNotFoundError:
            return None

    def _holder_name(self) -> str:
        try:
            return json.loads(self.store.fs.cat_file(self.path)).get("owner", "unknown")
        except Exception:
            return "unknown"

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        seen: tuple[str, float] | None = None  # (ETag, when this process first saw it)
        while True:
            try:
                self._etag = self._put(IfNoneMatch="*")
                break
            except OSError as exc:
                if not _conflict(exc):
                    raise
            etag = self._holder_etag()
            if etag is not None and (seen is None or seen[0] != etag):
                seen = (etag, time.monotonic())
            elif etag is not None and time.monotonic() - seen[1] >= self.ttl:
                try:
                    self._etag = self._put(IfMatch=etag)
                    log.warning("took over the lake's commit lease of a holder that stopped renewing it")
                    break
                except OSError as exc:
                    if not _conflict(exc):
                        raise
            if time.monotonic() >= deadline:
                raise LockTimeoutError(
                    f"another pipeline run ({self._holder_name()}) has held {self.path} for over "
                    f"{self.timeout:.0f}s; a dead holder's lease goes stale after {self.ttl:.0f}s"
                )
            time.sleep(0.1 + random.random() * 0.2)
        self._renewed = time.monotonic()
        self._thread = threading.Thread(target=self._heartbeat, name="lake-commit-lease", daemon=True)
        self._thread.start()

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                self._etag = self._put(IfMatch=self._etag)
                self._renewed = time.monotonic()
            except OSError as exc:
                if _conflict(exc):
                    self._lost = "another run took the lease over"
                    return
                log.warning("could not renew the lake's commit lease: %s", exc)
            if time.monotonic() - self._renewed >= self.ttl * 2 / 3:
                self._lost = f"not renewed for {self.ttl * 2 / 3:.1f}s"
                return

    def check(self) -> None:
        if self._lost is None and time.monotonic() - self._renewed >= self.ttl * 2 / 3:
            self._lost = f"not renewed for {self.ttl * 2 / 3:.1f}s"
        if self._lost is not None:
            raise LeaseLostError(f"lost the lake's commit lease {self.path} ({self._lost}); nothing more is committed")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._etag is not None:  # also when renewals lagged: If-Match deletes it only if nobody took it over
            try:
                self.store.fs.call_s3("delete_object", Bucket=self.bucket, Key=self.key, IfMatch=self._etag)
            except OSError as exc:
                if not (_conflict(exc) or isinstance(exc, FileNotFoundError)):
                    log.warning("could not delete the lake's commit lease (it goes stale by itself): %s", exc)

    def __enter__(self) -> ObjectLease:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
