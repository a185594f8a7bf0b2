"""
### Platform events

Folds platform events (`author.claimed`, `author.followed`, `author.unfollowed`,
`author.verified`) into the lake. Scheduled on the `platform_events_doorbell` asset,
fired by a message on the Redis events channel (`scholarly.events`).

As for profile requests, the message is only a doorbell: events are filed in the
durable request log first (`pipeline request event TYPE AUTHOR …`, or an app writing
the JSON envelope; an envelope inside the message is filed too). Each batch is written
to `DIR/inbox/events/` and landed as the platform source; events are de-duplicated by
`event_id`. Emits `lake_platform_events`, which starts `build_warehouse`.

CLI twin: `pipeline request process --kind event`.
"""

from __future__ import annotations

from airflow.sdk import dag

from pipeline.orchestration.assets import LAKE_PLATFORM_EVENTS, PLATFORM_EVENTS_DOORBELL
from pipeline.orchestration.tasks import DEFAULT_ARGS, request_tasks


@dag(
    doc_md=__doc__,
    schedule=[PLATFORM_EVENTS_DOORBELL],
    catchup=False,
    tags=["scholarly", "requests", "platform"],
    default_args=DEFAULT_ARGS,
)
def platform_events():
    request_tasks("event", LAKE_PLATFORM_EVENTS, doorbell=True)


platform_events()
