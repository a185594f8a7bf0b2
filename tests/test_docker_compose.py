"""Structural checks for docker-compose.yml, Dockerfile, .dockerignore and example.env.

There is no Docker engine in CI, so these tests read the files and check the
wiring that would otherwise only break at `docker compose up`: services that
point at each other, the shared JWT secret, the execution API URL, volumes and
the Airflow version pins. The last test runs `docker compose config` when a
compose plugin is available.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

REQUIRED_SERVICES = {
    "postgres",
    "redis",
    "airflow-init",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "minio",
    "minio-init",
}
# The only paths the Dockerfile may COPY: top-level entries of the design card's
# layout that the image needs (DESIGN.md "Layout").
DESIGN_LAYOUT = {"pyproject.toml", "uv.lock", "README.md", "pipeline", "schemas", "warehouse", "dags"}
# Values that must come from .env, never from the compose file.
SHARED_SECRETS = {
    "AIRFLOW__API_AUTH__JWT_SECRET": "AIRFLOW_JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY": "AIRFLOW_API_SECRET_KEY",
}
SECRET_KEY_RE = re.compile(r"SECRET|PASSWORD|PASSWD|FERNET|TOKEN|API_KEY", re.IGNORECASE)
# ${VAR}, ${VAR:?msg}, ${VAR?msg}, ${VAR:-default}, ${VAR-default}; `$${` is an escape.
INTERPOLATION_RE = re.compile(r"^\$\{(?P<var>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}$")
REFERENCED_VAR_RE = re.compile(r"(?<!\$)\$\{([A-Za-z_]\w*)")


# --- helpers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    # safe_load resolves the `<<: *anchor` merge keys, so each service below is
    # seen exactly as compose sees it after merging x-airflow-common.
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


@pytest.fixture(scope="module")
def airflow_services(services) -> dict[str, dict]:
    found = {name: svc for name, svc in services.items() if name.startswith("airflow-")}
    assert found, "no airflow-* services in docker-compose.yml"
    return found


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", ...] form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def depends_on_of(service: dict) -> set[str]:
    deps = service.get("depends_on") or {}
    return set(deps) if isinstance(deps, (list, dict)) else set()


def volume_mounts(service: dict) -> list[tuple[str, str]]:
    """(source, target) pairs from short ("src:dst[:mode]") or long syntax."""
    mounts = []
    for vol in service.get("volumes") or []:
        if isinstance(vol, dict):
            mounts.append((str(vol.get("source", "")), str(vol["target"])))
        else:
            parts = str(vol).split(":")
            if len(parts) == 1:  # anonymous volume: "/path"
                mounts.append(("", parts[0]))
            else:
                mounts.append((parts[0], parts[1]))
    return mounts


def is_bind_source(source: str) -> bool:
    return source.startswith((".", "/", "~", "$"))


def container_ports(service: dict) -> set[int]:
    ports = set()
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            ports.add(int(port["target"]))
        else:
            ports.add(int(str(port).split(":")[-1].split("/")[0]))
    return ports


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuations joined."""
    instructions, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):  # comment inside a continued instruction
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, rest = current.strip().partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    return instructions


def dockerfile_copy_sources() -> list[str]:
    """Build-context paths the Dockerfile COPY/ADDs (not `--from=<stage>` copies)."""
    sources = []
    for keyword, rest in dockerfile_instructions():
        if keyword not in {"COPY", "ADD"}:
            continue
        tokens = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        flags = [t for t in tokens if t.startswith("--")]
        paths = [t for t in tokens if not t.startswith("--")]
        if any(flag.startswith("--from") for flag in flags):
            continue
        assert len(paths) >= 2, f"COPY without source and destination: {rest!r}"
        sources.extend(paths[:-1])
    return sources


def pyproject_airflow_pin() -> str:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = [m.group(1) for d in deps if (m := re.fullmatch(r"\s*apache-airflow\s*==\s*([\w.]+)\s*", d))]
    assert len(pins) == 1, f"pyproject.toml must pin apache-airflow==X exactly once, found {pins}"
    return pins[0]


# --- services and executor ------------------------------------------------------------


def test_required_services_exist(services):
    missing = REQUIRED_SERVICES - set(services)
    assert not missing, f"docker-compose.yml lacks services: {sorted(missing)}"


