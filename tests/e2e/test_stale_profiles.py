"""refresh_stale_profiles' rule on the published sample: an author's data is as new as their
newest landed author record or finished refresh; older than N days files a request."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

from cli_helpers import query

from pipeline.config import Settings
from pipeline.requests.process import file_stale_requests, open_log, stale_authors

SAMPLE_AUTHORS = {
    "A5010000001",
    "A5020000002",
    "A5030000003",
    "A5040000004",
    "A5012345678",
    "A5030000011",
    "A5030000012",
    "A5020000011",
    "A5010000011",
}


def test_authors_older_than_n_days_are_requested_oldest_first_and_capped(sample_run, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(sample_run, data_dir, symlinks=True)
    settings = Settings(data_dir=data_dir)
    published = {row[0] for row in query(data_dir / "warehouse.duckdb", "select author_id from profiles")}
    with_record = {
        row[0]
        for row in query(data_dir / "warehouse.duckdb", "select author_id from profiles where display_name is not null")
    }
    today = datetime.now(UTC).date()  # the sample was landed today

    assert stale_authors(settings, today=today) == []  # fresh
    assert stale_authors(settings, today=today + timedelta(days=7)) == []  # exactly N days old is not stale
    later = today + timedelta(days=8)
    stale = stale_authors(settings, today=later)
    # the nine authors with a record of their own in the sample; co-authors only named on works are not crawled
    assert stale == sorted(SAMPLE_AUTHORS)  # all landed the same day: ties in id order
    assert set(stale) <= with_record and set(stale) < published

    settings.requests.stale_max_per_run = 2
    assert len(stale_authors(settings, today=later)) == 2

    settings.requests.stale_after_days = 30
    assert stale_authors(settings, today=later) == []

    settings.requests.stale_after_days = 7
    filed = file_stale_requests(settings, today=later, ring=False)
    assert len(filed) == 2
    assert {r.key for r in open_log(settings).list(status="pending")} <= published
    assert file_stale_requests(settings, today=later, ring=False) == []  # already pending: not filed twice
