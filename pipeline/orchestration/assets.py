"""The assets that connect the DAGs.

* ``lake_<source>``: a batch of that source landed in the lake (extra: figures and the
  landing report). ``build_warehouse`` is scheduled on any of them.
* ``warehouse``: a warehouse was built, gated and published (extra: row counts).
* ``profile_requests_doorbell`` / ``platform_events_doorbell``: a message on the
  Redis requests / events channel (an ``AssetWatcher`` on a ``redis+pubsub``
  ``MessageQueueTrigger``). Pub/sub is lossy, so a message is only a doorbell; the
  request log is the truth and ``sweep_requests`` catches what a lost doorbell missed.
"""

from __future__ import annotations

from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
from airflow.sdk import Asset, AssetWatcher

from pipeline.config import load_settings

LAKE_OPENALEX_API = Asset(name="lake_openalex_api")
LAKE_OPENALEX_SNAPSHOT = Asset(name="lake_openalex_snapshot")
LAKE_PLATFORM_EVENTS = Asset(name="lake_platform_events")
LAKE_ASSETS = (LAKE_OPENALEX_API, LAKE_OPENALEX_SNAPSHOT, LAKE_PLATFORM_EVENTS)
WAREHOUSE = Asset(name="warehouse")

REDIS_CONN_ID = "redis_default"  # AIRFLOW_CONN_REDIS_DEFAULT=redis://127.0.0.1:6379/0


def doorbell_asset(name: str, channel: str) -> Asset:
    """An asset whose event is a message on a Redis pub/sub channel."""
    trigger = MessageQueueTrigger(
        scheme="redis+pubsub", channels=[channel], redis_conn_id=REDIS_CONN_ID, poll_interval=1
    )
    return Asset(
        name=name,
        uri=f"redis+pubsub://redis/{channel}",
        watchers=[AssetWatcher(name=f"{name}_watcher", trigger=trigger)],
    )


_requests = load_settings().requests
PROFILE_REQUESTS_DOORBELL = doorbell_asset("profile_requests_doorbell", _requests.requests_channel)
PLATFORM_EVENTS_DOORBELL = doorbell_asset("platform_events_doorbell", _requests.events_channel)
