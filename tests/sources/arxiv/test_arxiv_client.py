"""The arXiv client against a real local HTTP server replaying recorded Atom pages.

Each fault test ends by landing what the client fetched and checking the landed
rows: every entry exactly once, nothing lost, nothing duplicated.
"""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pyarrow.parquet as pq
import pytest
from werkzeug import Request, Response

from pipeline.errors import PipelineError, SourceSpecError
from pipeline.landing.land import land
from pipeline.quality.gate import landing_gate
from pipeline.sources.arxiv.atom import AtomError
from pipeline.sources.arxiv.client import (
    ArxivApiSource,
    ArxivClient,
    ArxivError,
    ArxivQuery,
    ArxivQueryError,
    make_session,
)
from pipeline.sources.arxiv.settings import ArxivSettings
from pipeline.sources.raw import RawStore, ReplaySource
from pipeline.storage.layout import DataLayout

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "arxiv"
LISTING = (FIXTURES / "arxiv_query_testing_start0_max10.atom.xml").read_text(encoding="utf-8")
ENTRIES = re.findall(r"  <entry>.*?</entry>\n", LISTING, flags=re.S)
HEAD = LISTING[: LISTING.index("  <entry>")]
ALL_IDS = sorted(re.search(r"<id>http://arxiv.org/abs/(.+?)v\d+</id>", e).group(1) for e in ENTRIES)
PAGE = 4


def feed(start: int, entries: list[str], total: int = len(ENTRIES)) -> str:
    head = re.sub(r"<opensearch:totalResults>\d+<", f"<opensearch:totalResults>{total}<", HEAD)
    head = re.sub(r"<opensearch:startIndex>\d+<", f"<opensearch:startIndex>{start}<", head)
    head = re.sub(r"<opensearch:itemsPerPage>\d+<", f"<opensearch:itemsPerPage>{PAGE}<", head)
    return head + "".join(entries) + "</feed>\n"


def good_page(start: int) -> Response:
    return Response(feed(start, ENTRIES[start : start + PAGE]), content_type="application/atom+xml")


class Listing:
    """A server handler: the 10 recorded entries in pages of 4, with faults injected by (start, attempt)."""

    def __init__(self, faults: dict[tuple[int, int], Response] | None = None) -> None:
        self.faults = faults or {}
        self.calls: list[dict[str, str]] = []
        self.attempts: dict[int, int] = {}

    def __call__(self, request: Request) -> Response:
        args = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        self.calls.append(args)
        start = int(args["start"])
        attempt = self.attempts[start] = self.attempts.get(start, 0) + 1
        return self.faults.get((start, attempt)) or good_page(start)


@pytest.fixture
def raw(settings) -> RawStore:
    return RawStore(DataLayout.of(settings).raw_dir)


def client(httpserver, raw, *, retries: int = 2) -> ArxivClient:
    settings = ArxivSettings(base_url=httpserver.url_for("/api/query"), delay_seconds=0)
    return ArxivClient(raw, settings, session=make_session(retries=retries, backoff_seconds=0), page_size=PAGE)


def serve(httpserver, handler) -> None:
    httpserver.expect_request("/api/query").respond_with_handler(handler)


def landed_ids(settings, inputs) -> list[str]:
    report = land(inputs, settings, ingest_date=date(2026, 1, 2), gate=landing_gate(settings))
    assert report.total("quarantined") == 0
    ids: list[str] = []
    for file in report.files:
        ids += pq.read_table(file.records_path).column("arxiv_id").to_pylist()
    return sorted(ids)


def test_spec_options():
    assert ArxivQuery.from_spec("author=Qianyi Li") == ArxivQuery("Qianyi Li")
    query = ArxivQuery.from_spec("author=Qianyi Li;cat=q-bio.NC")
    assert query.search_query == 'au:"Qianyi Li" AND cat:q-bio.NC'
    for bad in ("Qianyi Li", "cat=cs.LG", "author=", "author=X;colour=red"):
        with pytest.raises(SourceSpecError, match="arxiv-api"):
            ArxivQuery.from_spec(bad)


def test_pages_through_the_listing_and_lands_each_entry_once(httpserver, raw, settings):
    listing = Listing()
    serve(httpserver, listing)
    stats = client(httpserver, raw).fetch(ArxivQuery("Ada Lovelace", "cs.SE"))
    assert [c["start"] for c in listing.calls] == ["0", "4", "8"]
    assert listing.calls[0]["search_query"] == 'au:"Ada Lovelace" AND cat:cs.SE'
    assert listing.calls[0]["max_results"] == str(PAGE)
    assert (stats.pages, stats.entries, stats.requests) == (3, 10, 3)
    assert landed_ids(settings, stats.inputs) == ALL_IDS


