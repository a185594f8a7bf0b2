"""Every DAG runs for real with `dag.test()`: Airflow 3 with its metadata DB on the local
PostgreSQL, the bundled sample, the OpenAlex API played by a local HTTP server, and the
request log in the data dir. One scenario, in order: bulk ingest -> build -> a platform
event -> a profile request -> a bad request (fails at once, the others still land) ->
the sweep -> stale profiles; then the asset events in the metadata DB."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from cli_helpers import query
from fakes.openalex_api import FakeOpenAlexAPI

REPO = Path(__file__).resolve().parents[2]
SAMPLE_SNAPSHOT = REPO / "pipeline" / "sample_data" / "openalex"
PG_DSN = os.environ.get("PIPELINE_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
FOLLOWED = "A5020000002"  # Liu Ziyin (seed 002)
REQUESTED = "A5040000004"  # Lifu Wang (seed 004)

SCENARIO = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
from pipeline.config import load_settings
from pipeline.requests.envelope import event_request, profile_request
from pipeline.requests.process import open_log

bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
snapshot, followed, requested = sys.argv[2:5]
requests = open_log(load_settings())

def run(step, dag_id, conf=None, keep_retries=False):
    dag = bag.get_dag(dag_id)
    if not keep_retries:
        for task in dag.tasks:
            task.retries = 0  # a failure should fail the test now, not after real retry sleeps
    dr = dag.test(run_conf=conf or {})
    tasks = {}
    for ti in dr.get_task_instances():
        name = ti.task_id + (f"[{ti.map_index}]" if ti.map_index >= 0 else "")
        tasks[name] = {"state": str(ti.state), "try": ti.try_number}
    print("RESULT " + json.dumps({"step": step, "state": str(dr.state), "tasks": tasks}), flush=True)

def statuses():
    return {str(r.id): r.status for r in requests.list()}

run("bad-path", "ingest_openalex_snapshot", {"path": "/nonexistent/snapshot"}, keep_retries=True)
run("ingest", "ingest_openalex_snapshot", {"path": snapshot, "parts_per_task": 2})
run("build", "build_warehouse")
requests.add(event_request("author.followed", followed, event_id="e2e-follow-1", actor_id="u-e2e"))
run("event", "platform_events")
run("build-after-event", "build_warehouse")
requests.add(profile_request(requested, requested_by="e2e"))
requests.add(profile_request("A5999999999", requested_by="e2e"))  # unknown to the API: 404
run("profile", "profile_requests")
print("STATUS " + json.dumps({"after_profile": statuses()}), flush=True)
requests.add(profile_request("orcid:0000-0002-0000-0006", requested_by="e2e-sweep"))
run("sweep", "sweep_requests")
print("STATUS " + json.dumps({"after_sweep": statuses()}), flush=True)
run("stale", "refresh_stale_profiles", {"older_than_days": 0})
run("build-after-profile", "build_warehouse")
"""


@pytest.fixture(scope="module")
def metadata_db():
    name = f"pipeline_airflow_e2e_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(PG_DSN)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'create database "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cur:
            cur.execute(f'drop database if exists "{name}" with (force)')
        admin.close()


def _lines(stdout: str, prefix: str) -> list[dict]:
    return [json.loads(line[len(prefix) :]) for line in stdout.splitlines() if line.startswith(prefix)]


@pytest.mark.e2e
def test_every_dag_runs_on_postgres_with_the_sample(metadata_db, tmp_path):
    data_dir = tmp_path / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_", "OPENALEX_"))}
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://postgres@127.0.0.1:5432/{metadata_db}",
        PIPELINE_DATA_DIR=str(data_dir),
        PIPELINE_AS_OF="2026-01-01",
        OPENALEX_API_KEY="e2e-secret-key",
    )
    airflow = Path(sys.executable).with_name("airflow")
    migrate = subprocess.run([str(airflow), "db", "migrate"], env=env, capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]
    pool = subprocess.run(
        [str(airflow), "pools", "set", "openalex_api", "2", "OpenAlex API"], env=env, capture_output=True, text=True
    )
    assert pool.returncode == 0, pool.stderr[-2000:]

    with FakeOpenAlexAPI() as api:
        env["OPENALEX_BASE_URL"] = api.base_url
        result = subprocess.run(
            [sys.executable, "-c", SCENARIO, str(REPO / "dags"), str(SAMPLE_SNAPSHOT), FOLLOWED, REQUESTED],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            cwd=tmp_path,
        )
    output = result.stdout[-4000:] + result.stderr[-4000:]
    assert result.returncode == 0, output
    runs = {r["step"]: r for r in _lines(result.stdout, "RESULT ")}
    status = {k: v for s in _lines(result.stdout, "STATUS ") for k, v in s.items()}

    # a configuration error fails at once: one try, no retries
    assert runs["bad-path"]["state"] == "failed"
    assert runs["bad-path"]["tasks"]["plan"] == {"state": "failed", "try": 1}, output

    # the bulk path: parts mapped over several tasks, all landed
    ingest = runs["ingest"]
    assert ingest["state"] == "success", ingest
    mapped = [name for name in ingest["tasks"] if name.startswith("land_parts[")]
    assert len(mapped) >= 2 and all(ingest["tasks"][m]["state"] == "success" for m in mapped)
    for step in ("build", "event", "build-after-event", "sweep", "stale", "build-after-profile"):
        assert runs[step]["state"] == "success", (step, runs[step], output)

    # the profile run landed the good request and failed the run for the bad one, naming it
    profile = runs["profile"]
    assert profile["state"] == "failed" and profile["tasks"]["check"]["state"] == "failed"
    assert profile["tasks"]["process[0]"]["state"] == "success"
    assert status["after_profile"] == {"1": "done", "2": "done", "3": "failed"}
    assert status["after_sweep"]["4"] == "done"  # filed without a doorbell; the sweep took it

    warehouse = data_dir / "warehouse.duckdb"
    assert query(warehouse, f"select followers_count from profiles where author_id = '{FOLLOWED}'") == [(1,)]
    # seed 002's figures (9 works, trust 21) plus the one follower the event added (+0.5, rounded half up)
    assert query(warehouse, f"select works_count, trust_score from profiles where author_id = '{FOLLOWED}'") == [
        (9, 22)
    ]
    assert query(
        warehouse, f"select count(*) from trust_snapshots where author_id = '{REQUESTED}' and as_of = '2026-01-01'"
    ) == [(1,)]
    landed_api = list((data_dir / "lake").glob("source=openalex-api/entity=works/*/*.parquet"))
    assert landed_api, "the profile request landed API works"
    assert "e2e-secret-key" not in output

    with psycopg2.connect(PG_DSN.replace("dbname=postgres", f"dbname={metadata_db}")) as con, con.cursor() as cur:
        cur.execute("select a.name, count(*) from asset_event e join asset a on a.id = e.asset_id group by 1")
        events = dict(cur.fetchall())
    assert events["lake_openalex_snapshot"] == 1  # one event, once every mapped landing task is done
    assert events["lake_platform_events"] >= 1 and events["lake_openalex_api"] >= 2
    assert events["warehouse"] == 3
