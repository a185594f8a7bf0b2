"""The DAG runs for real: Airflow 3 with its metadata DB on the local PostgreSQL,
`dag.test()` on the bundled sample, asset events recorded."""

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

REPO = Path(__file__).resolve().parents[2]
PG_DSN = os.environ.get("PIPELINE_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")

RUN_DAG = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
dag = bag.get_dag("snapshot_to_warehouse")
for task in dag.tasks:
    task.retries = 0  # a failure should fail the test now, not after real retry sleeps
run = dag.test(run_conf={"sources": ["sample"], "data_dir": sys.argv[2]})
states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
print("RESULT " + json.dumps({"state": str(run.state), "tasks": states}))
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


@pytest.mark.e2e
def test_dag_runs_on_postgres_and_emits_assets(metadata_db, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_"))}
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(REPO / "dags"),
        AIRFLOW__CORE__EXECUTOR="LocalExecutor",
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"postgresql+psycopg2://postgres@127.0.0.1:5432/{metadata_db}",
    )
    airflow = Path(sys.executable).with_name("airflow")
    migrate = subprocess.run([str(airflow), "db", "migrate"], env=env, capture_output=True, text=True, timeout=600)
    assert migrate.returncode == 0, migrate.stdout[-2000:] + migrate.stderr[-2000:]

    data_dir = tmp_path / "data"
    result = subprocess.run(
        [sys.executable, "-c", RUN_DAG, str(REPO / "dags"), str(data_dir)],
        env=env, capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-3000:]
    outcome = json.loads(lines[-1][len("RESULT "):])
    assert outcome == {"state": "success", "tasks": {"land": "success", "build_warehouse": "success"}}

    # the tasks ran the same pipeline functions as the CLI: the seed figures are there
    assert query(data_dir / "warehouse.duckdb", "select works_count, trust_score from profiles where author_id = 'A5020000002'") == [(9, 21)]

    with psycopg2.connect(PG_DSN.replace("dbname=postgres", f"dbname={metadata_db}")) as con, con.cursor() as cur:
        cur.execute(
            "select a.name, e.extra from asset_event e join asset a on a.id = e.asset_id order by e.timestamp"
        )
        events = cur.fetchall()
    assert [name for name, _ in events] == ["lake", "warehouse"]
    lake_extra = events[0][1] if isinstance(events[0][1], dict) else json.loads(events[0][1])
    assert lake_extra["valid"] == lake_extra["records"] == 42
    assert Path(lake_extra["report"]).exists()
