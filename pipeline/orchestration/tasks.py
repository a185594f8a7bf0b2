"""Task bodies the DAGs wire together. Each calls one ``pipeline`` function (the same one
a CLI command calls), passes only small JSON (paths, ids, figures) through XCom, and
logs its figures in one line.

Failures: a :class:`~pipeline.errors.PipelineError` that is not transient (a missing
path, a bad spec, a failed quality gate) fails the task at once with its one-line
reason, without retries; anything else (network, rate limit, a crash) is raised as is
and retried by Airflow.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from airflow.sdk import Asset, task
from airflow.sdk.exceptions import AirflowFailException

log = logging.getLogger("pipeline.dags")

OPENALEX_POOL = os.environ.get("PIPELINE_OPENALEX_POOL", "openalex_api")  # caps concurrent API calls

DEFAULT_ARGS = {
    "retries": 2,
    "retry_delay": timedelta(seconds=30),
    "retry_exponential_backoff": 2.0,  # a float multiplier in Airflow 3.3
    "max_retry_delay": timedelta(minutes=10),
}


def settings(params: dict | None = None):
    """The pipeline's settings in a task; an s3:// lake may take its credentials from an Airflow
    Connection (``PIPELINE_S3__CONN_ID``, type aws) for whatever the environment leaves unset."""
    from pipeline.config import load_settings

    s = load_settings((params or {}).get("data_dir"))
    if s.s3.conn_id:
        s = s.model_copy(update={"s3": s3_from_connection(s.s3)})
    return s


def s3_from_connection(s3):
    """Fill ``s3`` (``Settings.s3``) from the Airflow Connection it names."""
    from airflow.sdk import BaseHook

    from pipeline.storage.object_store import s3_settings_from_connection

    conn = BaseHook.get_connection(s3.conn_id)
    return s3_settings_from_connection(conn.login, conn.password, conn.extra_dejson, s3)


def call(fn: Callable[..., Any], *args, **kwargs) -> Any:
    """Run a pipeline function; operator-fixable errors fail now instead of being retried."""
    from pipeline.errors import PipelineError
    from pipeline.requests.process import is_transient

    try:
        return fn(*args, **kwargs)
    except PipelineError as exc:
        if is_transient(exc):
            raise
        raise AirflowFailException(" ".join(str(exc).split())) from None


# -- the request log ----------------------------------------------------------------------------


def request_tasks(kind: str, lake: Asset, *, doorbell: bool) -> None:
    """file doorbell payloads (optional) -> claim pending requests -> one mapped task per batch
    -> fail the run if any request failed for good (after every batch has run)."""

    @task
    def claim(triggering_asset_events=None, params=None) -> list[dict]:
        from pipeline.requests.doorbell import doorbell_payloads
        from pipeline.requests.process import claim_batches, file_payloads

        s = settings(params)
        if doorbell:
            call(file_payloads, s, doorbell_payloads(triggering_asset_events))
        return call(claim_batches, s, kind)

    pool = {"pool": OPENALEX_POOL, "pool_slots": 1} if kind == "profile" else {}

    @task(outlets=[lake], **pool)
    def process(batch: dict, params=None, outlet_events=None) -> dict:
        from pipeline.requests.process import process_batch

        result = call(process_batch, settings(params), batch)
        outlet_events[lake].extra = {
            "kind": kind,
            "requests": result.requests,
            "done": len(result.done),
            "records": result.records,
            "valid": result.valid,
            "quarantined": result.quarantined,
            "report": result.landing_report,
        }
        return result.to_dict()

    @task(trigger_rule="all_done")
    def check(results=None) -> int:
        results = [r for r in (results or []) if r]
        failed = {rid: why for r in results for rid, why in r["failed"].items()}
        done = sum(len(r["done"]) for r in results)
        log.info(
            "%s requests: %d done, %d failed, %d to retry",
            kind,
            done,
            len(failed),
            sum(len(r["retry_later"]) for r in results),
        )
        if failed:
            reasons = "; ".join(f"#{rid}: {why}" for rid, why in sorted(failed.items())[:5])
            raise AirflowFailException(f"{len(failed)} {kind} request(s) failed for good: {reasons}")
        return done

    check(process.expand(batch=claim()))


# -- the bulk path --------------------------------------------------------------------------------


def snapshot_tasks(lake: Asset) -> None:
    """plan the snapshot's parts into batches -> land each batch in its own mapped task (spread over
    the workers, each committing its parts to the shared lake on its own) -> one ``lake`` asset event
    once every batch has landed, so ``build_warehouse`` builds once, from all of them."""

    @task
    def plan(params=None) -> list[list[str]]:
        from pipeline.run import plan_inputs

        return call(plan_inputs, [f"openalex-snapshot:{params['path']}"], int(params["parts_per_task"]))

    @task
    def land_parts(keys: list[str], params=None) -> dict:
        from pipeline.run import land_selected

        s = settings(params)
        report = call(land_selected, [f"openalex-snapshot:{params['path']}"], keys, s)
        log.info("landed %d part(s): %s", len(keys), _landing_line(report))
        return {**_landing_extra(report, s), "parts": len(keys)}

    @task(outlets=[lake])
    def landed(results=None, outlet_events=None) -> dict:
        results = [r for r in (results or []) if r]
        total = {key: sum(r[key] for r in results) for key in ("parts", "records", "valid", "quarantined")}
        outlet_events[lake].extra = {**total, "batches": len(results)}
        log.info("all %d batch(es) landed: %s", len(results), total)
        return total

    landed(land_parts.expand(keys=plan()))


# -- the warehouse --------------------------------------------------------------------------------


def build_tasks(warehouse: Asset) -> None:
    @task(outlets=[warehouse])
    def build(triggering_asset_events=None, params=None, outlet_events=None) -> str:
        from pipeline.run import build as build_warehouse

        events = {
            str(getattr(asset, "name", asset)): len(list(evs)) for asset, evs in (triggering_asset_events or {}).items()
        }
        log.info("building after %s", events or "a manual trigger")
        report = call(build_warehouse, settings(params))
        outlet_events[warehouse].extra = {
            "warehouse": str(report.warehouse_path),
            "as_of": str(report.as_of),
            "up_to_date": report.up_to_date,
            "row_counts": report.row_counts,
            "triggered_by": events,
        }
        log.info("warehouse %s: %s", "up to date" if report.up_to_date else "built and published", report.row_counts)
        return str(report.warehouse_path)

    build()


def stale_tasks() -> None:
    @task
    def file_stale(params=None) -> list[int]:
        from pipeline.requests.process import file_stale_requests

        s = settings(params)
        if params and params.get("older_than_days") is not None:
            s.requests.stale_after_days = int(params["older_than_days"])
        return call(file_stale_requests, s)

    file_stale()


def _landing_extra(report, s) -> dict:
    from pipeline.storage.layout import DataLayout

    return {
        "report": str(DataLayout.of(s).report_path("landing")),
        "records": report.total("records"),
        "valid": report.total("valid"),
        "quarantined": report.total("quarantined"),
    }


def _landing_line(report) -> str:
    return (
        f"records {report.total('records')}, valid {report.total('valid')}, quarantined {report.total('quarantined')}"
    )
