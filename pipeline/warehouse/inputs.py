"""Expose the lake to the SQL models as ``raw_*`` views.

One view per landed entity in the catalog (``raw_works`` reads every source's
``entity=works`` files), plus ``raw_quarantine``, ``raw_trust_history`` and ``raw_quality_runs``. Each
view selects the row model's columns (plus the ``ingest_date`` partition). When
an entity has no files yet, an empty table with the contract's types stands in,
so the SQL never depends on what happens to have been landed.
"""

from __future__ import annotations

import duckdb
from pydantic import BaseModel

from pipeline.catalog import CATALOG
from pipeline.schemas.lake import QualityRunRow, QuarantineRow, TrustSnapshotRow
from pipeline.schemas.types import duckdb_columns
from pipeline.sql_text import sql_list
from pipeline.storage.lake import dataset_files
from pipeline.storage.layout import DataLayout
from pipeline.storage.store import Store


def raw_input_names() -> frozenset[str]:
    """Every ``raw_*`` name the models may read."""
    return frozenset(
        {f"raw_{entity}" for entity in CATALOG.datasets()} | {"raw_quarantine", "raw_trust_history", "raw_quality_runs"}
    )


def create_raw_inputs(con: duckdb.DuckDBPyConnection, layout: DataLayout, *, prefix: str = "raw_") -> dict[str, int]:
    """Create every ``raw_*`` view (named ``<prefix><entity>``); return how many files back each one."""
    counts: dict[str, int] = {}
    for entity, model in CATALOG.datasets().items():
        files = dataset_files(layout.lake, entity)
        counts[f"raw_{entity}"] = _view(con, f"{prefix}{entity}", layout.lake, files, model, partitioned=True)
    files = dataset_files(layout.quarantine)
    counts["raw_quarantine"] = _view(
        con, f"{prefix}quarantine", layout.quarantine, files, QuarantineRow, partitioned=True
    )
    files = layout.trust_history_files()
    counts["raw_trust_history"] = _view(con, f"{prefix}trust_history", layout.history, files, TrustSnapshotRow)
    files = layout.quality_run_files()
    counts["raw_quality_runs"] = _view(con, f"{prefix}quality_runs", layout.history, files, QualityRunRow)
    return counts


def create_lake_view(
    con: duckdb.DuckDBPyConnection, view: str, layout: DataLayout, entity: str, files: list[str]
) -> int:
    """A view like ``raw_<entity>`` over only ``files`` of that entity (the incremental build's new files)."""
    return _view(con, view, layout.lake, files, CATALOG.datasets()[entity], partitioned=True)


def _view(
    con: duckdb.DuckDBPyConnection,
    view: str,
    store: Store,
    files: list[str],
    model: type[BaseModel],
    *,
    partitioned: bool = False,
) -> int:
    extra = ", ingest_date" if partitioned else ""
    if not files:
        con.execute(
            f"create or replace temp table {view} ({duckdb_columns(model)}{', ingest_date DATE' * partitioned})"
        )
        return 0
    store.attach(con)
    columns = ", ".join(f'"{name}"' for name in model.model_fields)
    hive = (
        "hive_partitioning = true, hive_types = {'ingest_date': DATE}" if partitioned else "hive_partitioning = false"
    )
    paths = sql_list([store.for_duckdb(f) for f in files])
    con.execute(f"create or replace temp view {view} as select {columns}{extra} from read_parquet({paths}, {hive})")
    return len(files)
