"""`make airflow` works as a new user types it: it creates the metadata database, migrates,
sets the pool, unpauses the project's DAGs, starts the components with a small parallelism,
prints the UI URL and login, and Ctrl-C stops everything it started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psutil
import psycopg2
import pytest
import requests
from airflow_cluster import PG_DSN, free_port

REPO = Path(__file__).resolve().parents[2]
DAG_IDS = {path.stem for path in (REPO / "dags").glob("*.py")}  # each DAG file is named after its DAG


def _session_processes(marker_prefix: str) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["pid"]):
        try:
            if process.environ().get("AIRFLOW_LOCAL_SESSION", "").startswith(marker_prefix):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


@pytest.mark.e2e
def test_make_airflow_sets_everything_up_and_ctrl_c_stops_it(tmp_path):
    db = f"airflow_local_{uuid.uuid4().hex[:8]}"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_"))}
    env.update(
        AIRFLOW_PORT=str(port),
        AIRFLOW_DB=db,
        AIRFLOW_LOCAL_HOME=str(tmp_path / "airflow"),
        AIRFLOW_LOG_PORTS=f"{free_port()} {free_port()}",
        PIPELINE_DATA_DIR=str(tmp_path / "data"),
    )
    out = tmp_path / "make-airflow.out"
    with open(out, "wb") as sink:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "airflow"],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C goes to make's whole foreground group, as in a terminal
            # ... where SIGINT is deliverable: a test run started in the background (`cmd &` without job
            # control) ignores SIGINT, children inherit that, and bash cannot trap a signal ignored on entry
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
    try:
        deadline = time.monotonic() + 240
        while "Ctrl-C stops everything" not in out.read_text(errors="replace"):
            assert make.poll() is None, out.read_text(errors="replace")[-4000:]
            assert time.monotonic() < deadline, out.read_text(errors="replace")[-4000:]
            time.sleep(1)
        text = out.read_text(errors="replace")
        assert f"Airflow UI   http://127.0.0.1:{port}" in text
        assert "created" in text  # the metadata database did not exist
        login = re.search(r"login +admin / (\S+)", text)
        assert login and login.group(1) != "?", text

        api = f"http://127.0.0.1:{port}"
        token = requests.post(f"{api}/auth/token", json={"username": "admin", "password": login.group(1)}, timeout=10)
        assert token.status_code in (200, 201), token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        dags = requests.get(f"{api}/api/v2/dags", headers=headers, params={"limit": 100}, timeout=10).json()["dags"]
        assert {d["dag_id"]: d["is_paused"] for d in dags} == dict.fromkeys(DAG_IDS, False)
        pool = requests.get(f"{api}/api/v2/pools/openalex_api", headers=headers, timeout=10).json()
        assert pool["slots"] == 2
        config = (tmp_path / "airflow" / "secrets.env").read_text()
        assert "AIRFLOW__API_AUTH__JWT_SECRET=" in config  # one shared secret for every component
        marker = "airflow-local-"
        assert _session_processes(marker), "the components carry the session marker"
    finally:
        os.killpg(make.pid, signal.SIGINT)  # Ctrl-C
        try:
            make.wait(timeout=90)  # the script's own bound is 20 s, then SIGKILL
        finally:
            if make.poll() is None:
                os.killpg(make.pid, signal.SIGKILL)
            leftovers = [
                p
                for p in _session_processes("airflow-local-")
                if p.environ().get("AIRFLOW_HOME", "").startswith(str(tmp_path))
            ]
            for process in leftovers:
                process.kill()
            admin = psycopg2.connect(PG_DSN)
            admin.autocommit = True
            with admin.cursor() as cur:
                cur.execute(f'drop database if exists "{db}" with (force)')
            admin.close()
    assert "stopped" in out.read_text(errors="replace")
    assert not leftovers, [(p.pid, p.cmdline()) for p in leftovers]
