"""A thin OpenAlex API client: one base, entities as declarations, paging as a
generator of pages that always takes a cap.

Retries are configured once, here, in the client's session (tenacity): 403 (the
per-second limit), 5xx, timeouts and truncated or invalid JSON bodies back off
exponentially with jitter; a 429 with ``Retry-After`` waits that long; a 429 whose
``X-RateLimit-Remaining`` is below the request's cost means the daily credits are
gone and raises :class:`CreditsExhaustedError` (the caller's checkpoints make the
run resumable). Other 4xx raise :class:`OpenAlexRequestError` naming the request.
The API key is sent as ``api_key`` and redacted from every URL, message and raw file.

Every response is landed raw (:class:`~pipeline.sources.raw.RawStore`) before it
is used, so a ``replay:`` rebuilds the same inputs without the network.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests
from pydantic import BaseModel
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from pipeline.errors import PipelineError, TransientError
from pipeline.schemas.ids import short_id
from pipeline.schemas.openalex import Author, Work
from pipeline.sources.openalex.records import LIST_PAGE, MERGE, SINGLETON
from pipeline.sources.openalex.settings import API_SOURCE_NAME, OpenAlexAPISettings
from pipeline.sources.raw import RawResponse, RawStore, redact, redact_url

log = logging.getLogger(__name__)


class _RedactSecrets(logging.Filter):
    """urllib3 logs every request line at DEBUG, query string (and so the api_key) included."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact_url(record.getMessage()), ()
        return True


_urllib3_log = logging.getLogger("urllib3.connectionpool")
if not any(isinstance(f, _RedactSecrets) for f in _urllib3_log.filters):
    _urllib3_log.addFilter(_RedactSecrets())


class OpenAlexError(PipelineError):
    """The OpenAlex API refused or failed a request."""


class OpenAlexRequestError(OpenAlexError):
    """A request the API will never answer (4xx): fix the request, not the network."""


class OpenAlexUnavailableError(OpenAlexError, TransientError):
    """The API kept failing after every retry (may pass: a later run resumes)."""


class CreditsExhaustedError(OpenAlexError, TransientError):
    """The daily credits are used up; re-run later and the fetch resumes where it stopped."""


@dataclass(frozen=True)
class Entity:
    """An OpenAlex entity: where it lives and what one record is."""

    name: str
    path: str
    model: type[BaseModel]


AUTHORS = Entity("authors", "/authors", Author)
WORKS = Entity("works", "/works", Work)


@dataclass
class ClientStats:
    """What the client did, for the run summary."""

    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    waited_seconds: float = 0.0
    credits_used: int = 0
    credits_remaining: int | None = None
    credits_limit: int | None = None


@dataclass
class Fetched:
    """One successful response: its JSON, where it was landed, and any merge it went through."""

    document: Any
    raw: RawResponse | None
    merged_from: str | None = None  # the requested (retired) id, when a 301 was followed


@dataclass
class Page:
    """One page of a cursor listing."""

    results: list[dict[str, Any]]
    next_cursor: str | None
    count: int | None
    raw: RawResponse | None
    cursor: str = "*"


