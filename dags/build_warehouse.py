"""
### Build the warehouse

Scheduled on the lake assets (`lake_openalex_api`, `lake_openalex_snapshot`,
`lake_platform_events`): whenever a batch lands, it builds the DuckDB warehouse from
the lake, gates every table with Great Expectations, and only then swaps it in and
publishes the Parquet outputs; emits `warehouse` with the row counts. A failed gate
keeps the previous warehouse and fails the task with the failing expectations.

Events that arrive during a build are folded into the next run (`max_active_runs=1`).
CLI twin: `pipeline run` (the build step).
"""

from __future__ import annotations

from airflow.sdk import dag

from pipeline.orchestration.assets import LAKE_ASSETS, WAREHOUSE
from pipeline.orchestration.tasks import DEFAULT_ARGS, build_tasks


def _any_of(assets):
    schedule = assets[0]
    for asset in assets[1:]:
        schedule = schedule | asset
    return schedule


@dag(
    doc_md=__doc__,
    schedule=_any_of(LAKE_ASSETS),
    catchup=False,
    max_active_runs=1,
    tags=["scholarly", "warehouse"],
    default_args=DEFAULT_ARGS,
)
def build_warehouse():
    build_tasks(WAREHOUSE)


build_warehouse()
