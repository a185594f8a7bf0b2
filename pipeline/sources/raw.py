"""Raw landing: every HTTP response of a live source, kept immutable, and read back
as landing inputs.

Layout under ``DataLayout.raw_dir`` (``DIR/raw``)::

    raw/source=<source>/entity=<entity>/fetched_on=YYYY-MM-DD/<digest>.body
    raw/source=<source>/entity=<entity>/fetched_on=YYYY-MM-DD/<digest>.meta.json

The ``.body`` holds the response bytes exactly as received; the ``.meta.json``
sidecar holds the URL (secrets redacted as ``api_key=REDACTED``), the status, the
headers that matter, the fetch time, the entity and the *record format*: the
name of the function that turns the body into records. Both files are written
atomically (body first; the sidecar is the "landed" marker) and never rewritten.
``<digest>`` hashes the redacted URL and the body: the same answer to the same
request on the same day is one file (answers without records, such as errors,
are kept once per attempt), so a fetch that is killed after landing a
page and re-asks for it on resuming does not land its records twice.

Public API (stable; the arXiv source builds on it):

- ``RawStore(raw_root, clock=None)`` / ``RawStore.of(settings)``:
  - ``.land(source=, entity=, url=, status=, headers=, body=, record_format=, fetched_at=None) -> RawResponse``
  - ``.responses(source=None) -> list[RawResponse]``: every landed response, oldest first;
  - ``.inputs(source=None) -> list[RawInputFile]``: the landing inputs of every response that has records.
- ``RawResponse``: ``body_path``, ``meta_path``, ``meta`` (dict), ``.body()``, ``.input_file(root)``.
- ``RawInputFile``: an :class:`~pipeline.sources.base.InputFile` whose ``records()`` yields
  ``(record_number, json bytes)`` from one body, through its record format; its identity is the
  body's path relative to the raw root (mount-independent), so landing is unchanged.
- ``register_format(name)``: decorator registering ``fn(body: bytes, meta: dict) -> Iterable[bytes]``.
  A source registers its formats in a module listed in ``FORMAT_MODULES`` (imported lazily, so a
  replay or a landing worker process finds every format without importing the sources first).
- ``redact_url(url)`` / ``redact(text)``: remove secrets (``api_key``, ``mailto`` kept) from URLs and text.
- ``ReplaySource(dir)``: the ``replay:DIR`` source (DIR is a data dir or its ``raw`` dir).

A response landed with ``record_format=None`` (an error, a redirect that carries
nothing to land) is kept for the record but yields no input.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from pipeline.errors import SourceSpecError
from pipeline.sources.base import InputFile
from pipeline.storage.store import Store

BODY_SUFFIX = ".body"
META_SUFFIX = ".meta.json"
REDACTED = "REDACTED"
# Query parameters whose values never leave the process.
SECRET_PARAMS = ("api_key", "api-key", "apikey", "key", "token", "access_token")
# Response headers worth keeping (lower-case); everything else is noise.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "date",
    "etag",
    "last-modified",
    "location",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "x-ratelimit-credits-used",
    "x-ratelimit-cost",
)

Extractor = Callable[[bytes, dict[str, Any]], Iterable[bytes]]
_FORMATS: dict[str, Extractor] = {}
# Modules that register record formats; imported on first lookup of an unknown format.
FORMAT_MODULES: list[str] = ["pipeline.sources.openalex.records", "pipeline.sources.arxiv.records"]

_SECRET_RE = re.compile(r"(?i)([?&;](?:" + "|".join(re.escape(p) for p in SECRET_PARAMS) + r")=)[^&#\s\"']*")


def register_format(name: str) -> Callable[[Extractor], Extractor]:
    """Register ``fn(body, meta) -> iterable of record bytes`` under ``name``."""

    def decorate(fn: Extractor) -> Extractor:
        _FORMATS[name] = fn
        return fn

    return decorate


def extractor(name: str) -> Extractor:
    """The record format ``name``; imports the format modules on first use."""
    if name not in _FORMATS:
        for module in FORMAT_MODULES:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError:  # a source not installed here
                continue
    try:
        return _FORMATS[name]
    except KeyError:
        raise SourceSpecError(f"unknown raw record format {name!r}; known: {', '.join(sorted(_FORMATS))}") from None


def redact_url(url: str) -> str:
    """``…?api_key=s3cret&x=1`` -> ``…?api_key=REDACTED&x=1``."""
    return _SECRET_RE.sub(rf"\g<1>{REDACTED}", url)


def redact(text: str, *secrets: str | None) -> str:
    """Redact secret query parameters and any literal ``secrets`` from ``text``."""
    text = redact_url(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers that matter, lower-cased, with secrets redacted (a Location may echo the key)."""
    return {k.lower(): redact_url(str(v)) for k, v in headers.items() if k.lower() in KEPT_HEADERS}