class _Retryable(Exception):
    def __init__(self, message: str, retry_after: float | None = None, rate_limited: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.rate_limited = rate_limited


@dataclass
class _Answer:
    status: int
    headers: dict[str, str]
    document: Any
    raw: RawResponse | None
    location: str | None = None


@dataclass
class OpenAlexClient:
    """The OpenAlex API over one ``requests`` session, with retries configured once."""

    settings: OpenAlexAPISettings = field(default_factory=OpenAlexAPISettings)
    raw: RawStore | None = None  # None: land nothing (dry runs)
    sleep: Callable[[float], None] = time.sleep
    stats: ClientStats = field(default_factory=ClientStats)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "scholarly-pipeline" + (
            f" (mailto:{self.settings.mailto})" if self.settings.mailto else ""
        )
        self._key = self.settings.key()
        self._last_request = 0.0
        # Kept in every raw response's meta (the source tags responses with the author they belong to).
        self.tags: dict[str, Any] = {}
        s = self.settings
        self._retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(s.max_retries + 1),
            wait=self._wait,
            sleep=self._sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        self._backoff = wait_exponential_jitter(initial=s.backoff_base, max=s.backoff_max, jitter=s.backoff_base)

    # -- the public calls -------------------------------------------------------
    def get_one(self, entity: Entity, ident: str) -> Fetched:
        """``GET /{entity}/{id}``. A 301 (a merged id) is followed; for authors the
        merge is landed as a ``merged_authors`` record."""
        requested = short_id(ident)
        answer = self._get(f"{entity.path}/{requested}", {}, entity=entity.name, fmt=SINGLETON)
        merged_from = None
        hops = 0
        while answer.status == 301:
            hops += 1
            if hops > 5 or not answer.location:
                raise OpenAlexRequestError(f"GET {entity.path}/{requested}: redirect without a usable Location")
            target = _target_id(answer.location)
            merged_from = merged_from or requested
            log.info("%s %s was merged into %s", entity.name, requested, target)
            answer = self._get(f"{entity.path}/{target}", {}, entity=entity.name, fmt=SINGLETON)
        return Fetched(answer.document, answer.raw, merged_from)

    def pages(
        self,
        entity: Entity,
        *,
        filter: str,
        cap: int,
        cursor: str = "*",
        select: str | None = None,
        seen_up_to: str | None = None,
    ) -> Iterator[Page]:
        """Cursor paging over ``/{entity}?filter=…``: at most ``cap`` pages, from
        ``cursor`` (``*`` for the start), until ``next_cursor`` is null or a page is empty.

        ``seen_up_to`` (an ``updated_date``) is kept in each page's raw meta: records
        not newer than it were landed by an earlier, complete fetch and are not landed again."""
        extra = {"seen_up_to": seen_up_to} if seen_up_to else None
        for _ in range(cap):
            params = {"filter": filter, "per_page": self.settings.per_page, "cursor": cursor}
            if select:
                params["select"] = select
            answer = self._get(
                entity.path, params, entity=entity.name, fmt=LIST_PAGE, cost=self.settings.list_cost, extra=extra
            )
            document = answer.document if isinstance(answer.document, dict) else {}
            meta = document.get("meta") or {}
            results = document.get("results") or []
            page = Page(results, meta.get("next_cursor"), meta.get("count"), answer.raw, cursor)
            yield page
            if not results or not page.next_cursor:
                return
            cursor = page.next_cursor
        log.warning("%s listing %s stopped at the cap of %d pages", entity.name, filter, cap)

    # -- one request, retried ---------------------------------------------------
    def _get(
        self,
        path: str,
        params: dict[str, Any],
        *,
        entity: str,
        fmt: str | None,
        cost: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> _Answer:
        cost = self.settings.singleton_cost if cost is None else cost
        try:
            return self._retrying(self._attempt, path, params, entity, fmt, cost, extra)
        except _Retryable as exc:
            raise OpenAlexUnavailableError(
                f"{exc} (gave up after {self.settings.max_retries + 1} attempts; "
                "re-run later, the fetch resumes from its checkpoint)"
            ) from None

    def _url(self, path: str, params: dict[str, Any]) -> str:
        query = dict(params)
        if self.settings.mailto:
            query["mailto"] = self.settings.mailto
        if self._key:
            query["api_key"] = self._key
        text = urlencode(query, safe=":,*")
        return f"{self.settings.base_url.rstrip('/')}{path}" + (f"?{text}" if text else "")

    def _attempt(
        self, path: str, params: dict[str, Any], entity: str, fmt: str | None, cost: int, extra: dict | None
    ) -> _Answer:
        url = self._url(path, params)
        shown = self._redact(url)
        self._throttle(cost, shown)
        try:
            response = self.session.get(
                url,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
                allow_redirects=False,
            )
            body = response.content
        except requests.Timeout:
            raise _Retryable(f"GET {shown} timed out") from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            # (their messages carry the URL, key included: never pass them on)
            raise _Retryable(f"GET {shown} failed: connection broken ({type(exc).__name__})") from None
        except requests.RequestException as exc:
            raise OpenAlexRequestError(f"GET {shown} failed: {type(exc).__name__}; check OPENALEX_BASE_URL") from None
        finally:
            self.stats.requests += 1
        headers = {k.lower(): v for k, v in response.headers.items()}
        self._read_limits(headers)
        status = response.status_code

        document, problem = None, None
        if status == 200:
            try:
                document = json.loads(body)
            except ValueError as exc:
                problem = f"GET {shown} returned a truncated or invalid JSON body ({exc})"
        if status == 301 and entity == AUTHORS.name and headers.get("location"):
            # A merged author id: the redirect itself is the merged_authors record.
            merge = {
                "merged_id": str(short_id(path.rsplit("/", 1)[-1])),
                "merge_into_id": _target_id(headers["location"]),
            }
            raw = self._land_raw("merged_authors", url, status, headers, body, MERGE, merge)
        else:
            fmt = fmt if status == 200 and problem is None else None
            raw = self._land_raw(entity, url, status, headers, body, fmt, extra)
        if problem is not None:
            raise _Retryable(problem)
        if status == 200:
            self.stats.credits_used += cost
            return _Answer(status, headers, document, raw)
        if status in (301, 302, 307, 308):
            return _Answer(301, headers, None, raw, location=headers.get("location"))
        if status == 429:
            remaining = _int(headers.get("x-ratelimit-remaining"))
            if remaining is not None and remaining < max(cost, 1):
                raise CreditsExhaustedError(self._credits_message(shown, headers))
            retry_after = _retry_after(headers.get("retry-after"))
            if retry_after is not None and retry_after > self.settings.max_retry_after:
                raise CreditsExhaustedError(
                    f"GET {shown}: rate limited for {retry_after:g}s (more than OPENALEX_MAX_RETRY_AFTER); "
                    "re-run later, the fetch resumes from its checkpoint"
                )
            raise _Retryable(f"GET {shown} answered 429", retry_after=retry_after, rate_limited=True)
        if status == 403:
            raise _Retryable(f"GET {shown} answered 403 (per-second rate limit)", rate_limited=True)
        if status >= 500:
            raise _Retryable(f"GET {shown} answered {status}")
        hint = " (check OPENALEX_API_KEY)" if status in (401,) else ""
        raise OpenAlexRequestError(f"GET {shown} answered {status}: {self._redact(_message(body))}{hint}")

    def _credits_message(self, shown: str, headers: dict[str, str]) -> str:
        reset = headers.get("x-ratelimit-reset")
        when = f" (they reset in {reset}s)" if reset else ""
        return (
            f"OpenAlex daily credits are exhausted{when} at GET {shown}; re-run later and the fetch "
            "resumes from its checkpoint, or set OPENALEX_API_KEY to a key with more credits"
        )

    # -- pacing and accounting --------------------------------------------------
    def _throttle(self, cost: int, shown: str) -> None:
        remaining = self.stats.credits_remaining
        if cost and remaining is not None and remaining < cost:
            raise CreditsExhaustedError(
                f"OpenAlex daily credits are exhausted ({remaining} left, GET {shown} costs {cost}); "
                "re-run later and the fetch resumes from its checkpoint"
            )
        gap = self.settings.min_interval - (time.monotonic() - self._last_request)
        if gap > 0:
            self.sleep(gap)
        self._last_request = time.monotonic()

    def _read_limits(self, headers: dict[str, str]) -> None:
        remaining = _int(headers.get("x-ratelimit-remaining"))
        if remaining is not None:
            self.stats.credits_remaining = remaining
        limit = _int(headers.get("x-ratelimit-limit"))
        if limit is not None:
            self.stats.credits_limit = limit

    def _wait(self, retry_state) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return max(exc.retry_after, 0.0)
        return self._backoff(retry_state)

    def _sleep(self, seconds: float) -> None:
        self.stats.waited_seconds += seconds
        self.sleep(seconds)

    def _count_retry(self, retry_state) -> None:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        self.stats.retries += 1
        if isinstance(exc, _Retryable) and exc.rate_limited:
            self.stats.rate_limit_waits += 1
        log.warning("retrying: %s", exc)

    # -- raw landing ------------------------------------------------------------
    def _redact(self, text: str) -> str:
        return redact(text, self._key)

    def _land_raw(self, entity: str, url: str, status: int, headers, body: bytes, fmt: str | None, extra=None):
        if self.raw is None:
            return None
        if self._key and self._key.encode() in body:  # an echoed key must not land either
            body = body.replace(self._key.encode(), b"REDACTED")
        return self.raw.land(
            source=API_SOURCE_NAME,
            entity=entity,
            url=self._redact(url),
            status=status,
            headers={k: self._redact(v) for k, v in headers.items()},
            body=body,
            record_format=fmt,
            extra={**self.tags, **(extra or {})},
        )


def _target_id(location: str) -> str:
    """``/authors/A123?…`` or ``https://api.openalex.org/authors/A123`` -> ``A123``."""
    return str(short_id(location.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])).upper()


def _int(value: str | None) -> int | None:
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date."""
    seconds = _float(value)
    if seconds is not None or not value:
        return seconds
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(when.tzinfo or UTC)).total_seconds(), 0.0)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _message(body: bytes) -> str:
    try:
        document = json.loads(body)
        if isinstance(document, dict):
            return str(document.get("message") or document.get("error") or document)[:300]
    except ValueError:
        pass
    return body[:300].decode("utf-8", errors="replace")
