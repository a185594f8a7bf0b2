"""
### Snapshot → warehouse

Lands an OpenAlex snapshot (and platform events) into the Parquet lake, then
builds, gates and publishes the DuckDB warehouse.

* **land**: validates every record with pydantic, quarantines the rest, runs the
  landing quality gate, publishes the batch atomically; emits the `lake` asset.
* **build_warehouse**: runs `warehouse/**/*.sql`, gates the tables with Great
  Expectations and swaps the new warehouse in; emits the `warehouse` asset.

Params: `sources` (list of `sample`, `openalex-snapshot:PATH`, `platform-events:PATH`)
and `data_dir` (default: `PIPELINE_DATA_DIR`, else `./data`). Tasks pass paths, not data.
The same functions run from the CLI: `pipeline run --source ...`.
"""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import Asset, Param, dag, task

LAKE = Asset(name="lake")
WAREHOUSE = Asset(name="warehouse")


@dag(
    doc_md=__doc__,
    schedule=None,
    catchup=False,
    tags=["scholarly", "openalex", "warehouse"],
    params={
        "sources": Param(["sample"], type="array", description="source specs to land"),
        "data_dir": Param(None, type=["null", "string"], description="pipeline data dir (lake + warehouse)"),
    },
    default_args={"retries": 2, "retry_delay": timedelta(minutes=1), "retry_exponential_backoff": 2.0},
)
def snapshot_to_warehouse():
    @task(outlets=[LAKE])
    def land(params=None, outlet_events=None) -> str:
        from pipeline.run import collect_inputs, land_sources
        from pipeline.storage.layout import DataLayout

        settings = _settings(params)
        report = land_sources(collect_inputs(list(params["sources"])), settings)
        path = DataLayout.of(settings).report_path("landing")
        outlet_events[LAKE].extra = {
            "report": str(path),
            "records": report.total("records"),
            "valid": report.total("valid"),
            "quarantined": report.total("quarantined"),
        }
        return str(path)

    @task(outlets=[WAREHOUSE])
    def build_warehouse(landing_report: str, params=None, outlet_events=None) -> str:
        from pipeline.run import build

        settings = _settings(params)
        report = build(settings)
        outlet_events[WAREHOUSE].extra = {
            "warehouse": str(report.warehouse_path),
            "as_of": str(report.as_of),
            "up_to_date": report.up_to_date,
            "row_counts": report.row_counts,
        }
        return str(report.warehouse_path)

    build_warehouse(land())


def _settings(params):
    from pipeline.config import load_settings

    return load_settings((params or {}).get("data_dir"))


snapshot_to_warehouse()
