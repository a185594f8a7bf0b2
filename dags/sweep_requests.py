"""
### Sweep requests

Every five minutes, works off whatever the request log still holds: requests whose
doorbell was lost (Redis pub/sub keeps nothing for absent listeners), requests whose
runner died (their lease expired), and failed attempts that may be retried. With
this sweep, no request is ever lost, only delayed.

Same tasks as `profile_requests` and `platform_events`, without a doorbell.
CLI twin: `pipeline request process`.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import TaskGroup, dag

from pipeline.orchestration.assets import LAKE_OPENALEX_API, LAKE_PLATFORM_EVENTS
from pipeline.orchestration.tasks import DEFAULT_ARGS, request_tasks


@dag(
    doc_md=__doc__,
    schedule="*/5 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["scholarly", "requests"],
    default_args=DEFAULT_ARGS,
)
def sweep_requests():
    with TaskGroup("events"):
        request_tasks("event", LAKE_PLATFORM_EVENTS, doorbell=False)
    with TaskGroup("profiles"):
        request_tasks("profile", LAKE_OPENALEX_API, doorbell=False)


sweep_requests()
