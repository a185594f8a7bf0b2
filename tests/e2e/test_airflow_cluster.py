"""The e2e harness itself: a real Airflow 3 (api-server, scheduler, dag-processor,
triggerer; LocalExecutor; Postgres metadata DB) runs a DAG when a Redis doorbell
rings, and leaves no process behind."""

from __future__ import annotations

import itertools
import json
import time
import uuid
from pathlib import Path

import pytest
from airflow_cluster import AirflowCluster

DAGS = Path(__file__).resolve().parent / "cluster_dags"


def _record_of(out: Path, run: dict) -> dict:
    return json.loads((out / f"{run['dag_run_id'].replace(':', '_').replace('+', '_')}.json").read_text())


@pytest.mark.e2e
def test_a_redis_doorbell_runs_the_watching_dag(tmp_path, request):
    channel = f"e2e.doorbell.{uuid.uuid4().hex[:12]}"  # unique: concurrent runs never hear each other
    out = tmp_path / "probe-out"
    seq = itertools.count()
    sent: dict[int, float] = {}

    def doorbell(_: int) -> str:
        n = next(seq)
        sent[n] = time.time()
        return json.dumps({"version": 1, "kind": "ping", "seq": n, "sent_at": sent[n]})

    began = time.monotonic()
    with AirflowCluster(
        DAGS, tmp_path, {"DOORBELL_PROBE_CHANNEL": channel, "DOORBELL_PROBE_OUT": str(out)}, request=request
    ) as cluster:
        cluster.wait_for_dag_registered("doorbell_probe")
        cluster.create_pool("openalex_api", 2)
        cluster.unpause("doorbell_probe")

        # The triggerer subscribes a few seconds after the unpause: ring until it is listening.
        first, rung = cluster.ring_until_run("doorbell_probe", channel, doorbell, every=3, timeout=90)
        assert first["run_type"] == "asset_triggered" and first["logical_date"] is None
        first_at = time.monotonic()
        settled = cluster.wait_for_quiet("doorbell_probe", quiet_seconds=4, timeout=60)

        # The watcher is live and idle now: time one more doorbell from publish to the task's output.
        second, rung_again = cluster.ring_until_run(
            "doorbell_probe", channel, doorbell, exclude={r["dag_run_id"] for r in settled}, every=5, timeout=60
        )
        timed_done = time.monotonic()

        # Triggerer down: nobody is subscribed, the doorbell is lost (the durable log is what a sweep reads).
        cluster.stop_component("triggerer")
        assert not cluster.is_running("triggerer")
        assert cluster.publish(channel, doorbell(0)) == 0
        cluster.start_component("triggerer")
        cluster.wait_healthy(components=["triggerer"], timeout=60)
        known = {r["dag_run_id"] for r in cluster.wait_for_quiet("doorbell_probe", quiet_seconds=2)}
        after_restart, _ = cluster.ring_until_run("doorbell_probe", channel, doorbell, exclude=known, timeout=90)
        restarted_at = time.monotonic()

        # A manual run through the REST API (what a sweep DAG trigger looks like): no doorbell payloads.
        cluster.wait_for_quiet("doorbell_probe", quiet_seconds=2)
        manual_id = cluster.trigger("doorbell_probe", {"reason": "sweep"})
        manual = cluster.wait_for_run("doorbell_probe", "success", timeout=60, run_id=manual_id)
        assert manual["run_type"] == "manual" and manual["conf"] == {"reason": "sweep"}
        assert _record_of(out, manual)["payloads"] == []
        pids = set(cluster.started_pids)

    print(f"[doorbell] {len(rung)} doorbell(s) until the first run; {len(settled)} run(s) before the timed one")
    for label, run in (("first", first), ("timed", second)):
        record = _record_of(out, run)
        seqs = sorted(json.loads(p)["seq"] for p in record["payloads"])
        assert seqs and set(seqs) <= set(sent), (record, sent)
        latency = record["finished_at"] - sent[seqs[-1]]
        assert 0 < latency < 60
        print(f"[doorbell] {label} run {run['dag_run_id']}: doorbell #{seqs[-1]} -> task done in {latency:.1f}s")
    assert len(rung_again) == 1, "the live watcher should have heard the first doorbell"
    assert _record_of(out, after_restart)["payloads"]
    print(
        f"[doorbell] cluster up {cluster.timings}; first run {first_at - began:.0f}s after start; "
        f"triggerer restart -> run in {restarted_at - timed_done:.0f}s; whole test {time.monotonic() - began:.0f}s"
    )

    # teardown left nothing behind: no component pid, no process carrying the cluster's marker
    assert pids
    leftovers = cluster.leftover_processes()
    assert not leftovers, [(p.pid, p.cmdline()) for p in leftovers]
