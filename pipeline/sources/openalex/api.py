"""The OpenAlex API source: ``openalex-api:authors=A1,A2`` and ``openalex-api:orcid=…``.

``files()`` fetches each author (``GET /authors/{id}``, or ``/authors/orcid:{orcid}``)
and all of their works (``GET /works?filter=author.id:{id}``, cursor paging), landing
every response raw, then returns the landing inputs of every raw response of this
source that is not landed yet (landing skips the ones already in the lake), so a
fetch that was killed before landing is landed by the next run.

Resumable: after each page (and the whole re-fetch of any work whose author list
was truncated) the cursor of the next page is checkpointed; a re-run continues
from it. Incremental: a finished listing leaves the newest ``updated_date`` it saw
as the author's high-water mark, and the next run asks only for
``from_updated_date:<mark>`` (the warehouse keeps the newest record of each work).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

from pipeline.config import Settings, load_settings
from pipeline.errors import SourceSpecError
from pipeline.schemas.ids import short_id
from pipeline.sources.base import InputFile
from pipeline.sources.openalex.client import AUTHORS, WORKS, ClientStats, OpenAlexClient
from pipeline.sources.openalex.settings import API_SOURCE_NAME, OpenAlexAPISettings
from pipeline.sources.progress import current_observer
from pipeline.sources.raw import RawStore
from pipeline.sources.state import AuthorState, SourceState

log = logging.getLogger(__name__)

WORKS_LISTING = "works"


@dataclass
class PlannedFetch:
    """What fetching one author would do (``pipeline sources``)."""

    requested: str
    author_id: str
    display_name: str | None
    works_count: int | None
    since: str | None  # from_updated_date that would be sent
    resume_cursor: str | None  # a checkpoint the fetch would resume from
    pages: int  # at most
    requests: int
    credits: int


class OpenAlexAPISource:
    """The works and records of some authors, fetched from the OpenAlex API."""

    name = API_SOURCE_NAME

    def __init__(
        self,
        authors: list[str] | None = None,
        orcids: list[str] | None = None,
        settings: Settings | None = None,
        api: OpenAlexAPISettings | None = None,
    ) -> None:
        self.authors = [str(short_id(a)).upper() for a in authors or []]
        self.orcids = list(orcids or [])
        if not self.authors and not self.orcids:
            raise SourceSpecError("openalex-api needs authors=A1,A2 or orcid=0000-0000-0000-0000")
        self.settings = settings or load_settings()
        self.api = api or OpenAlexAPISettings()
        self.stats = ClientStats()
        self.records_fetched = 0
        self.fetched_ids: set[str] = set()  # requested and resolved ids: whose raw responses to land

    def __repr__(self) -> str:
        return f"OpenAlexAPISource(authors={self.authors!r}, orcids={self.orcids!r})"

    @property
    def requested(self) -> list[str]:
        return [*self.authors, *(f"orcid:{o}" for o in self.orcids)]

    # -- fetching ---------------------------------------------------------------
    def files(self) -> list[InputFile]:
        """Fetch every author (landing raw responses), then the inputs to land."""
        raw = RawStore.of(self.settings)
        self.fetch(OpenAlexClient(self.api, raw=raw, stats=self.stats))
        # This run's responses and any earlier ones of the same authors (a killed fetch's pages):
        # landing skips those already in the lake.
        return [
            r.input_file(raw.root)
            for r in raw.responses(API_SOURCE_NAME)
            if r.record_format and r.meta.get("author_id", "") in self.fetched_ids
        ]

    def fetch(self, client: OpenAlexClient) -> None:
        """Fetch every requested author with ``client`` (which lands the raw responses)."""
        self.stats = client.stats
        state = SourceState.of(self.settings, API_SOURCE_NAME)
        observer = current_observer()
        try:
            for ident in self.requested:
                self._fetch_author(client, state, ident, observer)
        finally:
            if observer is not None:
                observer.source_finished(self.stats, self.records_fetched)

    def _fetch_author(self, client: OpenAlexClient, store: SourceState, ident: str, observer) -> None:
        client.tags = {"author_id": ident}
        self.fetched_ids.add(ident)
        author = client.get_one(AUTHORS, ident)
        document = author.document if isinstance(author.document, dict) else {}
        author_id = str(short_id(document.get("id") or ident)).upper()
        state = self._state_for(store, author_id, author.merged_from)
        client.tags = {"author_id": author_id}
        self.fetched_ids.add(author_id)
        checkpoint = state.checkpoints.get(WORKS_LISTING)
        if checkpoint is None:
            since = state.high_water[:19] if state.high_water and self.api.incremental_filter else None
            checkpoint = {"cursor": "*", "since": since, "pages": 0, "records": 0, "max_updated": None}
            checkpoint["seen_up_to"] = state.high_water if since else None
            store.checkpoint(state, WORKS_LISTING, **checkpoint)
        elif checkpoint.get("cursor") is None:  # killed between the last page and finishing
            store.finish(state, WORKS_LISTING)
            return
        if observer is not None:
            observer.author_started(author_id, _pages(document.get("works_count"), self.api.per_page))
        query = f"author.id:{author_id}" + (f",from_updated_date:{checkpoint['since']}" if checkpoint["since"] else "")
        pages = client.pages(
            WORKS,
            filter=query,
            cap=self.api.max_pages,
            cursor=checkpoint["cursor"],
            select=self.api.works_select or None,
            seen_up_to=checkpoint.get("seen_up_to"),
        )
        for page in pages:
            for work in page.results:
                if work.get("is_authors_truncated"):
                    client.get_one(WORKS, str(work.get("id")))  # the whole author list, landed raw
            updated = [str(w["updated_date"]) for w in page.results if w.get("updated_date")]
            newest = max(filter(None, [checkpoint.get("max_updated"), *updated]), default=None)
            checkpoint = {
                **checkpoint,
                "cursor": page.next_cursor if page.results else None,
                "pages": checkpoint["pages"] + 1,
                "records": checkpoint["records"] + len(page.results),
                "max_updated": newest,
            }
            store.checkpoint(state, WORKS_LISTING, **checkpoint)
            self.records_fetched += len(page.results)
            if observer is not None:
                observer.page_fetched(author_id, len(page.results), client.stats)
        if checkpoint["cursor"] is not None:  # stopped at the page cap: the next run goes on from here
            log.warning(
                "%s: stopped after %d pages (OPENALEX_MAX_PAGES); re-run to go on", author_id, checkpoint["pages"]
            )
            return
        store.finish(state, WORKS_LISTING)
        if observer is not None:
            observer.author_finished(author_id, client.stats)

    @staticmethod
    def _state_for(store: SourceState, author_id: str, merged_from: str | None) -> AuthorState:
        """The survivor's state; a retired id's own state (fetched before the merge) folds into it."""
        state = store.load(author_id)
        if merged_from and merged_from != author_id:
            old = store.load(merged_from)
            if old.author_id == merged_from and (old.high_water or old.checkpoints):
                state.high_water = state.high_water or old.high_water
                store.reset(merged_from)
            if merged_from not in state.aliases:
                state.aliases.append(merged_from)
            store.save(state)
        return state

    # -- the dry run ------------------------------------------------------------
    def plan(self) -> list[PlannedFetch]:
        """What a run would fetch and cost, from the (free) author singletons only;
        nothing is landed and no works page is requested."""
        client = OpenAlexClient(self.api, raw=None)
        store = SourceState.of(self.settings, API_SOURCE_NAME)
        planned = []
        for ident in self.requested:
            document = client.get_one(AUTHORS, ident).document or {}
            author_id = str(short_id(document.get("id") or ident)).upper()
            state = store.load(author_id)
            checkpoint = state.checkpoints.get(WORKS_LISTING) or {}
            since = checkpoint.get("since") if checkpoint else None
            if not checkpoint and state.high_water and self.api.incremental_filter:
                since = state.high_water[:19]
            works_count = document.get("works_count")
            pages = _pages(works_count, self.api.per_page) or 1
            if checkpoint:
                pages = max(pages - int(checkpoint.get("pages") or 0), 1)
            planned.append(
                PlannedFetch(
                    requested=ident,
                    author_id=author_id,
                    display_name=document.get("display_name"),
                    works_count=works_count,
                    since=since,
                    resume_cursor=checkpoint.get("cursor") if checkpoint else None,
                    pages=pages,
                    requests=1 + pages,
                    credits=self.api.singleton_cost + pages * self.api.list_cost,
                )
            )
        return planned


def _pages(works_count: object, per_page: int) -> int | None:
    """Pages a full listing takes: one per ``per_page`` works, plus the empty last one
    when the count is an exact multiple."""
    if not isinstance(works_count, int) or works_count < 0:
        return None
    return max(math.ceil(works_count / per_page), 1)


def parse_api_spec(arg: str, settings: Settings | None = None) -> OpenAlexAPISource:
    """``authors=A1,A2`` or ``orcid=0000-…[,…]`` (after ``openalex-api:``)."""
    key, _, values = arg.partition("=")
    items = [v.strip() for v in values.split(",") if v.strip()]
    if key == "authors" and items:
        return OpenAlexAPISource(authors=items, settings=settings)
    if key == "orcid" and items:
        return OpenAlexAPISource(orcids=items, settings=settings)
    raise SourceSpecError(
        f"unknown openalex-api source {arg!r}; use 'openalex-api:authors=A1,A2' or 'openalex-api:orcid=0000-…'"
    )
