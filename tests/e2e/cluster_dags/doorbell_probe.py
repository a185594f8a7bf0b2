"""
### Doorbell probe (e2e harness only)

Scheduled on an asset watched by a Redis pub/sub `MessageQueueTrigger`. Each run
writes the payloads of the doorbells that triggered it to
`$DOORBELL_PROBE_OUT/<run_id>.json`, so a test can see what arrived and when.
The channel comes from `$DOORBELL_PROBE_CHANNEL`, unique per test.
"""

from __future__ import annotations

import os

from airflow.providers.common.messaging.triggers.msg_queue import MessageQueueTrigger
from airflow.sdk import DAG, Asset, AssetWatcher, task

CHANNEL = os.environ.get("DOORBELL_PROBE_CHANNEL", "doorbell_probe")

doorbell = Asset(
    name="doorbell_probe",
    uri=f"redis+pubsub://localhost/{CHANNEL}",
    watchers=[
        AssetWatcher(
            name="doorbell_probe_redis",
            trigger=MessageQueueTrigger(scheme="redis+pubsub", channels=[CHANNEL], poll_interval=1),
        )
    ],
)

with DAG("doorbell_probe", schedule=[doorbell], catchup=False, doc_md=__doc__, tags=["e2e"]):

    @task(retries=0)
    def record(triggering_asset_events=None, run_id=None):
        import json
        import time
        from pathlib import Path

        from pipeline.storage.atomic import write_text_atomically

        payloads = []
        for _, events in (triggering_asset_events or {}).items():
            for event in events:
                payloads.append((event.extra or {}).get("payload", {}).get("data"))
        out = Path(os.environ["DOORBELL_PROBE_OUT"]) / f"{run_id.replace(':', '_').replace('+', '_')}.json"
        write_text_atomically(out, json.dumps({"run_id": run_id, "payloads": payloads, "finished_at": time.time()}))
        return str(out)

    record()
