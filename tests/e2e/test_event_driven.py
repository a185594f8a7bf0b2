"""The product's heart, for real: an app files "refresh this researcher" and rings the Redis
doorbell; a real Airflow 3 (api-server, scheduler, dag-processor, triggerer; LocalExecutor;
a fresh metadata database in the machine's PostgreSQL) runs `profile_requests`, which
fetches from the OpenAlex API (a local HTTP server) and lands; the lake asset starts
`build_warehouse`; the profile and a trust snapshot appear, with no one clicking anything.
Then the triggerer is stopped, a second request's doorbell is lost, and `sweep_requests`
processes it anyway. Teardown leaves no process behind."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from airflow_cluster import AirflowCluster, ClusterError
from cli_helpers import PIPELINE, query
from fakes.openalex_api import FakeOpenAlexAPI

REPO = Path(__file__).resolve().parents[2]
FIRST = "A5020000002"  # Liu Ziyin (seed 002)
SECOND = "A5040000004"  # Lifu Wang (seed 004)


def _profile_visible(warehouse: Path, author: str) -> bool:
    if not warehouse.exists():
        return False
    try:
        profiles = query(warehouse, "select count(*) from profiles where author_id = ?", [author])
        snapshots = query(warehouse, "select count(*) from trust_snapshots where author_id = ?", [author])
    except Exception:  # the build is swapping the file in right now
        return False
    return profiles == [(1,)] and snapshots[0][0] >= 1


def _wait_for_profile(cluster: AirflowCluster, warehouse: Path, author: str, timeout: float = 240.0) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _profile_visible(warehouse, author):
            return time.time()
        time.sleep(0.5)
    raise ClusterError(f"{author} never appeared in profiles/trust_snapshots\n{cluster.log_tails()}")


@pytest.mark.e2e
def test_a_profile_request_becomes_a_profile_and_a_lost_doorbell_is_swept(tmp_path, request):
    tag = uuid.uuid4().hex[:10]  # channels of our own: other runs on this Redis never ring our DAGs
    requests_channel, events_channel = f"e2e.{tag}.requests", f"e2e.{tag}.events"
    data_dir = tmp_path / "data"
    warehouse = data_dir / "warehouse.duckdb"

    with FakeOpenAlexAPI() as api:
        env = {
            "PIPELINE_DATA_DIR": str(data_dir),
            "PIPELINE_WORKERS": "1",
            "PIPELINE_REQUESTS__REQUESTS_CHANNEL": requests_channel,
            "PIPELINE_REQUESTS__EVENTS_CHANNEL": events_channel,
            "OPENALEX_BASE_URL": api.base_url,
            "OPENALEX_API_KEY": "e2e-secret-key",
        }
        with AirflowCluster(REPO / "dags", tmp_path, env, request=request) as cluster:

            def file_request(author: str) -> subprocess.CompletedProcess:
                # exactly what an operator or app types; it files in the log, then rings once
                result = subprocess.run(
                    [str(PIPELINE), "request", "add", author, "--requested-by", "e2e"],
                    env={**cluster.env, "COLUMNS": "200"},
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
                assert result.returncode == 0, result.stdout + result.stderr
                assert "filed #" in result.stdout
                return result

            for dag_id in ("profile_requests", "platform_events", "build_warehouse", "sweep_requests"):
                cluster.wait_for_dag_registered(dag_id)
            assert cluster.import_errors() == []
            cluster.create_pool("openalex_api", 2, "OpenAlex API calls")
            for dag_id in ("profile_requests", "platform_events", "build_warehouse"):
                cluster.unpause(dag_id)

            # 1. file and ring; the triggerer may still be subscribing, so keep ringing plain
            #    doorbells (the request is in the log already) until a run starts
            file_request(FIRST)
            run, rung = cluster.ring_until_run(
                "profile_requests", requests_channel, lambda n: json.dumps({"ping": n}), every=3, timeout=120
            )
            assert run["run_type"] == "asset_triggered"
            heard_at = max(at for at, _ in rung if at <= time.time())
            visible_at = _wait_for_profile(cluster, warehouse, FIRST)
            build = cluster.wait_for_run("build_warehouse", "success", timeout=180)
            assert build["run_type"] == "asset_triggered"
            print(f"[event-driven] doorbell -> profile and trust snapshot of {FIRST} in {visible_at - heard_at:.1f}s")
            assert query(warehouse, "select works_count from profiles where author_id = ?", [FIRST]) == [(9,)]

            # 2. no triggerer: the doorbell of the second request reaches nobody
            cluster.wait_for_quiet("profile_requests", quiet_seconds=3)
            known = {r["dag_run_id"] for r in cluster.dag_runs("profile_requests")}
            cluster.stop_component("triggerer")
            assert not cluster.is_running("triggerer")
            file_request(SECOND)
            assert cluster.publish(requests_channel, json.dumps({"ping": "lost"})) == 0
            time.sleep(5)
            assert {r["dag_run_id"] for r in cluster.dag_runs("profile_requests")} == known  # nothing heard
            assert not _profile_visible(warehouse, SECOND)

            # 3. the sweep finds it in the durable log
            builds_before = {r["dag_run_id"] for r in cluster.dag_runs("build_warehouse")}
            cluster.unpause("sweep_requests")
            swept_at = time.time()
            sweep_id = cluster.trigger("sweep_requests")
            cluster.wait_for_run("sweep_requests", "success", timeout=180, run_id=sweep_id)
            _wait_for_profile(cluster, warehouse, SECOND)
            cluster.wait_for_run("build_warehouse", "success", timeout=180, exclude=builds_before)
            print(f"[event-driven] sweep triggered -> profile of {SECOND} in {time.time() - swept_at:.1f}s")
            assert _profile_visible(warehouse, FIRST)  # the first profile is still published
            pids = set(cluster.started_pids)

        listed = subprocess.run(
            [str(PIPELINE), "request", "list", "--format", "json", "--data-dir", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert listed.returncode == 0, listed.stderr
        assert {(r["key"], r["status"]) for r in json.loads(listed.stdout)} == {(FIRST, "done"), (SECOND, "done")}

    # task logs an operator can read: the figures, not Great Expectations' registration noise
    logs = tmp_path / "airflow-cluster" / "home" / "logs"
    (build_log, *_) = sorted(logs.glob("dag_id=build_warehouse/*/task_id=build/attempt=1.log"))
    build_text = build_log.read_text()
    assert "great_expectations" not in build_text, build_text[:2000]
    assert "warehouse built and published" in build_text and "building after" in build_text
    (process_log, *_) = sorted(logs.glob("dag_id=profile_requests/*/task_id=process/map_index=0/attempt=1.log"))
    assert "profile batch: 1 request(s), 1 done" in process_log.read_text()
    assert len(build_text.splitlines()) < 60

    # nothing left running, and the key never reached a log, a landed file or the raw responses
    assert pids and not cluster.leftover_processes()
    for path in [*tmp_path.rglob("*.log"), *data_dir.rglob("*")]:
        if path.is_file():
            assert b"e2e-secret-key" not in path.read_bytes(), path
