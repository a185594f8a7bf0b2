"""Working off the request log: batches, landing before done, failures kept with their
reason, transient faults retried, profile requests fetched from a (fake) OpenAlex API."""

from __future__ import annotations

import duckdb
import pytest
from fakes.openalex_api import FakeOpenAlexAPI

from pipeline.config import Settings
from pipeline.errors import SourceSpecError
from pipeline.requests import process as processing
from pipeline.requests.envelope import event_request, profile_request
from pipeline.requests.process import claim_batches, open_log, process_batch, process_pending
from pipeline.storage.layout import DataLayout


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    for var in ("OPENALEX_BASE_URL", "OPENALEX_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    return Settings(data_dir=tmp_path / "data", workers=1)


def _events(settings: Settings) -> list[tuple]:
    files = DataLayout.of(settings).lake.files("source=platform/entity=events/*/*.parquet")
    if not files:
        return []
    return duckdb.sql(f"select event_id, type, author_id from read_parquet({files!r}) order by event_id").fetchall()


def test_claims_split_into_batches_and_a_claimed_request_is_not_claimed_twice(settings):
    settings.requests.batch_size = 4
    request_log = open_log(settings)
    for n in range(10):
        request_log.add(profile_request(f"A{5000000000 + n}"))
    batches = claim_batches(settings, "profile")
    assert [len(b["ids"]) for b in batches] == [4, 4, 2]
    assert sorted(i for b in batches for i in b["ids"]) == list(range(1, 11))
    assert len({b["owner"] for b in batches}) == 1
    assert claim_batches(settings, "profile") == []  # all leased
    assert claim_batches(settings, "event") == []  # kinds are separate


def test_event_requests_land_as_platform_events_then_are_done(settings):
    request_log = open_log(settings)
    request_log.add(event_request("author.followed", "A5020000002", event_id="e-1", actor_id="u-1"))
    request_log.add(event_request("author.claimed", "A5020000002", event_id="e-2", actor_id="u-1"))
    request_log.add(event_request("author.followed", "A5020000002", event_id="e-1", actor_id="u-1"))  # resent

    results = process_pending(settings, "event")

    assert [(len(r.done), r.valid, r.quarantined) for r in results] == [(2, 2, 0)]
    assert _events(settings) == [("e-1", "author.followed", "A5020000002"), ("e-2", "author.claimed", "A5020000002")]
    assert {r.status for r in request_log.list()} == {"done"}
    inbox = list(DataLayout.of(settings).inbox_dir.rglob("batch-*.jsonl"))
    assert len(inbox) == 1 and inbox[0].read_text().count("\n") == 2
    assert process_pending(settings, "event") == []  # nothing left


def test_nothing_is_done_when_landing_fails_and_a_transient_fault_is_retried(settings, monkeypatch):
    request_log = open_log(settings)
    request_log.add(event_request("author.followed", "A5020000002", event_id="e-1"))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("pipeline.run.land_sources", broken)
    (batch,) = claim_batches(settings, "event")
    with pytest.raises(OSError):
        process_batch(settings, batch)
    (request,) = request_log.list()
    assert request.status == "pending" and "disk full" in request.last_error  # will be retried
    assert _events(settings) == []

    monkeypatch.undo()
    (result,) = process_pending(settings, "event")
    assert result.done == [1] and _events(settings) == [("e-1", "author.followed", "A5020000002")]


def test_an_operator_error_fails_the_request_for_good_with_its_reason(settings, monkeypatch):
    request_log = open_log(settings)
    request_log.add(profile_request("A5020000002"))

    def bad_spec(specs, settings=None):
        raise SourceSpecError(f"unknown source {specs[0]!r}")

    monkeypatch.setattr("pipeline.run.collect_inputs", bad_spec)
    (result,) = process_pending(settings, "profile")
    assert result.done == [] and list(result.failed) == [1]
    (request,) = request_log.list()
    assert request.status == "failed" and "unknown source 'openalex-api:authors=A5020000002'" in request.last_error
    assert process_pending(settings, "profile") == []  # not retried


def test_profile_requests_fetch_from_the_api_and_one_bad_target_does_not_sink_the_batch(settings, monkeypatch):
    request_log = open_log(settings)
    request_log.add(profile_request("A5020000002"))
    request_log.add(profile_request("A5999999999"))  # the API answers 404
    request_log.add(profile_request("orcid:0000-0002-0000-0006"))  # Haim Sompolinsky, by ORCID
    with FakeOpenAlexAPI() as api:
        monkeypatch.setenv("OPENALEX_BASE_URL", api.base_url)
        (result,) = process_pending(settings, "profile")
        assert api.requests_to("/works")
    assert result.done == [1, 3], result
    assert list(result.failed) == [2] and "A5999999999" in result.failed[2]
    assert result.valid > 0 and result.quarantined == 0
    lake = DataLayout.of(settings).lake
    assert lake.files("source=openalex-api/entity=authors/*/*.parquet")
    works = lake.files("source=openalex-api/entity=works/*/*.parquet")
    landed = duckdb.sql(f"select count(distinct work_id) from read_parquet({works!r})").fetchall()[0][0]
    assert landed >= 9  # Liu Ziyin's nine works (seed 002) at least


def test_transient_and_operator_errors_are_told_apart():
    from pipeline.errors import PipelineError, TransientError

    assert processing.is_transient(TransientError("429"))
    assert processing.is_transient(ConnectionError("reset"))
    assert not processing.is_transient(PipelineError("bad spec"))