def test_airflow_services_use_common_build(compose, airflow_services):
    common_build = compose["x-airflow-common"]["build"]
    context = common_build if isinstance(common_build, str) else common_build.get("context", ".")
    assert (ROOT / context / "Dockerfile").resolve() == DOCKERFILE.resolve(), (
        "x-airflow-common must build the repo's Dockerfile"
    )
    for name, svc in airflow_services.items():
        assert svc.get("build") == common_build, f"{name} does not use x-airflow-common's build"
        assert "image" not in svc, f"{name} sets image: and would skip the project's build"


@pytest.mark.parametrize("key", sorted(SHARED_SECRETS))
def test_airflow_services_share_one_secret_from_env(compose, airflow_services, key):
    common_value = env_of(compose["x-airflow-common"]).get(key)
    assert common_value, f"x-airflow-common environment lacks {key}"
    match = INTERPOLATION_RE.match(common_value)
    assert match, f"{key} must be a ${{VAR}} interpolation, not a literal: {common_value!r}"
    assert match["var"] == SHARED_SECRETS[key]
    # Required (no fallback): `${VAR:?msg}` or bare `${VAR}`, never `${VAR:-literal}`.
    assert match["op"] in (None, ":?", "?"), f"{key} must not have a default value: {common_value!r}"
    for name, svc in airflow_services.items():
        assert env_of(svc).get(key) == common_value, (
            f"{name} has a different {key}; every container must share one secret"
        )


def test_executor_is_celery(airflow_services):
    for name, svc in airflow_services.items():
        assert env_of(svc).get("AIRFLOW__CORE__EXECUTOR") == "CeleryExecutor", name


def test_broker_and_event_bus_are_the_redis_service(services, airflow_services):
    for name, svc in airflow_services.items():
        env = env_of(svc)
        for key in ("AIRFLOW__CELERY__BROKER_URL", "AIRFLOW_CONN_REDIS_DEFAULT"):
            url = urlsplit(env.get(key, ""))
            assert url.scheme == "redis", f"{name}: {key} is not a redis:// URL"
            assert url.hostname in services, f"{name}: {key} host {url.hostname!r} is not a service"
            assert services[url.hostname]["image"].startswith("redis:"), f"{name}: {key} host is not redis"


def test_doorbell_publishers_ring_the_same_redis_the_watchers_hear(airflow_services):
    for name, svc in airflow_services.items():
        env = env_of(svc)
        assert env.get("PIPELINE_REQUESTS__REDIS_URL") == env.get("AIRFLOW_CONN_REDIS_DEFAULT"), name


def test_init_creates_the_api_pool_the_dags_use(services):
    from pipeline.orchestration.tasks import OPENALEX_POOL

    command = "\n".join(services["airflow-init"]["command"])
    assert f"airflow pools set {OPENALEX_POOL} " in command


def test_metadata_db_and_result_backend_are_the_postgres_service(services, airflow_services):
    for name, svc in airflow_services.items():
        env = env_of(svc)
        for key, scheme in (
            ("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "postgresql"),
            ("AIRFLOW__CELERY__RESULT_BACKEND", "db+postgresql"),
        ):
            url = urlsplit(env.get(key, ""))
            assert url.scheme.split("+psycopg")[0] == scheme, f"{name}: {key} is not {scheme}://"
            assert url.hostname in services, f"{name}: {key} host {url.hostname!r} is not a service"
            db = services[url.hostname]
            assert db["image"].startswith("postgres:"), f"{name}: {key} host is not postgres"
            db_env = env_of(db)
            assert (url.username, url.password, url.path.lstrip("/")) == (
                db_env["POSTGRES_USER"],
                db_env["POSTGRES_PASSWORD"],
                db_env["POSTGRES_DB"],
            ), f"{name}: {key} credentials/database do not match the {url.hostname} service"


def test_every_depends_on_target_is_a_service(services):
    for name, svc in services.items():
        unknown = depends_on_of(svc) - set(services)
        assert not unknown, f"{name} depends on undefined services {sorted(unknown)}"
        assert name not in depends_on_of(svc), f"{name} depends on itself"


def test_airflow_services_wait_for_healthy_postgres_and_redis(services, airflow_services):
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]
    assert services["redis"]["healthcheck"]["test"][1:] == ["redis-cli", "ping"]
    for name, svc in airflow_services.items():
        deps = svc.get("depends_on") or {}
        for db in ("postgres", "redis"):
            assert isinstance(deps, dict) and deps.get(db, {}).get("condition") == "service_healthy", (
                f"{name} must wait for {db} to be healthy"
            )