@dataclass(frozen=True)
class RawInputFile(InputFile):
    """The records inside one raw response body, as a landing input.

    ``record_number`` is the record's position in the body (1-based); quarantine
    rows show it like a line number. The body is read whole: API pages are small.
    """

    record_format: str = ""
    meta_path: Path | None = None

    def records(self) -> Iterator[tuple[int, bytes]]:
        meta = json.loads(self.meta_path.read_bytes()) if self.meta_path is not None else {}
        body = self.path.read_bytes()
        yield from enumerate(extractor(self.record_format)(body, meta), start=1)


@dataclass(frozen=True)
class RawResponse:
    """One landed response: its body file and its sidecar meta."""

    body_path: Path
    meta_path: Path

    @cached_property
    def meta(self) -> dict[str, Any]:
        return json.loads(self.meta_path.read_bytes())

    def body(self) -> bytes:
        return self.body_path.read_bytes()

    @property
    def source(self) -> str:
        return self.meta["source"]

    @property
    def entity(self) -> str:
        return self.meta["entity"]

    @property
    def record_format(self) -> str | None:
        return self.meta.get("record_format")

    def input_file(self, raw_root: Path) -> RawInputFile:
        return RawInputFile(
            source=self.source,
            entity=self.entity,
            path=self.body_path,
            identity=self.body_path.resolve().relative_to(raw_root.resolve()).as_posix(),
            record_format=self.record_format or "",
            meta_path=self.meta_path,
        )


class RawStore:
    """The raw responses under one raw root (``DIR/raw``)."""

    def __init__(self, root: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.root = Path(root)
        self._store = Store(self.root.resolve())
        self._clock = clock or (lambda: datetime.now(UTC))  # a fixed clock makes generated replays reproducible

    @classmethod
    def of(cls, settings) -> RawStore:
        from pipeline.storage.layout import DataLayout

        return cls(DataLayout.of(settings).raw_dir)

    def __repr__(self) -> str:
        return f"RawStore({str(self.root)!r})"

    def land(
        self,
        *,
        source: str,
        entity: str,
        url: str,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        record_format: str | None,
        fetched_at: datetime | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> RawResponse:
        """Land one response (body, then its sidecar); the URL and headers are redacted here."""
        fetched_at = fetched_at or self._clock()
        url = redact_url(url)
        digest = hashlib.sha256(body).hexdigest()
        # Answers with records are keyed by content (re-asking lands nothing twice); the others
        # (errors, retries) by time too, so every attempt stays on record.
        when = "" if record_format else fetched_at.isoformat()
        stem = hashlib.sha256(f"{source}|{entity}|{url}|{digest}|{when}".encode()).hexdigest()[:24]
        folder = self._store.join(f"source={source}", f"entity={entity}", f"fetched_on={fetched_at.date().isoformat()}")
        body_path, meta_path = f"{folder}/{stem}{BODY_SUFFIX}", f"{folder}/{stem}{META_SUFFIX}"
        if self._store.exists(meta_path):  # the same answer landed earlier today: immutable, keep it
            return RawResponse(Path(body_path), Path(meta_path))
        meta = {
            "source": source,
            "entity": entity,
            "url": url,
            "status": status,
            "headers": kept_headers(headers),
            "fetched_at": fetched_at.isoformat(),
            "sha256": digest,
            "bytes": len(body),
            "record_format": record_format,
            **(extra or {}),
        }
        self._store.write_bytes(body_path, body)
        self._store.write_bytes(meta_path, json.dumps(meta, indent=1, sort_keys=True).encode())
        return RawResponse(Path(body_path), Path(meta_path))

    def responses(self, source: str | None = None) -> list[RawResponse]:
        """Every landed response (its sidecar exists), oldest first."""
        pattern = f"source={source or '*'}/entity=*/fetched_on=*/*{META_SUFFIX}"
        found = []
        for meta in self._store.files(pattern):
            body = meta[: -len(META_SUFFIX)] + BODY_SUFFIX
            found.append(RawResponse(Path(body), Path(meta)))
        return sorted(found, key=lambda r: (r.meta.get("fetched_at", ""), r.meta_path.name))

    def inputs(self, source: str | None = None) -> list[RawInputFile]:
        """Landing inputs of every landed response that carries records."""
        return [r.input_file(self.root) for r in self.responses(source) if r.record_format]


class ReplaySource:
    """``replay:DIR``: every input rebuilt from landed raw responses, no network.

    DIR is a data dir (its ``raw/`` is used) or a raw dir itself. Works for any
    source whose responses were landed with :class:`RawStore`.
    """

    name = "replay"

    def __init__(self, path: Path) -> None:
        path = Path(path).expanduser()
        self.root = path / "raw" if (path / "raw").is_dir() else path

    def __repr__(self) -> str:
        return f"ReplaySource({str(self.root)!r})"

    def files(self) -> list[InputFile]:
        if not self.root.is_dir():
            raise SourceSpecError(f"replay: {self.root} does not exist (point replay:DIR at a data dir or its raw/)")
        inputs = RawStore(self.root).inputs()
        if not inputs and not RawStore(self.root).responses():
            raise SourceSpecError(f"replay: {self.root} holds no landed raw responses (*{META_SUFFIX})")
        order = {"authors": 0, "works": 1}
        return sorted(inputs, key=lambda i: order.get(i.entity, 2))
