"""Helpers of the OpenAlex API source tests: fetch and land, read the lake, check for leaks."""

from __future__ import annotations

from pathlib import Path

import duckdb
from fakes.openalex_api import FakeOpenAlexAPI

from pipeline.config import Settings
from pipeline.landing.land import LandingReport, land
from pipeline.run import collect_inputs
from pipeline.storage.layout import DataLayout

KEY = "oa-test-key-7f3c9a1e5b"
LIU_ZIYIN = "A5020000002"  # seed 002: 9 works in the sample
SOMPOLINSKY, RETIRED_ID = "A5012345678", "A5099000001"  # the sample's merged id
PRIEM = "A5023888391"  # recorded author; the recorded work W2741809807 has 9 authorships
READ_TIMEOUT = 2.0  # the fixtures' OPENALEX_READ_TIMEOUT: a good answer never times out on a busy machine


def fetch_and_land(settings: Settings, spec: str = f"openalex-api:authors={LIU_ZIYIN}") -> LandingReport:
    inputs = collect_inputs([spec], settings)
    return land(inputs, settings, ingest_date=settings.as_of)


def lake_rows(settings: Settings, entity: str) -> list[dict]:
    lake = DataLayout.of(settings).lake.root
    files = sorted(Path(lake).glob(f"source=openalex-api/entity={entity}/ingest_date=*/*.parquet"))
    if not files:
        return []
    con = duckdb.connect()
    relation = con.read_parquet([str(f) for f in files])
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def expected_works(api: FakeOpenAlexAPI, author_id: str) -> dict[str, str]:
    """work id -> updated_date of every work the fake lists for the author."""
    ids = {author_id, *(old for old, new in api.merged.items() if new == author_id)}
    return {
        w["id"].rsplit("/", 1)[-1]: w["updated_date"]
        for w in api.works.values()
        if any((a["author"].get("id") or "").rsplit("/", 1)[-1] in ids for a in w["authorships"])
    }


def assert_no_duplicates_nothing_lost(settings: Settings, expected: dict[str, str]) -> None:
    works = lake_rows(settings, "works")
    ids = [w["work_id"] for w in works]
    assert sorted(ids) == sorted(expected), "lost or duplicated works"
    assert {w["work_id"]: w["updated_date"].isoformat() for w in works} == expected


def assert_key_never_leaks(settings: Settings, *texts: str) -> None:
    """The key is in no file under the data dir (raw, meta, state, lake, reports) nor in any text."""
    leaked = [p for p in Path(settings.data_dir).rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert not leaked, leaked
    for text in texts:
        assert KEY not in text