def test_an_empty_page_mid_listing_is_asked_again(httpserver, raw, settings):
    listing = Listing({(4, 1): Response(feed(4, []), content_type="application/atom+xml")})
    serve(httpserver, listing)
    stats = client(httpserver, raw).fetch(ArxivQuery("Ada Lovelace"))
    assert [c["start"] for c in listing.calls] == ["0", "4", "4", "8"]
    assert stats.empty_page_retries == 1
    assert landed_ids(settings, stats.inputs) == ALL_IDS
    # the empty response is kept raw for the record but carries nothing to land
    assert len(raw.responses()) == 4 and len(raw.inputs()) == 3


def test_a_500_then_success_is_retried_by_the_session(httpserver, raw, settings):
    listing = Listing({(8, 1): Response("upstream down", status=500), (8, 2): Response("still", status=503)})
    serve(httpserver, listing)
    stats = client(httpserver, raw).fetch(ArxivQuery("Ada Lovelace"))
    assert [c["start"] for c in listing.calls] == ["0", "4", "8", "8", "8"]
    assert stats.requests == 3  # the retries happened inside the session, below the client
    assert landed_ids(settings, stats.inputs) == ALL_IDS


class Slow(Listing):
    """The first answer at start=4 comes after the client's read timeout."""

    def __call__(self, request: Request) -> Response:
        args = {k: v[0] for k, v in parse_qs(urlparse(request.url).query).items()}
        if args["start"] == "4" and not self.attempts.get(4):
            self.attempts[4] = 1
            time.sleep(3.0)  # well past the 1 s timeout below, which a loaded machine's normal answers stay under
        return super().__call__(request)


def test_a_timeout_is_retried_by_the_session(httpserver, raw, settings):
    listing = Slow()
    serve(httpserver, listing)
    arxiv = client(httpserver, raw)
    arxiv.timeout = 1.0
    stats = arxiv.fetch(ArxivQuery("Ada Lovelace"))
    assert stats.requests == 3
    assert landed_ids(settings, stats.inputs) == ALL_IDS


def test_a_5xx_that_outlasts_the_retries_is_a_clear_error(httpserver, raw):
    serve(httpserver, Listing({(0, n): Response("down", status=502) for n in range(1, 10)}))
    with pytest.raises(ArxivError, match=r"HTTP 502 .*try again later"):
        client(httpserver, raw, retries=1).fetch(ArxivQuery("Ada Lovelace"))
    assert raw.inputs() == []


