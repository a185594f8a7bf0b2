"""The durable request log: idempotent filing, exclusive leases across processes,
lease expiry, and nothing is done until ``mark_done``."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path

import pytest

from pipeline.requests.envelope import event_request, profile_request
from pipeline.requests.log import RequestLog, RequestLogError, request_log_path


class FakeClock:
    def __init__(self, start: float = 1_767_225_600.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def log(tmp_path: Path) -> RequestLog:
    return RequestLog(request_log_path(tmp_path / "data"))


def test_log_lives_in_the_data_dir_and_uses_wal(tmp_path: Path, log: RequestLog):
    assert log.path == tmp_path / "data" / "requests" / "requests.sqlite"
    with sqlite3.connect(log.path) as con:
        assert con.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_adding_the_same_pending_target_twice_is_one_request(log: RequestLog):
    first = log.add(profile_request("A5023888391", requested_by="app-x"))
    again = log.add(profile_request("https://openalex.org/a5023888391", requested_by="app-y"))
    other = log.add(profile_request("orcid:0000-0002-1825-0097"))
    assert first.new and not again.new and again.id == first.id
    assert other.new and other.id != first.id
    assert log.pending_count("profile") == 2
    assert [r.key for r in log.list(status="pending")] == ["A5023888391", "orcid:0000-0002-1825-0097"]


def test_a_target_asked_for_again_after_it_was_claimed_is_a_new_request(log: RequestLog):
    first = log.add(profile_request("A1"))
    [claimed] = log.claim_pending("profile", limit=10)
    assert claimed.id == first.id
    second = log.add(profile_request("A1"))  # the running refresh may have started before this ask
    assert second.new and second.id != first.id


def test_events_are_filed_once_per_event_id_for_good(log: RequestLog):
    event = event_request("author.followed", "A1", event_id="e-1", actor_id="u-1")
    first = log.add(event)
    [claimed] = log.claim_pending("event")
    log.mark_done([claimed.id])
    replay = log.add(event)
    assert first.new and not replay.new and replay.id == first.id
    assert log.pending_count("event") == 0
    assert log.get(first.id).parsed() == event


def test_requests_are_done_only_after_mark_done(log: RequestLog):
    ids = [log.add(profile_request(f"A{n}")).id for n in range(1, 4)]
    batch = log.claim_pending("profile", limit=2, lease_seconds=60)
    assert [r.id for r in batch] == ids[:2]
    assert all(r.status == "claimed" and r.attempts == 1 for r in batch)
    assert log.list(status="done") == []
    assert log.pending_count("profile") == 1  # claimed ones are not pending while their lease runs
    assert log.mark_done([r.id for r in batch]) == 2
    assert [r.id for r in log.list(status="done")] == ids[:2]
    assert log.mark_done([r.id for r in batch]) == 0  # idempotent
    assert log.counts()["profile"] == {"pending": 1, "claimed": 0, "done": 2, "failed": 0}


def test_kinds_are_claimed_separately(log: RequestLog):
    log.add(profile_request("A1"))
    log.add(event_request("author.claimed", "A1", event_id="e-1"))
    assert [r.kind for r in log.claim_pending("event")] == ["event"]
    assert [r.kind for r in log.claim_pending("profile")] == ["profile"]
    assert log.claim_pending("profile") == []


def test_an_expired_lease_makes_the_request_claimable_again(tmp_path: Path):
    clock = FakeClock()
    log = RequestLog(tmp_path / "log.sqlite", clock=clock)
    request_id = log.add(profile_request("A1")).id
    [first] = log.claim_pending("profile", lease_seconds=30, owner="runner-1")
    assert first.lease_owner == "runner-1"
    clock.now += 29
    assert log.claim_pending("profile", owner="runner-2") == []
    assert log.pending_count() == 0
    clock.now += 2  # runner-1 died: its lease ran out
    assert log.pending_count() == 1
    [second] = log.claim_pending("profile", owner="runner-2")
    assert second.id == request_id and second.attempts == 2 and second.lease_owner == "runner-2"


def test_a_lease_that_keeps_expiring_ends_as_failed(tmp_path: Path):
    clock = FakeClock()
    log = RequestLog(tmp_path / "log.sqlite", max_attempts=2, clock=clock)
    request_id = log.add(profile_request("A1")).id
    for _ in range(2):
        assert len(log.claim_pending("profile", lease_seconds=10)) == 1
        clock.now += 11
    assert log.claim_pending("profile") == []
    failed = log.get(request_id)
    assert failed.status == "failed" and "lease expired" in failed.last_error


def test_failures_are_retried_until_attempts_run_out(tmp_path: Path):
    log = RequestLog(tmp_path / "log.sqlite", max_attempts=2)
    request_id = log.add(profile_request("A1")).id
    log.claim_pending("profile")
    assert log.mark_failed(request_id, "HTTP 503 from OpenAlex") == "pending"
    [again] = log.claim_pending("profile")
    assert again.attempts == 2 and again.last_error == "HTTP 503 from OpenAlex"
    assert log.mark_failed(request_id, "HTTP 503 again") == "failed"
    assert log.claim_pending("profile") == []
    assert log.get(request_id).status == "failed"
    assert log.mark_failed(log.add(profile_request("A2")).id, "bad id", retry=False) == "failed"
    with pytest.raises(RequestLogError, match="#999"):
        log.mark_failed(999, "x")


def test_a_failed_request_with_a_newer_pending_twin_is_not_duplicated(log: RequestLog):
    first = log.add(profile_request("A1")).id
    log.claim_pending("profile")
    twin = log.add(profile_request("A1")).id
    assert log.mark_failed(first, "timeout") == "failed"
    assert f"#{twin}" in log.get(first).last_error
    assert [r.id for r in log.list(status="pending")] == [twin]


def test_release_gives_claims_back_without_spending_an_attempt(log: RequestLog):
    log.add(profile_request("A1"))
    [claimed] = log.claim_pending("profile")
    assert log.release([claimed.id]) == 1
    [again] = log.claim_pending("profile")
    assert again.id == claimed.id and again.attempts == 1


def test_unknown_kinds_and_statuses_are_refused(log: RequestLog):
    with pytest.raises(RequestLogError, match="unknown request kind"):
        log.claim_pending("paper")
    with pytest.raises(RequestLogError, match="unknown request status"):
        log.list(status="running")


def _claim_worker(path: str, start, results) -> None:
    log = RequestLog(Path(path))
    start.wait(timeout=30)  # a barrier: every worker is imported and ready, so they really race
    mine = []
    while batch := log.claim_pending("profile", limit=3, lease_seconds=600):
        mine.extend(r.id for r in batch)
        time.sleep(0.002)  # "process" the batch; lets the other workers in
    results.put(mine)


def test_two_processes_claiming_at_once_never_take_the_same_request(tmp_path: Path):
    path = tmp_path / "log.sqlite"
    log = RequestLog(path)
    ids = {log.add(profile_request(f"A{n}")).id for n in range(1, 301)}
    ctx = multiprocessing.get_context("spawn")  # fresh interpreters: no inherited SQLite state
    start, results = ctx.Barrier(3), ctx.Queue()
    workers = [ctx.Process(target=_claim_worker, args=(str(path), start, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    claimed = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    flat = [request_id for batch in claimed for request_id in batch]
    assert len(flat) == len(set(flat)), "a request was claimed twice"
    assert set(flat) == ids
    assert sum(1 for batch in claimed if batch) >= 2, f"only one worker got work: {[len(b) for b in claimed]}"
    assert log.pending_count() == 0


def _add_worker(path: str, start, results) -> None:
    log = RequestLog(Path(path))
    start.wait(timeout=30)
    results.put([log.add(profile_request(f"A{n}")).id for n in range(1, 51)])


def test_two_processes_filing_the_same_targets_file_each_once(tmp_path: Path):
    path = tmp_path / "log.sqlite"
    RequestLog(path)
    ctx = multiprocessing.get_context("spawn")
    start, results = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_add_worker, args=(str(path), start, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    first, second = (results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=30)
    assert first == second  # both saw the same request id per target
    assert RequestLog(path).pending_count() == 50
