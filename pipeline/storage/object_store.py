"""Lakes on an object store (``s3://bucket/prefix``): how such a :class:`Store` is opened and how
it commits. Everything S3-specific in the pipeline lives here and in :mod:`pipeline.storage.shared_lock`.

Configuration, once: :func:`s3_options` turns ``Settings.s3`` (``PIPELINE_S3__ENDPOINT_URL``, ``__REGION``,
``__ACCESS_KEY_ID``, ``__SECRET_ACCESS_KEY``, ``__SESSION_TOKEN``, ``__ADDRESSING_STYLE``) into s3fs
options; whatever is unset is left to botocore's own lookup of the standard AWS environment
(``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_DEFAULT_REGION``, profiles,
instance roles). DuckDB reads the same filesystem object (``Store.attach`` registers it), so it sees the
same endpoint and credentials.

Commit protocol (object stores have no rename, and ``mv`` is copy + delete):

1. A writer streams a file to a *staging* key, ``<root>/_staging/<stamp>-<host>-<pid>-<random>/<final
   relative path>``. Nothing under ``_staging/`` is ever listed as committed (:meth:`ObjectStore.files`),
   and Spark, Trino and Hive skip ``_``-prefixed folders too. An upload cut off midway is an incomplete
   multipart upload (or nothing at all): no object exists until it completes.
2. After the landing gate passes, :meth:`ObjectStore.commit` copies the staged object to its final key
   with one server-side ``CopyObject`` (a multipart copy beyond 5 GB, which also appears only when
   complete), then deletes the staged object. Object creation is atomic: a reader sees the whole final
   object or none. Within one landing the quarantine file is committed before the records file, and the
   records file is the "landed" marker, exactly as on a local lake.
3. A crash leaves, at worst, staged objects (never listed) and a final object whose staged copy was not yet
   deleted (complete, and skipped by the next run as landed). The next run lands whatever has no records
   file. Staged objects older than ``PIPELINE_S3__STALE_STAGING_SECONDS`` (24 h) are a dead writer's and are
   swept; younger ones may belong to a worker on another host and are left alone.

The commit step itself (re-check, copy, delete superseded files) runs under the shared lock of
:mod:`pipeline.storage.shared_lock`, so two hosts never commit into one lake at once.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import fsspec

from pipeline.config import S3Settings
from pipeline.storage.store import TEMP_MARK, Store

STAGING_DIR = "_staging"
LOCKS_DIR = "_locks"
S3_PROTOCOLS = ("s3", "s3a")
LOCAL_PROTOCOLS = ("file", "local", "memory")  # a plain Store: rename-based commits, flock-guarded
_STAMP = "%Y%m%dT%H%M%SZ"


def protocol_of(uri: str | Path) -> str:
    protocol, _ = fsspec.core.split_protocol(str(uri))
    return protocol or "file"


def is_object_store(uri: str | Path) -> bool:
    return protocol_of(uri) not in LOCAL_PROTOCOLS


def s3_options(s3: S3Settings) -> dict:
    """s3fs options from the pipeline's S3 settings (unset values: botocore's environment lookup)."""
    options: dict = {"use_listings_cache": False}  # other hosts write too: never trust a cached listing
    if s3.endpoint_url:
        options["endpoint_url"] = s3.endpoint_url
    if s3.access_key_id:
        options["key"] = s3.access_key_id
    if s3.secret_access_key is not None:
        options["secret"] = s3.secret_access_key.get_secret_value()
    if s3.session_token is not None:
        options["token"] = s3.session_token.get_secret_value()
    if s3.region:
        options["client_kwargs"] = {"region_name": s3.region}
    if s3.addressing_style:
        options["config_kwargs"] = {"s3": {"addressing_style": s3.addressing_style}}
    return options


def s3_settings_from_connection(
    login: str | None, password: str | None, extra: dict | None, base: S3Settings | None = None
) -> S3Settings:
    """Fill the unset values of ``base`` from an Airflow ``aws`` Connection's fields: login = access key id,
    password = secret, extra ``endpoint_url`` (or ``service_config.s3.endpoint_url``), ``region_name``,
    ``aws_session_token``. Values set explicitly in the environment win."""
    base = base or S3Settings()
    extra = extra or {}
    endpoint = extra.get("endpoint_url") or ((extra.get("service_config") or {}).get("s3") or {}).get("endpoint_url")
    filled = {
        "endpoint_url": endpoint,
        "region": extra.get("region_name"),
        "access_key_id": login or None,
        "secret_access_key": password or None,
        "session_token": extra.get("aws_session_token"),
        "addressing_style": ((extra.get("config_kwargs") or {}).get("s3") or {}).get("addressing_style"),
    }
    current = base.model_dump()
    updates = {key: value for key, value in filled.items() if value and current.get(key) is None}
    return S3Settings(**{**current, **updates})


def open_store(uri: str | Path, s3: S3Settings | None = None) -> Store:
    """The Store for ``uri``: a plain :class:`Store` for local paths and ``memory://``, an
    :class:`ObjectStore` (configured from ``s3``) for ``s3://`` and other object stores."""
    if not is_object_store(uri):
        return Store(uri)
    s3 = s3 or S3Settings()
    options = s3_options(s3) if protocol_of(uri) in S3_PROTOCOLS else {}
    return ObjectStore(uri, options, stale_staging_seconds=s3.stale_staging_seconds)


