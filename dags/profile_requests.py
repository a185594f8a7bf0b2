"""
### Profile requests

Refreshes researcher profiles that apps asked for. Scheduled on the
`profile_requests_doorbell` asset, which a Redis pub/sub `AssetWatcher` fires when
a message arrives on the requests channel (`scholarly.requests`).

The message is only a doorbell: every request is first filed in the durable request
log (`pipeline request add A…|orcid:…`, or any app writing the JSON envelope). A
message that carries a full envelope is filed too. Then:

* **claim**: leases all pending profile requests, in batches;
* **process** (one mapped task per batch, in the `openalex_api` pool): fetches each
  author and their works from the OpenAlex API, lands them, and only then marks the
  requests done; emits `lake_openalex_api`, which starts `build_warehouse`;
* **check**: fails the run, with the reasons, if any request failed for good.

CLI twin: `pipeline request process --kind profile`.
"""

from __future__ import annotations

from airflow.sdk import dag

from pipeline.orchestration.assets import LAKE_OPENALEX_API, PROFILE_REQUESTS_DOORBELL
from pipeline.orchestration.tasks import DEFAULT_ARGS, request_tasks


@dag(
    doc_md=__doc__,
    schedule=[PROFILE_REQUESTS_DOORBELL],
    catchup=False,
    tags=["scholarly", "requests", "openalex"],
    default_args=DEFAULT_ARGS,
)
def profile_requests():
    request_tasks("profile", LAKE_OPENALEX_API, doorbell=True)


profile_requests()
