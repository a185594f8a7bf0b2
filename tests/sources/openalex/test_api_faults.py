"""Each fault the OpenAlex API can throw, injected on a real local server: the landed
tables end up with every record exactly once, and the key never leaks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from openalex_api_helpers import (
    KEY,
    LIU_ZIYIN,
    PRIEM,
    READ_TIMEOUT,
    RETIRED_ID,
    SOMPOLINSKY,
    assert_key_never_leaks,
    assert_no_duplicates_nothing_lost,
    expected_works,
    fetch_and_land,
    lake_rows,
)

from pipeline.errors import PipelineError
from pipeline.sources.openalex.client import CreditsExhaustedError, OpenAlexRequestError, OpenAlexUnavailableError
from pipeline.sources.raw import RawStore
from pipeline.sources.state import SourceState, last_fetched


def test_a_clean_fetch_lands_every_work_once_with_cursor_paging(settings, api_env, caplog):
    report = fetch_and_land(settings)
    assert_no_duplicates_nothing_lost(settings, expected_works(api_env, LIU_ZIYIN))
    pages = api_env.requests_to("/works")
    assert [args["cursor"] for _, args in pages][0] == "*"
    assert len(pages) == 3  # 9 works, 4 per page
    assert all(args["per_page"] == "4" and args["filter"] == f"author.id:{LIU_ZIYIN}" for _, args in pages)
    assert all("select" in args and args["mailto"] == "ops@example.org" for _, args in pages)
    assert api_env.received_keys == {KEY}  # the key is sent ...
    assert [a["author_id"] for a in lake_rows(settings, "authors")] == [LIU_ZIYIN]
    assert report.total("quarantined") == 0
    assert_key_never_leaks(settings, caplog.text)  # ... and never kept


@pytest.mark.parametrize(
    ("kind", "times", "rate_limited"),
    [("429", 2, True), ("403", 2, True), ("500", 3, False), ("timeout", 1, False), ("truncated", 2, False)],
)
def test_transient_faults_are_retried_and_lose_nothing(settings, api_env, caplog, kind, times, rate_limited):
    api_env.fail(kind, path="/works", times=times, retry_after=0.01, delay=READ_TIMEOUT + 0.5)
    source_stats = _fetch_with_stats(settings)
    assert_no_duplicates_nothing_lost(settings, expected_works(api_env, LIU_ZIYIN))
    assert source_stats.retries == times
    assert source_stats.rate_limit_waits == (times if rate_limited else 0)
    # every response is landed raw, the failed ones too, but only good bodies carry records
    responses = RawStore.of(settings).responses("openalex-api")
    assert len(responses) == 1 + 3 + times - (1 if kind == "timeout" else 0) * times
    assert sum(r.record_format is not None for r in responses) == 1 + 3
    assert_key_never_leaks(settings, caplog.text)


def test_retry_after_is_honoured(settings, api_env):
    api_env.fail("429", path="/works", times=1, retry_after=0.2)
    stats = _fetch_with_stats(settings)
    assert stats.rate_limit_waits == 1
    assert stats.waited_seconds >= 0.2


def test_giving_up_names_the_request_without_the_key(settings, api_env, caplog):
    api_env.fail("500", path="/works", times=99)
    with pytest.raises(OpenAlexUnavailableError) as failure:
        fetch_and_land(settings)
    message = str(failure.value)
    assert "api_key=REDACTED" in message and f"author.id:{LIU_ZIYIN}" in message and "resumes" in message
    assert_key_never_leaks(settings, message, caplog.text)


def test_other_4xx_is_a_clear_error(settings, api_env, caplog):
    api_env.fail("400", path="/works", times=1)
    with pytest.raises(OpenAlexRequestError, match=r"GET .*/works\?.*api_key=REDACTED.* answered 400") as failure:
        fetch_and_land(settings)
    assert isinstance(failure.value, PipelineError)
    assert_key_never_leaks(settings, str(failure.value), caplog.text)


def test_credits_exhausted_stops_and_resumes_where_it_stopped(settings, api_env, caplog):
    api_env.credits_remaining = 2  # the author is free, then two list pages of three
    with pytest.raises(CreditsExhaustedError, match="credits are exhausted") as failure:
        fetch_and_land(settings)
    checkpoint = SourceState.of(settings).load(LIU_ZIYIN).checkpoints["works"]
    assert checkpoint["pages"] == 2 and checkpoint["cursor"] not in (None, "*")

    api_env.credits_remaining = 100  # the next day
    api_env.requests.clear()
    fetch_and_land(settings)
    resumed = api_env.requests_to("/works")
    assert [args["cursor"] for _, args in resumed] == [checkpoint["cursor"]]
    assert_no_duplicates_nothing_lost(settings, expected_works(api_env, LIU_ZIYIN))
    assert SourceState.of(settings).load(LIU_ZIYIN).checkpoints == {}
    assert_key_never_leaks(settings, str(failure.value), caplog.text)


def test_a_429_that_means_credits_exhausted_is_not_retried(settings, api_env):
    api_env.fail("credits", path="/works", times=1)
    with pytest.raises(CreditsExhaustedError):
        fetch_and_land(settings)
    assert len(api_env.requests_to("/works")) == 1


def test_a_301_merge_is_followed_and_landed_as_merged_authors(settings, api_env, caplog):
    fetch_and_land(settings, f"openalex-api:authors={RETIRED_ID}")
    merges = lake_rows(settings, "merged_authors")
    assert [(m["merged_id"], m["merge_into_id"]) for m in merges] == [(RETIRED_ID, SOMPOLINSKY)]
    assert [a["author_id"] for a in lake_rows(settings, "authors")] == [SOMPOLINSKY]
    assert_no_duplicates_nothing_lost(settings, expected_works(api_env, SOMPOLINSKY))
    assert api_env.requests_to("/works")[0][1]["filter"] == f"author.id:{SOMPOLINSKY}"
    # old ids resolve in the state too
    fetched = last_fetched(settings)
    assert set(fetched) == {SOMPOLINSKY, RETIRED_ID}
    assert SourceState.of(settings).load(RETIRED_ID).author_id == SOMPOLINSKY
    # the redirect's Location echoed the key: redacted in the raw meta
    merge_meta = [r.meta for r in RawStore.of(settings).responses() if r.entity == "merged_authors"]
    assert merge_meta[0]["status"] == 301 and "api_key=REDACTED" in merge_meta[0]["headers"]["location"]
    assert_key_never_leaks(settings, caplog.text)


def test_a_truncated_author_list_is_fetched_whole(settings, api_env, recorded, caplog):
    api_env.truncate_authors_over = 3
    fetch_and_land(settings, f"openalex-api:authors={PRIEM}")
    (work,) = lake_rows(settings, "works")
    full = json.loads((recorded / "openalex_work_W2741809807.json").read_text())
    assert work["work_id"] == "W2741809807"
    assert len(work["authorships"]) == len(full["authorships"]) == 9
    assert [path for path, _ in api_env.requests_to("/works/")] == ["/works/W2741809807"]
    assert_key_never_leaks(settings, caplog.text)


def test_orcid_is_resolved_first(settings, api_env):
    fetch_and_land(settings, "openalex-api:orcid=0000-0002-0000-0006")
    assert api_env.requests[0][0] == "/authors/orcid:0000-0002-0000-0006"
    assert_no_duplicates_nothing_lost(settings, expected_works(api_env, SOMPOLINSKY))


def test_an_unknown_author_is_a_clear_error(settings, api_env):
    with pytest.raises(OpenAlexRequestError, match="answered 404"):
        fetch_and_land(settings, "openalex-api:authors=A1")


def _fetch_with_stats(settings):
    from pipeline.landing.land import land
    from pipeline.sources import parse_source_spec

    (source,) = parse_source_spec(f"openalex-api:authors={LIU_ZIYIN}", settings)
    land(source.files(), settings, ingest_date=settings.as_of)
    return source.stats


def test_faults_that_may_pass_are_transient_and_request_errors_are_not():
    from pipeline.errors import TransientError

    assert issubclass(CreditsExhaustedError, TransientError)
    assert issubclass(OpenAlexUnavailableError, TransientError)
    assert not issubclass(OpenAlexRequestError, TransientError)


def test_a_dead_server_is_retried_then_named_without_the_key(settings, api_env, monkeypatch, caplog):
    monkeypatch.setenv("OPENALEX_BASE_URL", "http://127.0.0.1:9")  # discard port: connection refused
    monkeypatch.setenv("OPENALEX_MAX_RETRIES", "1")
    with pytest.raises(OpenAlexUnavailableError, match="connection broken") as failure:
        fetch_and_land(settings)
    assert_key_never_leaks(settings, str(failure.value), repr(failure.value.__context__), caplog.text)


def test_a_malformed_base_url_is_a_request_error_without_the_key(settings, api_env, monkeypatch):
    monkeypatch.setenv("OPENALEX_BASE_URL", "http://[::1")
    with pytest.raises(OpenAlexRequestError, match="OPENALEX_BASE_URL") as failure:
        fetch_and_land(settings)
    assert KEY not in str(failure.value)


def test_retry_after_may_be_an_http_date():
    from email.utils import format_datetime

    from pipeline.sources.openalex.client import _retry_after

    assert _retry_after("2.5") == 2.5
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= _retry_after(soon) <= 30
    assert _retry_after("whenever") is None