def _writer_token() -> str:
    host = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40] or "host"
    return f"{datetime.now(UTC).strftime(_STAMP)}-{host}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def _token_time(token: str) -> datetime | None:
    try:
        return datetime.strptime(token[: len("20260101T000000Z")], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


class ObjectStore(Store):
    """A Store on an object store: staged writes under ``_staging/``, commits by server-side copy."""

    def __init__(self, uri: str | Path, options: dict | None = None, *, stale_staging_seconds: float = 86400.0):
        super().__init__(uri, options)
        self.staging_root = self.join(STAGING_DIR)
        self.stale_staging_seconds = stale_staging_seconds
        self._listed: dict[str, dict] = {}  # details of the last listing: stat() needs no request per object

    def __repr__(self) -> str:
        return f"ObjectStore({self.uri!r})"

    def _committed(self, path: str) -> bool:
        name = path.rsplit("/", 1)[-1]
        internal = path.startswith(self.staging_root + "/") or path.startswith(self.join(LOCKS_DIR) + "/")
        return not internal and TEMP_MARK not in name

    def files(self, pattern: str) -> list[str]:
        """Committed objects matching ``pattern``; staged objects and lock objects never match."""
        found = {p: info for p, info in self.fs.glob(self.join(pattern), detail=True).items() if self._committed(p)}
        self._listed = found
        return sorted(found)

    def stat(self, path: str) -> tuple[int, float]:
        """(size, modification time), from the last listing when it holds the object (one request less each)."""
        info = self._listed.get(path) or self.fs.info(path)
        stamp = info.get("LastModified") or info.get("mtime") or 0
        return int(info["size"]), float(stamp.timestamp() if hasattr(stamp, "timestamp") else stamp)

    def makedirs(self, path: str) -> None:
        """Object stores have prefixes, not folders (and a missing bucket is an error, not created)."""

    def temp_for(self, final: str) -> str:
        """A staging key unique to this writer (hosts and containers may share process ids)."""
        return "/".join([self.staging_root, _writer_token(), self.relative(final)])

    def commit(self, tmp: str, final: str) -> str:
        """Make a staged object visible under its final key: one server-side copy (atomic per object),
        then drop the staged copy. A crash in between leaves a complete final object and a leftover."""
        self.fs.cp_file(tmp, final)
        self.fs.rm_file(tmp)
        return final

    def staged_writers(self) -> list[str]:
        """The staging folders of writers (live or dead), one per staged file."""
        try:
            return sorted(self.fs.ls(self.staging_root, detail=False))
        except FileNotFoundError:
            return []

    def sweep_leftovers(self, max_age_seconds: float | None = None) -> list[str]:
        """Delete staged objects older than ``max_age_seconds`` (default: the store's setting). Safe
        without a lock: a live writer on another host stages for far less than that."""
        max_age = timedelta(seconds=self.stale_staging_seconds if max_age_seconds is None else max_age_seconds)
        now = datetime.now(UTC)
        removed: list[str] = []
        for folder in self.staged_writers():
            started = _token_time(folder.rsplit("/", 1)[-1])
            if started is not None and now - started < max_age:
                continue
            objects = self.fs.find(folder)
            for path in objects:
                self.fs.rm_file(path)
            removed.extend(objects)
        return removed