def test_execution_api_url_points_at_apiserver(services, airflow_services):
    apiserver = services["airflow-apiserver"]
    assert apiserver["command"] == "api-server"
    assert "/api/v2/version" in " ".join(apiserver["healthcheck"]["test"])
    for name, svc in airflow_services.items():
        url = urlsplit(env_of(svc).get("AIRFLOW__CORE__EXECUTION_API_SERVER_URL", ""))
        assert url.hostname == "airflow-apiserver", f"{name}: execution API host is {url.hostname!r}"
        assert url.port in container_ports(apiserver), (
            f"{name}: execution API port {url.port} is not a port the api-server listens on"
        )
        assert url.path == "/execution/", f"{name}: execution API path is {url.path!r}"


def test_dags_folder_mount_matches_setting(airflow_services):
    for name, svc in airflow_services.items():
        dags_folder = env_of(svc).get("AIRFLOW__CORE__DAGS_FOLDER")
        assert dags_folder, f"{name} lacks AIRFLOW__CORE__DAGS_FOLDER"
        sources = [src for src, target in volume_mounts(svc) if target.rstrip("/") == dags_folder.rstrip("/")]
        assert sources, f"{name}: nothing is mounted at AIRFLOW__CORE__DAGS_FOLDER={dags_folder}"
        assert (ROOT / sources[0]).resolve() == (ROOT / "dags").resolve(), (
            f"{name}: {dags_folder} is mounted from {sources[0]!r}, not the repo's dags/"
        )


def test_pipeline_data_dir_is_a_named_volume(compose, airflow_services):
    for name, svc in airflow_services.items():
        data_dir = env_of(svc).get("PIPELINE_DATA_DIR")
        assert data_dir, f"{name} lacks PIPELINE_DATA_DIR"
        sources = [src for src, target in volume_mounts(svc) if target.rstrip("/") == data_dir.rstrip("/")]
        assert sources and not is_bind_source(sources[0]), f"{name}: {data_dir} is not on a named volume"


# --- the lake on MinIO, and scaling the workers ---------------------------------------------