def test_a_malformed_feed_is_fetched_again(httpserver, raw, settings):
    cut = feed(4, ENTRIES[4:8])
    listing = Listing({(4, 1): Response(cut[: len(cut) // 2], content_type="application/atom+xml")})
    serve(httpserver, listing)
    stats = client(httpserver, raw).fetch(ArxivQuery("Ada Lovelace"))
    assert stats.bad_feed_retries == 1
    assert landed_ids(settings, stats.inputs) == ALL_IDS


def test_a_feed_that_stays_malformed_stops_the_fetch_naming_the_url(httpserver, raw):
    broken = Response("<feed xmlns='http://www.w3.org/2005/Atom'><entry>", content_type="application/atom+xml")
    serve(httpserver, Listing({(0, n): broken for n in range(1, 10)}))
    with pytest.raises(AtomError, match=r"bad Atom body for http://.*start=0.*malformed XML"):
        client(httpserver, raw).fetch(ArxivQuery("Ada Lovelace"))
    assert raw.inputs() == []


def test_the_400_error_feed_is_a_clear_error_naming_the_query(httpserver, raw):
    error_feed = (FIXTURES / "arxiv_error_bad_id_http400.atom.xml").read_bytes()
    serve(httpserver, Listing({(0, 1): Response(error_feed, status=400, content_type="application/atom+xml")}))
    with pytest.raises(ArxivQueryError) as refused:
        client(httpserver, raw).fetch(ArxivQuery("Ada Lovelace"))
    message = str(refused.value)
    assert isinstance(refused.value, PipelineError)
    assert 'au:"Ada Lovelace"' in message and "incorrect id format for abc" in message
    (response,) = raw.responses()  # kept raw, with its status, but nothing to land
    assert response.meta["status"] == 400 and response.record_format is None


def test_requests_are_spaced_by_the_delay(httpserver, raw):
    serve(httpserver, Listing())
    waits: list[float] = []
    settings = ArxivSettings(base_url=httpserver.url_for("/api/query"), delay_seconds=3)
    ArxivClient(raw, settings, session=make_session(backoff_seconds=0), page_size=PAGE, sleep=waits.append).fetch(
        ArxivQuery("Ada Lovelace")
    )
    assert len(waits) == 2 and all(2.5 < w <= 3 for w in waits)


def test_settings_come_from_the_environment(monkeypatch):
    assert ArxivSettings().base_url == "https://export.arxiv.org/api/query"
    assert ArxivSettings().delay_seconds == 3
    monkeypatch.setenv("ARXIV_BASE_URL", "http://127.0.0.1:1/q")
    monkeypatch.setenv("ARXIV_DELAY_SECONDS", "0")
    assert (ArxivSettings().base_url, ArxivSettings().delay_seconds) == ("http://127.0.0.1:1/q", 0)


def test_replay_rebuilds_the_same_rows_without_the_network(httpserver, raw, settings, tmp_path):
    serve(httpserver, Listing({(4, 1): Response(feed(4, []), content_type="application/atom+xml")}))
    source = ArxivApiSource(ArxivQuery("Ada Lovelace"), raw, client(httpserver, raw))
    fetched = source.files()
    httpserver.clear()
    replayed = ReplaySource(raw.root).files()
    assert sorted(f.identity for f in replayed) == sorted(f.identity for f in fetched)
    assert landed_ids(settings, replayed) == ALL_IDS


def test_a_plan_reads_the_listing_size_and_lands_nothing(httpserver, raw):
    listing = Listing()
    serve(httpserver, listing)
    source = ArxivApiSource(ArxivQuery("Ada Lovelace"), raw, client(httpserver, raw))
    plan = source.plan()
    assert (plan.total_results, plan.pages, plan.requests) == (10, 3, 3)
    assert [c["max_results"] for c in listing.calls] == ["1"]
    assert raw.responses() == []


@pytest.mark.live
def test_live_arxiv_listing(tmp_path):
    """Smoke test against export.arxiv.org (run with --live)."""
    raw = RawStore(tmp_path / "raw")
    page, landed = next(ArxivClient(raw, ArxivSettings(), page_size=5).pages(ArxivQuery("Haim Sompolinsky")))
    assert page.total_results and len(page.entries) == 5
    assert len(list(landed.records())) == 5


def test_the_source_spec_fetches_into_the_data_dirs_raw_folder(httpserver, settings, monkeypatch):
    from pipeline.sources import parse_source_spec

    serve(httpserver, Listing())
    monkeypatch.setenv("ARXIV_BASE_URL", httpserver.url_for("/api/query"))
    monkeypatch.setenv("ARXIV_DELAY_SECONDS", "0")
    (source,) = parse_source_spec("arxiv-api:author=Ada Lovelace;cat=cs.SE", settings)
    files = source.files()
    assert len(files) == 3 and all(DataLayout.of(settings).raw_dir in f.path.parents for f in files)
    assert landed_ids(settings, files) == ALL_IDS


def test_pipeline_sources_is_a_dry_run_for_arxiv_too(httpserver, tmp_path):
    from cli_helpers import run_cli

    listing = Listing()
    serve(httpserver, listing)
    data_dir = tmp_path / "data"
    env = {"ARXIV_BASE_URL": httpserver.url_for("/api/query"), "ARXIV_DELAY_SECONDS": "0"}
    result = run_cli("sources", "arxiv-api:author=Ada Lovelace", "--data-dir", str(data_dir), env=env)
    assert "10 entries in 1 page(s), 1 request(s)" in " ".join(result.stdout.split())
    assert [c["max_results"] for c in listing.calls] == ["1"]  # one request for one entry, nothing fetched
    assert not [p for p in data_dir.rglob("*") if p.is_file()]  # nothing landed


def test_pipeline_run_on_arxiv_shows_progress_and_ends_with_the_fetch_summary(httpserver, tmp_path):
    from cli_helpers import run_cli

    serve(httpserver, Listing())
    data_dir = tmp_path / "data"
    env = {"ARXIV_BASE_URL": httpserver.url_for("/api/query"), "ARXIV_DELAY_SECONDS": "0"}
    result = run_cli("run", "--source", "arxiv-api:author=Ada Lovelace", "--data-dir", str(data_dir), env=env)
    out = " ".join(result.stdout.split())
    assert "fetched 10 records in 3 requests (0 retries" in out, out  # the server pages by 4
    assert "landed 10, quarantined 0" in out
