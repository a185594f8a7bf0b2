"""The build fingerprint changes exactly when the warehouse could change."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
from data_paths import history_dir, lake_dir

from pipeline.config import GraphSettings
from pipeline.warehouse.fingerprint import build_fingerprint

DAY = date(2026, 1, 1)


def _write(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({"x": [1]}), path)


def test_fingerprint_follows_inputs_settings_and_date(settings):
    base = build_fingerprint(settings, DAY)
    assert build_fingerprint(settings, DAY) == base

    # the build's own trust-history partition for this date does not count
    _write(history_dir(settings) / "trust_snapshots" / "as_of=2026-01-01" / "part-0.parquet")
    assert build_fingerprint(settings, DAY) == base

    assert build_fingerprint(settings, date(2026, 1, 2)) != base
    stricter = settings.model_copy(update={"graph": GraphSettings(close_min_shared_works=3)})
    assert build_fingerprint(stricter, DAY) != base

    _write(lake_dir(settings) / "source=s" / "entity=works" / "ingest_date=2026-01-01" / "part-1.parquet")
    assert build_fingerprint(settings, DAY) != base
