"""The arXiv export API client: ``arxiv-api:author=NAME[;cat=CATEGORY]``.

A listing is fetched in ``start``/``max_results`` pages, sorted by submission
date so that pages do not shift while new papers arrive. Every response is
landed raw (:class:`pipeline.sources.raw.RawStore`) before it is used; only
good pages carry records (format ``arxiv-atom``), so ``replay:DIR`` rebuilds
exactly what the run landed.

Faults, and what happens:

- 5xx, connection errors and timeouts: retried with exponential backoff by the
  session itself (urllib3 ``Retry``, configured once in :func:`make_session`);
- HTTP 400: arXiv's error feed becomes an :class:`ArxivQueryError` naming the query;
- a malformed or unsafe Atom body: fetched again (``BAD_FEED_RETRIES``), then an
  :class:`~pipeline.sources.arxiv.atom.AtomError` naming the URL;
- an empty page before ``opensearch:totalResults`` is reached (a known arXiv
  bug): asked again (``EMPTY_PAGE_RETRIES``) before the listing is treated as ended.

arXiv asks for one request every 3 seconds: ``ARXIV_DELAY_SECONDS`` apart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipeline.config import Settings
from pipeline.errors import PipelineError, SourceSpecError
from pipeline.sources.arxiv.atom import AtomError, AtomPage, parse_feed
from pipeline.sources.arxiv.records import ATOM_PAGE
from pipeline.sources.arxiv.settings import (
    BAD_FEED_RETRIES,
    EMPTY_PAGE_RETRIES,
    ENTITY,
    HTTP_BACKOFF_SECONDS,
    HTTP_RETRIES,
    MAX_PAGES,
    PAGE_SIZE,
    SOURCE_NAME,
    TIMEOUT_SECONDS,
    USER_AGENT,
    ArxivSettings,
)
from pipeline.sources.raw import RawInputFile, RawStore

log = logging.getLogger(__name__)


class ArxivError(PipelineError):
    """The arXiv API could not give us the listing."""


class ArxivQueryError(ArxivError):
    """arXiv refused the query (HTTP 400 and its error feed)."""


@dataclass(frozen=True)
class ArxivQuery:
    """An author listing, optionally within one category."""

    author: str
    category: str | None = None

    @classmethod
    def from_spec(cls, arg: str) -> ArxivQuery:
        """``author=Qianyi Li;cat=q-bio.NC`` -> the query (``cat`` is optional)."""
        options: dict[str, str] = {}
        for part in arg.split(";"):
            key, sep, value = part.partition("=")
            if not sep or not value.strip() or key.strip() not in ("author", "cat"):
                raise SourceSpecError(
                    f"bad arxiv-api option {part!r}; use 'arxiv-api:author=NAME' or 'arxiv-api:author=NAME;cat=CATEGORY'"
                )
            options[key.strip()] = value.strip()
        if "author" not in options:
            raise SourceSpecError("arxiv-api needs an author: 'arxiv-api:author=NAME'")
        return cls(author=options["author"], category=options.get("cat"))

    @property
    def search_query(self) -> str:
        """arXiv search syntax: ``au:"Qianyi Li"`` (a phrase), ``AND cat:…`` when filtered."""
        name = self.author.replace('"', "")
        query = f'au:"{name}"'
        return f"{query} AND cat:{self.category}" if self.category else query


@dataclass
class FetchStats:
    """What one listing cost: for the run summary."""

    requests: int = 0
    pages: int = 0
    entries: int = 0
    empty_page_retries: int = 0
    bad_feed_retries: int = 0
    inputs: list[RawInputFile] = field(default_factory=list)

    def as_client_stats(self):
        """The figures the run summary shows for every live source (arXiv has no credits)."""
        from pipeline.sources.openalex.client import ClientStats

        return ClientStats(requests=self.requests, retries=self.empty_page_retries + self.bad_feed_retries)


def make_session(retries: int = HTTP_RETRIES, backoff_seconds: float = HTTP_BACKOFF_SECONDS) -> requests.Session:
    """The one place retries live: 5xx, connection errors and read timeouts back off
    exponentially; 4xx are answered at once (arXiv's 400 carries an error feed)."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff_seconds,
        status_forcelist=(500, 502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,  # the last 5xx comes back as a response, and becomes an ArxivError
    )
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class ArxivClient:
    """Fetches author listings page by page, landing every response raw."""

    def __init__(
        self,
        raw: RawStore,
        settings: ArxivSettings | None = None,
        *,
        session: requests.Session | None = None,
        page_size: int = PAGE_SIZE,
        timeout: float = TIMEOUT_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.raw = raw
        self.timeout = timeout
        self.settings = settings or ArxivSettings()
        self.session = session or make_session()
        self.page_size = page_size
        self._sleep = sleep
        self._last_request: float | None = None

    def fetch(self, query: ArxivQuery, *, max_pages: int = MAX_PAGES) -> FetchStats:
        """Fetch the whole listing; return its landing inputs (one per good page) and figures."""
        from pipeline.sources.progress import current_observer

        stats = FetchStats()
        observer, label = current_observer(), query.search_query
        if observer is not None:
            observer.author_started(label, None)
        for page, raw_input in self.pages(query, stats, max_pages=max_pages):
            stats.pages += 1
            stats.entries += len(page.entries)
            stats.inputs.append(raw_input)
            if observer is not None:
                observer.page_fetched(label, len(page.entries), stats.as_client_stats())
        if observer is not None:
            observer.author_finished(label, stats.as_client_stats())
            observer.source_finished(stats.as_client_stats(), stats.entries)
        return stats

    def pages(
        self, query: ArxivQuery, stats: FetchStats | None = None, *, max_pages: int = MAX_PAGES
    ) -> Iterator[tuple[AtomPage, RawInputFile]]:
        """Yield each non-empty page of the listing and its landed input, at most ``max_pages``."""
        stats = stats or FetchStats()
        start = 0
        for _ in range(max_pages):
            page, raw_input = self._page(query, start, stats)
            if raw_input is None:
                return
            yield page, raw_input
            start += len(page.entries)
            if page.total_results is not None and start >= page.total_results:
                return
        raise ArxivError(
            f"arXiv listing {query.search_query!r} has more than {max_pages} pages of {self.page_size}; "
            "narrow it with ';cat=CATEGORY'"
        )

    def plan(self, query: ArxivQuery) -> ArxivPlan:
        """Ask for one entry to learn the listing's size (``opensearch:totalResults``); lands nothing."""
        params = {"search_query": query.search_query, "start": 0, "max_results": 1}
        url = f"{self.settings.base_url}?{urlencode(params)}"
        response = self._get(url, FetchStats())
        if response.status_code == 400:
            raise ArxivQueryError(_refusal(query, response.content))
        if response.status_code != 200:
            raise ArxivError(f"arXiv answered HTTP {response.status_code} to {url} (after retries); try again later")
        total = parse_feed(response.content).total_results or 0
        pages = -(-total // self.page_size)
        return ArxivPlan(query.search_query, total, pages, pages, max(pages - 1, 0) * self.settings.delay_seconds)

    def _page(self, query: ArxivQuery, start: int, stats: FetchStats) -> tuple[AtomPage, RawInputFile | None]:
        params = {
            "search_query": query.search_query,
            "start": start,
            "max_results": self.page_size,
            "sortBy": "submittedDate",
            "sortOrder": "ascending",
        }
        url = f"{self.settings.base_url}?{urlencode(params)}"
        empty_left, bad_left = EMPTY_PAGE_RETRIES, BAD_FEED_RETRIES
        while True:
            response = self._get(url, stats)
            carries_records = False
            try:
                if response.status_code == 400:
                    raise ArxivQueryError(_refusal(query, response.content))
                if response.status_code != 200:
                    raise ArxivError(
                        f"arXiv answered HTTP {response.status_code} to {url} (after retries); try again later"
                    )
                try:
                    page = parse_feed(response.content)
                except AtomError as exc:
                    if bad_left > 0:
                        bad_left -= 1
                        stats.bad_feed_retries += 1
                        log.warning("arXiv sent a bad Atom body for %s (%s); fetching it again", url, exc)
                        continue
                    raise AtomError(f"arXiv sent a bad Atom body for {url}: {exc}") from None
                behind = page.total_results is not None and start < page.total_results
                if not page.entries and behind and empty_left > 0:
                    empty_left -= 1
                    stats.empty_page_retries += 1
                    log.warning("arXiv sent an empty page at start=%d of %d; asking again", start, page.total_results)
                    continue
                if not page.entries:
                    if behind:
                        log.warning(
                            "arXiv kept sending an empty page at start=%d of %d for %r; treating the listing as ended",
                            start,
                            page.total_results,
                            query.search_query,
                        )
                    return page, None
                carries_records = True
                return page, self._land(url, response, ATOM_PAGE, query).input_file(self.raw.root)
            finally:
                if not carries_records:  # kept for the record; yields nothing on landing or replay
                    self._land(url, response, None, query)

    def _land(self, url: str, response: requests.Response, record_format: str | None, query: ArxivQuery):
        return self.raw.land(
            source=SOURCE_NAME,
            entity=ENTITY,
            url=url,
            status=response.status_code,
            headers=response.headers,
            body=response.content,
            record_format=record_format,
            extra={"search_query": query.search_query},
        )

    def _get(self, url: str, stats: FetchStats) -> requests.Response:
        if self._last_request is not None:
            wait = self.settings.delay_seconds - (time.monotonic() - self._last_request)
            if wait > 0:
                self._sleep(wait)
        try:
            stats.requests += 1
            return self.session.get(url, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ArxivError(
                f"arXiv did not answer {url} ({type(exc).__name__}); check ARXIV_BASE_URL or try later"
            ) from None
        finally:
            self._last_request = time.monotonic()


def _refusal(query: ArxivQuery, body: bytes) -> str:
    try:
        reasons = parse_feed(body).errors
    except AtomError:
        reasons = []
    reason = "; ".join(reasons) or "no reason given"
    return f"arXiv refused the query {query.search_query!r} (HTTP 400: {reason}); check the author name and category"


class ArxivApiSource:
    """``arxiv-api:author=NAME[;cat=CATEGORY]``: fetches the listing when asked for its files."""

    name = SOURCE_NAME

    def __init__(self, query: ArxivQuery, raw: RawStore, client: ArxivClient | None = None) -> None:
        self.query = query
        self.raw = raw
        self.client = client or ArxivClient(raw)
        self.stats: FetchStats | None = None

    def __repr__(self) -> str:
        return f"ArxivApiSource({self.query.search_query!r})"

    def files(self) -> list[RawInputFile]:
        self.stats = self.client.fetch(self.query)
        return list(self.stats.inputs)

    def plan(self) -> ArxivPlan:
        """A dry run: one request for one entry, to read the listing's size; nothing is landed."""
        return self.client.plan(self.query)


@dataclass(frozen=True)
class ArxivPlan:
    """What fetching a listing would cost: arXiv has no credits, only its 3-second pace."""

    search_query: str
    total_results: int
    pages: int
    requests: int
    seconds_at_least: float


def parse_arxiv_spec(arg: str, settings: Settings | None = None) -> ArxivApiSource:
    """``arxiv-api:ARG`` -> the source; its responses land raw under the settings' data dir."""
    return ArxivApiSource(ArxivQuery.from_spec(arg), RawStore.of(settings or Settings()))
