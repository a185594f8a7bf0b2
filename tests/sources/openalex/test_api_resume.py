"""Killed fetches resume, re-runs are incremental, landed raw responses replay
without the network, and the warehouse built from the API holds each work once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openalex_api_helpers import (
    KEY,
    LIU_ZIYIN,
    RETIRED_ID,
    SOMPOLINSKY,
    assert_key_never_leaks,
    assert_no_duplicates_nothing_lost,
    expected_works,
    fetch_and_land,
    lake_rows,
)

from pipeline.config import Settings
from pipeline.landing.land import land
from pipeline.run import collect_inputs
from pipeline.sources.raw import RawStore
from pipeline.sources.state import SourceState, last_fetched

REPO = Path(__file__).resolve().parents[3]


def test_killed_between_landing_a_page_and_its_checkpoint_resumes_without_duplicates(
    settings, api_env, monkeypatch, caplog
):
    real_checkpoint = SourceState.checkpoint
    calls = {"n": 0}

    def killed_on_the_second_page(self, state, listing, **values):
        calls["n"] += 1
        if calls["n"] == 3:  # 1: listing started, 2: page 1, 3: page 2 (already landed raw)
            raise KeyboardInterrupt("killed")
        return real_checkpoint(self, state, listing, **values)

    monkeypatch.setattr(SourceState, "checkpoint", killed_on_the_second_page)
    with pytest.raises(KeyboardInterrupt):
        fetch_and_land(settings)
    assert lake_rows(settings, "works") == []  # nothing reached the lake
    monkeypatch.setattr(SourceState, "checkpoint", real_checkpoint)

    api_env.requests.clear()
    fetch_and_land(settings)
    cursors = [args["cursor"] for _, args in api_env.requests_to("/works")]
    assert cursors[0] != "*" and len(cursors) == 2  # page 2 again (same answer, one raw file), then page 3
    assert_no_duplicates_nothing_lost(settings, expected_works(api_env, LIU_ZIYIN))
    assert_key_never_leaks(settings, caplog.text)


def test_a_process_killed_midway_resumes_with_the_same_records(settings, api_env, tmp_path):
    """SIGKILL a real fetch while it waits for its third page, then run it again."""
    api_env.fail("pass", path="/works", times=2)  # two pages answer normally, the third hangs
    api_env.fail("timeout", path="/works", times=1, delay=30)
    env = {**os.environ, "OPENALEX_READ_TIMEOUT": "60", "PYTHONPATH": str(REPO)}
    script = (
        "from pipeline.config import Settings; from pipeline.run import collect_inputs;"
        f"collect_inputs(['openalex-api:authors={LIU_ZIYIN}'], Settings(data_dir={str(settings.data_dir)!r}))"
    )
    process = subprocess.Popen([sys.executable, "-c", script], env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 20
        while len(api_env.requests_to("/works")) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(api_env.requests_to("/works")) == 3, "the fetch never reached its third page"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    checkpoint = SourceState.of(settings).load(LIU_ZIYIN).checkpoints["works"]
    assert checkpoint["pages"] == 2

    api_env.requests.clear()
    fetch_and_land(settings)
    assert [args["cursor"] for _, args in api_env.requests_to("/works")] == [checkpoint["cursor"]]
    assert_no_duplicates_nothing_lost(settings, expected_works(api_env, LIU_ZIYIN))
    assert_key_never_leaks(settings)


def test_a_re_run_fetches_only_what_changed(settings, api_env, caplog):
    fetch_and_land(settings)
    mark = SourceState.of(settings).load(LIU_ZIYIN).high_water
    assert mark == max(expected_works(api_env, LIU_ZIYIN).values())

    api_env.update_work("W4200000205", updated_date="2026-11-30T08:00:00.000000", cited_by_count=99)
    api_env.requests.clear()
    fetch_and_land(settings)
    (listing,) = api_env.requests_to("/works")
    assert listing[1]["filter"] == f"author.id:{LIU_ZIYIN},from_updated_date:{mark[:19]}"
    works = lake_rows(settings, "works")
    second = [w for w in works if w["updated_date"].isoformat() >= mark]
    # the changed work, plus the one at the mark itself ("from" is inclusive): nothing else
    assert sorted(w["work_id"] for w in second) == ["W4200000205", "W4200000209"]
    assert SourceState.of(settings).load(LIU_ZIYIN).high_water == "2026-11-30T08:00:00.000000"
    assert_key_never_leaks(settings, caplog.text)


def test_replay_rebuilds_every_input_without_the_network(settings, api_env, tmp_path):
    api_env.truncate_authors_over = 2
    fetch_and_land(settings, f"openalex-api:authors={LIU_ZIYIN},{RETIRED_ID}")
    api_env.stop()  # no network from here on

    replayed = Settings(data_dir=tmp_path / "elsewhere", as_of=settings.as_of)
    for spec in (f"replay:{settings.data_dir}", f"replay:{settings.data_dir / 'raw'}"):
        inputs = collect_inputs([spec], replayed)
        land(inputs, replayed, ingest_date=settings.as_of)
    for entity in ("works", "authors", "merged_authors"):
        original = sorted(_comparable(r) for r in lake_rows(settings, entity))
        assert sorted(_comparable(r) for r in lake_rows(replayed, entity)) == original
    # both replay forms are the same inputs (identity = path inside the raw dir): landed once
    assert len(lake_rows(replayed, "works")) == len(lake_rows(settings, "works"))


def test_the_warehouse_built_from_the_api_has_each_work_once_and_merged_ids_resolved(settings, api_env):
    from pipeline.run import build, land_sources

    api_env.truncate_authors_over = 2
    api_env.fail("500", path="/works", times=1)
    land_sources(collect_inputs([f"openalex-api:authors={LIU_ZIYIN},{RETIRED_ID}"], settings), settings)
    api_env.update_work("W4200000304", updated_date="2026-11-30T08:00:00.000000", cited_by_count=7)
    land_sources(collect_inputs([f"openalex-api:authors={RETIRED_ID}"], settings), settings)
    report = build(settings)
    import duckdb

    con = duckdb.connect(str(report.warehouse_path), read_only=True)
    works = dict(con.sql("select work_id, cited_by_count from works").fetchall())
    expected = {**expected_works(api_env, LIU_ZIYIN), **expected_works(api_env, SOMPOLINSKY)}
    assert sorted(works) == sorted(expected)  # once each
    assert works["W4200000304"] == 7  # the newest record wins
    authors = {a for (a,) in con.sql("select distinct author_id from authorships").fetchall()}
    assert RETIRED_ID not in authors and SOMPOLINSKY in authors
    ((listed,),) = con.sql("select count(*) from authorships where work_id = 'W4200000203'").fetchall()
    assert listed == 3  # the whole author list, though the listing truncated it to 2
    assert_key_never_leaks(settings)


def test_state_can_be_listed_and_reset(settings, api_env):
    fetch_and_land(settings)
    store = SourceState.of(settings)
    assert [s.author_id for s in store.all()] == [LIU_ZIYIN]
    assert set(last_fetched(settings)) == {LIU_ZIYIN}
    assert store.reset(LIU_ZIYIN) and store.all() == []
    api_env.requests.clear()
    fetch_and_land(settings)
    assert "from_updated_date" not in api_env.requests_to("/works")[0][1]["filter"]  # full again
    assert len(RawStore.of(settings).inputs()) >= 4


def _comparable(row: dict) -> tuple:
    return tuple(sorted((k, str(v)) for k, v in row.items() if k not in ("source_file",)))


def test_the_key_is_not_in_the_environment_dump_of_settings():
    from pydantic import SecretStr

    from pipeline.sources.openalex.settings import OpenAlexAPISettings

    shown = repr(OpenAlexAPISettings(api_key=SecretStr(KEY)))
    assert KEY not in shown


def test_a_fetch_lands_only_its_own_authors_responses(settings, api_env):
    fetch_and_land(settings)
    inputs = collect_inputs([f"openalex-api:authors={RETIRED_ID}"], settings)
    assert {i.entity for i in inputs} == {"authors", "works", "merged_authors"}
    assert all(json.loads(i.meta_path.read_text())["author_id"] in (RETIRED_ID, SOMPOLINSKY) for i in inputs)


def test_a_listing_stopped_by_the_page_cap_goes_on_next_run(settings, api_env, monkeypatch):
    monkeypatch.setenv("OPENALEX_MAX_PAGES", "2")
    fetch_and_land(settings)
    state = SourceState.of(settings).load(LIU_ZIYIN)
    assert state.high_water is None and state.checkpoints["works"]["pages"] == 2  # not finished
    fetch_and_land(settings)
    assert SourceState.of(settings).load(LIU_ZIYIN).checkpoints == {}
    assert_no_duplicates_nothing_lost(settings, expected_works(api_env, LIU_ZIYIN))
