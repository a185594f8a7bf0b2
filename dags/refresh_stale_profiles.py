"""
### Refresh stale profiles

Daily: files a profile request for every published author whose data is older than
`PIPELINE_REQUESTS__STALE_AFTER_DAYS` (default 7; param `older_than_days`), at most
`PIPELINE_REQUESTS__STALE_MAX_PER_RUN` per day, oldest first, and rings the doorbell so
`profile_requests` works them off (the sweep would otherwise).

CLI twin: `pipeline request stale`.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import Param, dag

from pipeline.orchestration.tasks import DEFAULT_ARGS, stale_tasks


@dag(
    doc_md=__doc__,
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["scholarly", "requests"],
    default_args=DEFAULT_ARGS,
    params={
        "older_than_days": Param(None, type=["null", "integer"], minimum=0, description="override the setting"),
        "data_dir": Param(None, type=["null", "string"], description="pipeline data dir (default: PIPELINE_DATA_DIR)"),
    },
)
def refresh_stale_profiles():
    stale_tasks()


refresh_stale_profiles()
