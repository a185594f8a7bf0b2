"""A real Airflow 3 deployment for end-to-end tests: api-server, scheduler,
dag-processor and triggerer under LocalExecutor, each its own process (group),
with a fresh metadata database in the machine's PostgreSQL and the machine's
Redis as the event bus.

    from airflow_cluster import AirflowCluster

    def test_something(tmp_path, request):
        with AirflowCluster(DAGS, tmp_path, {"PIPELINE_DATA_DIR": str(tmp_path / "data")}, request=request) as af:
            af.wait_for_dag_registered("my_dag")
            af.unpause("my_dag")
            run_id = af.trigger("my_dag", {"sources": ["sample"]})
            af.wait_for_run("my_dag", "success", timeout=120, run_id=run_id)

Everything the cluster starts carries a marker variable in its environment
(``AIRFLOW_CLUSTER_ID``), so teardown finds and kills even the task processes
that Airflow moves into process groups of their own, then drops the database.
When a test fails (or a wait times out) the tail of every component log is printed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import psutil
import psycopg2
import requests

PG_DSN = os.environ.get("PIPELINE_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
REDIS_URL = os.environ.get("PIPELINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
VENV_BIN = Path(sys.executable).parent
AIRFLOW = VENV_BIN / "airflow"
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
MARKER = "AIRFLOW_CLUSTER_ID"
TERMINAL_STATES = ("success", "failed")


class ClusterError(AssertionError):
    """The cluster did not do what a test waited for; the message carries the component log tails."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AirflowCluster:
    """One throw-away Airflow deployment. Use as a context manager, or call ``start()``/``teardown()``."""

    def __init__(
        self,
        dags_folder: Path,
        tmp_path: Path,
        extra_env: Mapping[str, str] | None = None,
        *,
        parallelism: int = 2,
        components: Iterable[str] = COMPONENTS,
        pg_dsn: str = PG_DSN,
        redis_url: str = REDIS_URL,
        startup_timeout: float = 150.0,
        request: Any = None,
    ) -> None:
        self.dags_folder = Path(dags_folder).resolve()
        self.root = Path(tmp_path) / "airflow-cluster"
        self.home = self.root / "home"
        self.log_dir = self.root / "component-logs"
        self.cluster_id = uuid.uuid4().hex[:10]
        self.db_name = f"airflow_cluster_{self.cluster_id}"
        self.pg_dsn = pg_dsn
        self.redis_url = redis_url
        self.components = tuple(components)
        self.startup_timeout = startup_timeout
        self.api_port = free_port()
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.started_pids: set[int] = set()  # every component pid ever started, for the leftover check
        self._db_created = False
        self._stopped: set[str] = set()  # components a test stopped on purpose
        self._request = request
        self._failed_before = request.session.testsfailed if request is not None else 0
        self._session = requests.Session()
        self.env = self._environment(parallelism, extra_env or {})

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> AirflowCluster:
        try:
            self.start()
        except BaseException:
            self.print_log_tails()
            self.teardown()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        test_failed = self._request is not None and self._request.session.testsfailed > self._failed_before
        if exc_type is not None or test_failed:
            self.print_log_tails()
        self.teardown()

    def start(self) -> None:
        """Create the database, migrate it, start every component and wait until all are healthy."""
        began = time.monotonic()
        self.home.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._create_database()
        migrate = self.airflow_cli("db", "migrate", timeout=600)
        if migrate.returncode != 0:
            raise ClusterError(f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}")
        migrated = time.monotonic()
        for name in self.components:
            self.start_component(name)
        self.wait_healthy(timeout=self.startup_timeout)
        self.timings = {"migrate_s": round(migrated - began, 1), "start_s": round(time.monotonic() - migrated, 1)}
        print(f"[airflow-cluster] up at {self.api_url} (db {self.db_name}): {self.timings}", flush=True)

    def teardown(self) -> list[str]:
        """Stop every component (scheduler first, api-server last), kill anything carrying this cluster's
        marker, and drop the database. Returns descriptions of processes that had to be killed late."""
        order = [name for name in ("scheduler", "triggerer", "dag-processor", "api-server") if name in self.processes]
        order += [name for name in self.processes if name not in order]
        for name in order:
            with contextlib.suppress(Exception):
                self.stop_component(name)
        stragglers = self._kill_marked_processes()
        if stragglers:
            print(f"[airflow-cluster] killed leftover processes: {stragglers}", flush=True)
        self._session.close()
        self._drop_database()
        return stragglers

    # -- components -----------------------------------------------------------------------------

    def start_component(self, name: str) -> subprocess.Popen:
        """Start ``airflow <name>`` in its own process group, logging to ``component-logs/<name>.log``."""
        if name in self.processes and self.processes[name].poll() is None:
            raise ClusterError(f"{name} is already running (pid {self.processes[name].pid})")
        args = [str(AIRFLOW), name]
        if name == "api-server":
            args += ["--host", "127.0.0.1", "--port", str(self.api_port)]
        log_path = self.log_dir / f"{name}.log"
        with open(log_path, "ab") as log:
            log.write(f"\n===== start {' '.join(args)} at {time.strftime('%H:%M:%S')} =====\n".encode())
            log.flush()
            process = subprocess.Popen(
                args,
                env=self.env,
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop_component kills the whole tree
            )
        self.processes[name] = process
        self._stopped.discard(name)
        self.started_pids.add(process.pid)
        return process

    def stop_component(self, name: str, timeout: float = 20.0) -> None:
        """SIGTERM the component's process group (and any descendants that left it), SIGKILL after ``timeout``."""
        process = self.processes.get(name)
        if process is None:
            return
        self._stopped.add(name)
        tree = _descendants(process.pid)
        self.started_pids.update(p.pid for p in tree)
        _signal_group(process.pid, signal.SIGTERM)
        for child in tree:
            with contextlib.suppress(psutil.Error):
                child.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        _, alive = psutil.wait_procs(tree, timeout=max(1.0, timeout / 2))
        for child in alive:
            with contextlib.suppress(psutil.Error):
                child.kill()
        _signal_group(process.pid, signal.SIGKILL)  # anything still in the group
        psutil.wait_procs(alive, timeout=5)

    def is_running(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def restart_component(self, name: str) -> None:
        self.stop_component(name)
        self.start_component(name)

    # -- health ---------------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        return self._get("/api/v2/monitor/health")

    def wait_healthy(self, timeout: float = 150.0, components: Iterable[str] | None = None) -> None:
        """Until the api-server answers /api/v2/version and the given components heartbeat as healthy."""
        wanted = [c.replace("-", "_") for c in (components or self.components) if c != "api-server"]
        last = "no answer yet"

        def check():
            nonlocal last
            self._assert_alive()
            try:
                self._get("/api/v2/version", timeout=3)
                health = self.health()
            except (requests.RequestException, ClusterError) as exc:
                last = f"api-server: {exc}"
                return None
            sick = {c: health.get(c, {}).get("status") for c in wanted if health.get(c, {}).get("status") != "healthy"}
            last = f"not healthy yet: {sick}"
            return not sick or None

        self._poll(check, timeout, lambda: f"Airflow components not healthy after {timeout:.0f}s ({last})", 1.0)

    # -- REST helpers ---------------------------------------------------------------------------

    def dag(self, dag_id: str) -> dict[str, Any] | None:
        response = self._session.get(f"{self.api_url}/api/v2/dags/{dag_id}", timeout=30)
        if response.status_code == 404:
            return None
        _raise_for(response)
        return response.json()

    def import_errors(self) -> list[dict[str, Any]]:
        return self._get("/api/v2/importErrors").get("import_errors", [])

    def wait_for_dag_registered(self, dag_id: str, timeout: float = 90.0) -> dict[str, Any]:
        """Until the dag-processor has parsed ``dag_id`` into the DB; import errors fail at once."""

        def check():
            self._assert_alive()
            errors = self.import_errors()
            if errors:
                raise ClusterError(f"DAG import errors: {json.dumps(errors, indent=1)[:4000]}")
            return self.dag(dag_id)

        return self._poll(check, timeout, lambda: f"DAG {dag_id} not registered after {timeout:.0f}s", 1.0)

    def unpause(self, dag_id: str) -> None:
        self._patch(f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def pause(self, dag_id: str) -> None:
        self._patch(f"/api/v2/dags/{dag_id}", {"is_paused": True})

    def trigger(self, dag_id: str, conf: Mapping[str, Any] | None = None) -> str:
        """Start a manual run (no logical date, like an asset-triggered one); returns its run id."""
        response = self._session.post(
            f"{self.api_url}/api/v2/dags/{dag_id}/dagRuns",
            json={"logical_date": None, "conf": dict(conf or {})},
            timeout=30,
        )
        _raise_for(response)
        return response.json()["dag_run_id"]

    def dag_runs(self, dag_id: str) -> list[dict[str, Any]]:
        """All runs of ``dag_id``, oldest first."""
        return self._get(f"/api/v2/dags/{dag_id}/dagRuns", params={"order_by": "run_after", "limit": 100})["dag_runs"]

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        return self._get(f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances")["task_instances"]

    def wait_for_run(
        self,
        dag_id: str,
        state: str = "success",
        timeout: float = 120.0,
        *,
        run_id: str | None = None,
        exclude: Iterable[str] = (),
        run_type: str | None = None,
    ) -> dict[str, Any]:
        """Until a run of ``dag_id`` (``run_id``, or any run not in ``exclude``) reaches ``state``.
        A run that ends in another terminal state fails at once, with its task logs."""
        excluded = set(exclude)

        def check():
            self._assert_alive()
            runs = [r for r in self.dag_runs(dag_id) if r["dag_run_id"] not in excluded]
            runs = [r for r in runs if (run_id is None or r["dag_run_id"] == run_id)]
            runs = [r for r in runs if (run_type is None or r["run_type"] == run_type)]
            for run in runs:
                if run["state"] == state:
                    return run
            ended = [r for r in runs if r["state"] in TERMINAL_STATES and r["state"] != state]
            if ended and (run_id is not None or len(ended) == len(runs)):
                run = ended[-1]
                raise ClusterError(
                    f"run {run['dag_run_id']} of {dag_id} ended {run['state']}, expected {state}\n"
                    + self.task_log_tails(dag_id, run["dag_run_id"])
                )
            return None

        what = f"run {run_id}" if run_id else "a run"
        return self._poll(check, timeout, lambda: f"{what} of {dag_id} did not reach {state} in {timeout:.0f}s", 1.0)

    def wait_for_quiet(self, dag_id: str, quiet_seconds: float = 5.0, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Until every run of ``dag_id`` has ended and no new run appeared for ``quiet_seconds``
        (late doorbells may still start runs after the one a test waited for). Returns all runs."""
        seen: tuple[str, ...] = ()
        quiet_since = time.monotonic()

        def check():
            nonlocal seen, quiet_since
            self._assert_alive()
            runs = self.dag_runs(dag_id)
            ids = tuple(r["dag_run_id"] for r in runs)
            if ids != seen or any(r["state"] not in TERMINAL_STATES for r in runs):
                seen, quiet_since = ids, time.monotonic()
                return None
            return runs if time.monotonic() - quiet_since >= quiet_seconds else None

        return self._poll(check, timeout, lambda: f"{dag_id} kept starting runs for {timeout:.0f}s", 0.5)

    def create_pool(self, name: str, slots: int, description: str = "") -> None:
        body = {"name": name, "slots": slots, "description": description or f"{name} (e2e)", "include_deferred": False}
        response = self._session.post(f"{self.api_url}/api/v2/pools", json=body, timeout=30)
        if response.status_code == 409:
            response = self._session.patch(f"{self.api_url}/api/v2/pools/{name}", json=body, timeout=30)
        _raise_for(response)

    def airflow_cli(self, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess:
        """Run ``airflow ARGS`` against this cluster (slow: ~5 s of imports per call; prefer the REST helpers)."""
        return subprocess.run(
            [str(AIRFLOW), *args], env=self.env, cwd=self.home, capture_output=True, text=True, timeout=timeout
        )

    # -- the event bus --------------------------------------------------------------------------

    def publish(self, channel: str, message: str) -> int:
        """Publish on the cluster's Redis; returns how many subscribers (0 = no trigger is listening now)."""
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=5)
        try:
            return int(client.publish(channel, message))
        finally:
            client.close()

    def ring_until_run(
        self,
        dag_id: str,
        channel: str,
        make_message: Callable[[int], str],
        *,
        exclude: Iterable[str] = (),
        every: float = 3.0,
        timeout: float = 90.0,
        state: str = "success",
    ) -> tuple[dict[str, Any], list[tuple[float, str]]]:
        """Publish ``make_message(n)`` every ``every`` seconds until a new run of ``dag_id`` reaches ``state``.
        Pub/sub drops messages nobody listens to, and a watcher is deaf while the triggerer restarts it,
        so a single publish is no test. Returns the run and ``(time.time(), message)`` of every publish."""
        excluded = set(exclude)
        published: list[tuple[float, str]] = []
        deadline = time.monotonic() + timeout
        next_ring = 0.0
        while True:
            self._assert_alive()
            if time.monotonic() >= next_ring:
                message = make_message(len(published))
                published.append((time.time(), message))
                self.publish(channel, message)
                next_ring = time.monotonic() + every
            runs = [r for r in self.dag_runs(dag_id) if r["dag_run_id"] not in excluded]
            if runs:  # the doorbell was heard: stop ringing, so no extra runs follow
                next_ring = float("inf")
            done = [r for r in runs if r["state"] == state]
            if done:
                return done[0], published
            if failed := [r for r in runs if r["state"] in TERMINAL_STATES]:
                raise ClusterError(
                    f"run {failed[0]['dag_run_id']} of {dag_id} ended {failed[0]['state']}\n"
                    + self.task_log_tails(dag_id, failed[0]["dag_run_id"])
                )
            if time.monotonic() >= deadline:
                raise ClusterError(
                    f"no {state} run of {dag_id} after {len(published)} doorbells on {channel} in {timeout:.0f}s "
                    f"(runs: {[(r['dag_run_id'], r['state']) for r in runs]})\n{self.log_tails()}"
                )
            time.sleep(0.5)

    # -- diagnostics ----------------------------------------------------------------------------

    def log_tails(self, lines: int = 40) -> str:
        parts = []
        for path in sorted(self.log_dir.glob("*.log")):
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()
            parts.append(f"----- {path.name} (last {min(lines, len(text))} lines) -----\n" + "\n".join(text[-lines:]))
        return "\n".join(parts)

    def task_log_tails(self, dag_id: str, run_id: str, lines: int = 60) -> str:
        folder = self.home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}"
        parts = []
        for path in sorted(folder.rglob("*.log")) if folder.exists() else []:
            text = path.read_text(encoding="utf-8", errors="replace").splitlines()
            parts.append(f"----- {path.relative_to(self.home)} -----\n" + "\n".join(text[-lines:]))
        return "\n".join(parts) or f"(no task logs under {folder})"

    def print_log_tails(self, lines: int = 40) -> None:
        print(f"\n[airflow-cluster] component logs in {self.log_dir}\n{self.log_tails(lines)}", flush=True)

    def leftover_processes(self) -> list[psutil.Process]:
        """Live processes that carry this cluster's marker or are a component pid it started."""
        found = []
        for process in psutil.process_iter(["pid"]):
            try:
                if process.pid in self.started_pids and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process)
                elif process.environ().get(MARKER) == self.cluster_id:
                    found.append(process)
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
        return found

    # -- internals ------------------------------------------------------------------------------

    def _environment(self, parallelism: int, extra_env: Mapping[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PIPELINE_"))}
        env.update(
            {
                MARKER: self.cluster_id,
                # Components spawn `airflow` children (task runners, parsers): the venv must come first.
                "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "VIRTUAL_ENV": str(VENV_BIN.parent),
                "PYTHONUNBUFFERED": "1",
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
                "AIRFLOW__CORE__PARALLELISM": str(parallelism),
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__CORE__FERNET_KEY": _fernet_key(),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"postgresql+psycopg2://postgres@127.0.0.1:5432/{self.db_name}",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                # One JWT secret for all: tasks authenticate to the api-server with tokens the scheduler signs.
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                # The log servers default to 8793/8794: free ports so clusters (and a local one) never clash.
                "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
                "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
                "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "10",
                "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
                "AIRFLOW_CONN_REDIS_DEFAULT": self.redis_url,
            }
        )
        env.update({k: str(v) for k, v in extra_env.items()})
        return env

    def _get(self, path: str, params: Mapping[str, Any] | None = None, timeout: float = 30) -> dict[str, Any]:
        # A single api-server worker on a loaded 2-core machine can stall for seconds: a read that
        # times out is asked again (GETs are safe to repeat) before the test gives up.
        for attempt in range(3):
            try:
                response = self._session.get(f"{self.api_url}{path}", params=params, timeout=timeout)
                break
            except requests.exceptions.Timeout:
                if attempt == 2:
                    raise
        _raise_for(response)
        return response.json()

    def _patch(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        response = self._session.patch(f"{self.api_url}{path}", json=dict(body), timeout=30)
        _raise_for(response)
        return response.json()

    def _assert_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.processes.items() if p.poll() is not None}
        dead = {name: code for name, code in dead.items() if name not in self._stopped}
        if dead:
            raise ClusterError(f"Airflow component(s) exited: {dead}\n{self.log_tails()}")

    def _poll(self, check: Callable[[], Any], timeout: float, describe: Callable[[], str], every: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = check()
            except requests.RequestException as exc:
                result, error = None, exc
            else:
                error = None
            if result:
                return result
            if time.monotonic() >= deadline:
                detail = f" (last error: {error})" if error else ""
                raise ClusterError(f"{describe()}{detail}\n{self.log_tails()}")
            time.sleep(every)

    def _admin(self):
        con = psycopg2.connect(self.pg_dsn, connect_timeout=10)
        con.autocommit = True
        return con

    def _create_database(self) -> None:
        con = self._admin()
        try:
            with con.cursor() as cur:
                cur.execute(f'create database "{self.db_name}"')
            self._db_created = True
        finally:
            con.close()

    def _drop_database(self) -> None:
        if not self._db_created:
            return
        con = self._admin()
        try:
            with con.cursor() as cur:
                cur.execute(f'drop database if exists "{self.db_name}" with (force)')
            self._db_created = False
        finally:
            con.close()

    def _kill_marked_processes(self) -> list[str]:
        leftovers = self.leftover_processes()
        described = []
        for process in leftovers:
            with contextlib.suppress(psutil.Error):
                described.append(f"{process.pid}:{' '.join(process.cmdline())[:80]}")
                process.kill()
        psutil.wait_procs(leftovers, timeout=10)
        return described


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)  # the component is its group's leader (start_new_session)


def _raise_for(response: requests.Response) -> None:
    if response.status_code >= 400:
        raise ClusterError(
            f"{response.request.method} {response.url} -> HTTP {response.status_code}: {response.text[:500]}"
        )


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()
