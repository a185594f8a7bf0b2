"""The API source and the snapshot reader are twins: a sample author fetched through the
(fake) API lands the same rows as the bundled snapshot holds for them."""

from __future__ import annotations

from pathlib import Path

import duckdb
from fakes.openalex_api import SAMPLE_SNAPSHOT
from openalex_api_helpers import LIU_ZIYIN, fetch_and_land, lake_rows

from pipeline.landing.land import land
from pipeline.run import collect_inputs
from pipeline.storage.layout import DataLayout

PROVENANCE = ("record_source", "source_file", "line_number", "ingest_date")


def _rows(relation) -> list[dict]:
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def _snapshot_rows(settings, entity: str) -> list[dict]:
    lake = Path(DataLayout.of(settings).lake.root)
    files = [str(f) for f in lake.glob(f"source=openalex-snapshot/entity={entity}/ingest_date=*/*.parquet")]
    return _rows(duckdb.connect().read_parquet(files))


def _comparable(rows: list[dict], key: str) -> dict[str, dict]:
    return {r[key]: {k: v for k, v in r.items() if k not in PROVENANCE} for r in rows}


def test_fetching_a_sample_author_yields_the_snapshot_records(settings, api_env):
    fetch_and_land(settings)
    snapshot = collect_inputs([f"openalex-snapshot:{SAMPLE_SNAPSHOT}"], settings)
    land(snapshot, settings, ingest_date=settings.as_of)
    api_works = _comparable(lake_rows(settings, "works"), "work_id")
    newest: dict[str, dict] = {}
    for row in _snapshot_rows(settings, "works"):
        if any(a["author_id"] == LIU_ZIYIN for a in row["authorships"]):
            if row["work_id"] not in newest or row["updated_date"] > newest[row["work_id"]]["updated_date"]:
                newest[row["work_id"]] = row
    assert api_works == _comparable(list(newest.values()), "work_id")
    api_author = _comparable(lake_rows(settings, "authors"), "author_id")
    snapshot_author = {
        k: v for k, v in _comparable(_snapshot_rows(settings, "authors"), "author_id").items() if k == LIU_ZIYIN
    }
    assert api_author == snapshot_author