def example_env() -> dict[str, str]:
    lines = (ROOT / "example.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.lstrip().startswith("#"))


def resolve(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?msg} interpolation, with ``env`` as .env."""

    def one(match: re.Match) -> str:
        var, op, arg = match["var"], match["op"], match["arg"]
        if env.get(var):
            return env[var]
        assert op in (":-", "-"), f"${{{var}}} is required but unset"
        return arg

    return re.sub(r"(?<!\$)\$\{(?P<var>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}", one, value)


def test_minio_keeps_its_data_on_a_named_volume_and_reports_health(compose, services):
    minio = services["minio"]
    assert minio["image"].split(":")[0] == "minio/minio"
    assert minio["command"].split()[:2] == ["server", "/data"]
    sources = [src for src, target in volume_mounts(minio) if target == "/data"]
    assert sources and not is_bind_source(sources[0]) and sources[0] in (compose.get("volumes") or {})
    assert minio["healthcheck"]["test"][1:] == ["mc", "ready", "local"]
    for key in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"):
        match = INTERPOLATION_RE.match(env_of(minio)[key])
        assert match and match["var"] == key and match["op"] in (None, ":?", "?"), f"minio: {key} must come from .env"
    for port in minio.get("ports") or []:
        assert str(port).startswith("127.0.0.1:"), f"minio publishes {port} beyond the loopback interface"


def test_minio_init_creates_the_bucket_the_lake_lives_in(services, airflow_services):
    init = services["minio-init"]
    assert init["image"].split(":")[0] == "minio/mc"
    assert init["depends_on"]["minio"]["condition"] == "service_healthy"
    assert init.get("restart") == "no"
    command = "\n".join(init["command"])
    assert (
        "mc alias set lake http://minio:9000" in command and 'mc mb --ignore-existing "lake/$${LAKE_BUCKET}"' in command
    )
    env = example_env()
    bucket = resolve(env_of(init)["LAKE_BUCKET"], env)
    for key in ("MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD"):
        assert env_of(init)[key] == env_of(services["minio"])[key]
    for name, svc in airflow_services.items():
        for key in ("PIPELINE_LAKE_URI", "PIPELINE_QUARANTINE_URI", "PIPELINE_HISTORY_URI", "PIPELINE_PUBLISH_URI"):
            url = urlsplit(resolve(env_of(svc)[key], env))
            assert (url.scheme, url.hostname) == ("s3", bucket), f"{name}: {key} is not in the bucket minio-init makes"
        assert svc["depends_on"]["minio-init"]["condition"] == "service_completed_successfully", name


def test_airflow_services_reach_the_lake_with_minios_credentials(services, airflow_services):
    from pipeline.config import Settings

    env = example_env()
    minio_env = env_of(services["minio"])
    for name, svc in airflow_services.items():
        svc_env = env_of(svc)
        endpoint = urlsplit(resolve(svc_env["PIPELINE_S3__ENDPOINT_URL"], env))
        assert endpoint.hostname in services and services[endpoint.hostname]["image"].startswith("minio/minio")
        assert endpoint.port == 9000
        assert svc_env["PIPELINE_S3__ACCESS_KEY_ID"] == minio_env["MINIO_ROOT_USER"], name
        assert svc_env["PIPELINE_S3__SECRET_ACCESS_KEY"] == minio_env["MINIO_ROOT_PASSWORD"], name
        # the names are the pipeline's real settings, and they parse
        pipeline_env = {k: resolve(v, env) for k, v in svc_env.items() if k.startswith("PIPELINE_")}
        settings = _settings_from(pipeline_env, Settings)
        assert settings.lake_uri.startswith("s3://") and settings.s3.endpoint_url == "http://minio:9000"
        assert settings.s3.secret_access_key.get_secret_value() == env["MINIO_ROOT_PASSWORD"]
        dsn = urlsplit(settings.lock.postgres_dsn.get_secret_value())
        assert dsn.hostname in services and services[dsn.hostname]["image"].startswith("postgres:"), name


def _settings_from(env: dict[str, str], settings_class):
    saved = {k: v for k, v in os.environ.items() if k.startswith("PIPELINE_")}
    try:
        for key in saved:
            del os.environ[key]
        os.environ.update(env)
        return settings_class()
    finally:
        for key in env:
            os.environ.pop(key, None)
        os.environ.update(saved)


def test_the_worker_can_be_scaled(services):
    # `docker compose up --scale airflow-worker=4`: no fixed name, hostname or host port to collide on,
    # and no state of its own beyond named volumes every replica shares
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "hostname" not in worker
    assert not worker.get("ports"), "a scaled service cannot publish one host port"
    assert all(not is_bind_source(src) or src == "./dags" for src, _ in volume_mounts(worker))


# --- secrets and volumes ----------------------------------------------------------------


def test_no_literal_secret_values(services):
    postgres_password = env_of(services["postgres"]).get("POSTGRES_PASSWORD")
    for name, svc in services.items():
        for key, value in env_of(svc).items():
            # *_FILE settings name where a secret lives, they are not secrets.
            if SECRET_KEY_RE.search(key) and not key.endswith("_FILE") and value:
                if name == "postgres" and key == "POSTGRES_PASSWORD":
                    # Throwaway credentials of the bundled DB; allowed only while
                    # it is unreachable from outside the compose network.
                    assert not services["postgres"].get("ports"), "postgres must not publish a port"
                    continue
                match = INTERPOLATION_RE.match(value)
                assert match, f"{name}: {key} is a literal value; take it from .env"
                if match["op"] in (":-", "-"):
                    assert not match["arg"], f"{name}: {key} has a literal default {match['arg']!r}"
            # Passwords embedded in URLs may only be the bundled postgres one.
            url_password = urlsplit(value).password if "://" in value else None
            if url_password:
                assert urlsplit(value).hostname == "postgres" and url_password == postgres_password, (
                    f"{name}: {key} embeds a password"
                )


def test_every_named_volume_is_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, svc in services.items():
        for source, target in volume_mounts(svc):
            if source and not is_bind_source(source):
                assert source in declared, f"{name} mounts undeclared volume {source!r} at {target}"


def test_bind_mounts_are_repo_relative(services):
    for name, svc in services.items():
        for source, _target in volume_mounts(svc):
            if is_bind_source(source):
                assert source.startswith("./"), f"{name}: host-specific bind mount {source!r}"
                assert (ROOT / source).resolve().is_relative_to(ROOT), f"{name}: {source!r} leaves the repo"


def test_example_env_defines_every_compose_variable():
    referenced = set(REFERENCED_VAR_RE.findall(COMPOSE_FILE.read_text()))
    lines = (ROOT / "example.env").read_text().splitlines()
    defined = {line.split("=", 1)[0].strip() for line in lines if "=" in line and not line.lstrip().startswith("#")}
    missing = referenced - defined
    assert not missing, f"example.env does not define {sorted(missing)}"


# --- Dockerfile ---------------------------------------------------------------------------


def test_dockerfile_from_pins_airflow_version_of_pyproject():
    pin = pyproject_airflow_pin()
    requires_python = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    stages: set[str] = set()
    images = []
    for keyword, rest in dockerfile_instructions():
        if keyword != "FROM":
            continue
        tokens = [t for t in rest.split() if not t.startswith("--")]
        if len(tokens) == 3 and tokens[1].upper() == "AS":
            stages.add(tokens[2].lower())
        if tokens[0].lower() not in stages:
            images.append(tokens[0])
    assert images, "Dockerfile has no FROM"
    for image in images:
        m = re.fullmatch(r"apache/airflow:(?P<version>\d+\.\d+\.\d+)(?:-python(?P<py>3\.\d+))?", image)
        assert m, f"FROM {image} is not a pinned apache/airflow:X.Y.Z[-python3.N] image"
        assert m["version"] == "3.3.2" == pin, f"FROM {image} but pyproject.toml pins apache-airflow=={pin}"
        if m["py"]:
            assert m["py"] + ".0" in SpecifierSet(requires_python), f"{image} is outside {requires_python}"


def test_dockerfile_pip_keeps_pyproject_airflow_version():
    pin = pyproject_airflow_pin()
    runs = " ".join(rest for keyword, rest in dockerfile_instructions() if keyword == "RUN")
    pip_pins = re.findall(r"apache-airflow==([\w.]+)", runs)
    assert pip_pins, "Dockerfile never pins apache-airflow==X in pip install"
    assert set(pip_pins) == {pin}, f"Dockerfile pins {pip_pins}, pyproject.toml pins {pin}"
    lock = tomllib.loads((ROOT / "uv.lock").read_text())
    locked = {p["version"] for p in lock["package"] if p["name"] == "apache-airflow"}
    assert locked == {pin}, f"uv.lock has apache-airflow {locked}, pyproject.toml pins {pin}"


def test_dockerfile_copies_exactly_the_design_layout_and_it_exists():
    sources = dockerfile_copy_sources()
    normalized = {src.rstrip("/") for src in sources}
    outside = normalized - DESIGN_LAYOUT
    assert not outside, f"Dockerfile COPYs paths outside the design layout: {sorted(outside)}"
    missing_from_image = DESIGN_LAYOUT - normalized
    assert not missing_from_image, f"Dockerfile never COPYs {sorted(missing_from_image)}"
    absent = sorted(src for src in normalized if not (ROOT / src).exists())
    assert not absent, f"Dockerfile COPYs paths that do not exist in the repo: {absent}"


def test_dockerignore_excludes_local_state_but_not_copied_paths():
    patterns = [
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "!"))
    ]
    for required in (".venv", ".git", ".env", "data"):
        assert required in patterns, f".dockerignore must exclude {required}"
    for src in dockerfile_copy_sources():
        src = src.rstrip("/")
        hits = [p for p in patterns if fnmatch.fnmatch(src, p) or fnmatch.fnmatch(src, p.removeprefix("**/"))]
        assert not hits, f".dockerignore pattern(s) {hits} would hide COPY source {src}"


# --- the real compose parser, when available -------------------------------------------


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


@pytest.mark.skipif(not _docker_compose_available(), reason="no docker compose plugin")
def test_docker_compose_config_is_valid(tmp_path):
    env = dict(os.environ)
    # Every variable compose requires (`${VAR:?...}`) gets a dummy value.
    for var in REFERENCED_VAR_RE.findall(COMPOSE_FILE.read_text()):
        env.setdefault(var, "x")
    env["AIRFLOW_JWT_SECRET"] = "x"
    result = subprocess.run(
        # --env-file /dev/null: ignore a developer's local .env
        ["docker", "compose", "--env-file", os.devnull, "-f", str(COMPOSE_FILE), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
