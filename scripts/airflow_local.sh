#!/usr/bin/env bash
# `make airflow`: a local Airflow 3 for this repo. The metadata DB is the `airflow`
# database in the local PostgreSQL, Redis (127.0.0.1:6379) is the event bus, and
# api-server, scheduler, dag-processor and triggerer run under LocalExecutor with
# AIRFLOW_HOME=.airflow. Ctrl-C stops them all.
#
# Overrides: AIRFLOW_PORT (8080), AIRFLOW_DB (airflow), AIRFLOW_PG (host=127.0.0.1
# port=5432 user=postgres), PIPELINE_REQUESTS__REDIS_URL (redis://127.0.0.1:6379/0),
# AIRFLOW_PARALLELISM (4), AIRFLOW_LOCAL_HOME (.airflow), AIRFLOW_LOG_PORTS ("8793 8794").
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
VENV_BIN="$REPO/.venv/bin"
[[ -x "$VENV_BIN/airflow" ]] || { echo "error: $VENV_BIN/airflow is missing; run 'make install' first" >&2; exit 1; }

PORT="${AIRFLOW_PORT:-8080}"
DB="${AIRFLOW_DB:-airflow}"
PG="${AIRFLOW_PG:-host=127.0.0.1 port=5432 user=postgres}"
REDIS_URL="${PIPELINE_REQUESTS__REDIS_URL:-redis://127.0.0.1:6379/0}"
HOME_DIR="${AIRFLOW_LOCAL_HOME:-$REPO/.airflow}"
read -r WORKER_LOG_PORT TRIGGER_LOG_PORT <<<"${AIRFLOW_LOG_PORTS:-8793 8794}"
LOGS="$HOME_DIR/logs/components"
SESSION="airflow-local-$$"
mkdir -p "$LOGS"

# Components spawn `airflow` children (task runners, DAG parsers): the venv must come first on PATH.
export PATH="$VENV_BIN:$PATH" VIRTUAL_ENV="$REPO/.venv" PYTHONUNBUFFERED=1
export AIRFLOW_LOCAL_SESSION="$SESSION"  # marks every process we start, so Ctrl-C finds them all
export AIRFLOW_HOME="$HOME_DIR"
export AIRFLOW__CORE__DAGS_FOLDER="$REPO/dags"
export AIRFLOW__CORE__LOAD_EXAMPLES=False
export AIRFLOW__CORE__EXECUTOR=LocalExecutor
export AIRFLOW__CORE__PARALLELISM="${AIRFLOW_PARALLELISM:-4}"
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN="postgresql+psycopg2://postgres@127.0.0.1:5432/$DB"
export AIRFLOW__API__HOST=127.0.0.1
export AIRFLOW__API__PORT="$PORT"
export AIRFLOW__API__WORKERS=1
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$PORT/execution/"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin"
export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE="$HOME_DIR/simple_auth_manager_passwords.json.generated"
export AIRFLOW_CONN_REDIS_DEFAULT="$REDIS_URL"
export PIPELINE_REQUESTS__REDIS_URL="$REDIS_URL"
export AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT="$WORKER_LOG_PORT" AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT="$TRIGGER_LOG_PORT"
export PIPELINE_DATA_DIR="${PIPELINE_DATA_DIR:-$REPO/data}"

# One set of secrets for every component (tasks fail with "Signature verification failed" otherwise),
# kept across restarts so UI sessions survive.
SECRETS="$HOME_DIR/secrets.env"
if [[ ! -s "$SECRETS" ]]; then
  umask 077
  "$VENV_BIN/python" - >"$SECRETS" <<'PY'
import secrets
from cryptography.fernet import Fernet
print(f"export AIRFLOW__API_AUTH__JWT_SECRET={secrets.token_hex(32)}")
print(f"export AIRFLOW__API__SECRET_KEY={secrets.token_hex(16)}")
print(f"export AIRFLOW__CORE__FERNET_KEY={Fernet.generate_key().decode()}")
PY
  umask 022
fi
# shellcheck disable=SC1090
source "$SECRETS"

port_busy() { "$VENV_BIN/python" -c "import socket,sys; s=socket.socket(); sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1])))==0 else 1)" "$1"; }
if port_busy "$PORT"; then
  echo "error: port $PORT is taken (another Airflow?); stop it or run with AIRFLOW_PORT=8081" >&2
  exit 1
fi
for port in "$WORKER_LOG_PORT" "$TRIGGER_LOG_PORT"; do  # scheduler and triggerer log servers
  if port_busy "$port"; then
    echo "error: port $port (Airflow log server) is taken; stop the other Airflow first" >&2
    exit 1
  fi
done

if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || ! redis-cli -u "$REDIS_URL" ping >/dev/null 2>&1; then
  bash "$REPO/scripts/ensure_services.sh"
fi

echo "==> metadata database '$DB'"
"$VENV_BIN/python" - "$PG" "$DB" <<'PY'
import sys
import psycopg2
dsn, name = sys.argv[1], sys.argv[2]
con = psycopg2.connect(f"{dsn} dbname=postgres", connect_timeout=10)
con.autocommit = True
with con.cursor() as cur:
    cur.execute("select 1 from pg_database where datname = %s", (name,))
    if cur.fetchone():
        print(f"    exists")
    else:
        cur.execute(f'create database "{name}"')
        print(f"    created")
PY

echo "==> airflow db migrate"
airflow db migrate >"$LOGS/migrate.log" 2>&1 || { tail -30 "$LOGS/migrate.log" >&2; echo "error: migration failed (log: $LOGS/migrate.log)" >&2; exit 1; }

echo "==> pool openalex_api (2 slots)"
airflow pools set openalex_api 2 "OpenAlex API: at most 2 concurrent calls" >"$LOGS/setup.log" 2>&1 \
  || { tail -20 "$LOGS/setup.log" >&2; exit 1; }

echo "==> DAGs in dags/"
DAG_IDS="$("$VENV_BIN/python" - "$REPO/dags" 2>>"$LOGS/setup.log" <<'PY'
import sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
for path, error in bag.import_errors.items():
    print(f"import error in {path}: {error.strip().splitlines()[-1]}", file=sys.stderr)
print("DAG_IDS", *sorted(bag.dag_ids))
PY
)"
DAG_IDS="$(sed -n 's/^DAG_IDS *//p' <<<"$DAG_IDS")"  # Airflow logs to stdout too: keep only our line
if [[ -n "$DAG_IDS" ]]; then
  airflow dags reserialize >>"$LOGS/setup.log" 2>&1 || { tail -20 "$LOGS/setup.log" >&2; exit 1; }
  regex="^($(tr ' ' '|' <<<"$DAG_IDS"))\$"
  airflow dags unpause --treat-dag-id-as-regex -y "$regex" >>"$LOGS/setup.log" 2>&1 \
    || { tail -20 "$LOGS/setup.log" >&2; exit 1; }
  echo "    unpaused: $DAG_IDS"
else
  echo "    none found (see $LOGS/setup.log for import errors)"
fi

declare -A PIDS=()
stop_all() {
  trap - EXIT
  trap '' INT TERM  # a second Ctrl-C must not cut the shutdown short
  echo
  echo "==> stopping Airflow"
  for name in scheduler triggerer dag-processor api-server; do
    [[ -n "${PIDS[$name]:-}" ]] && kill -TERM -- "-${PIDS[$name]}" 2>/dev/null || true
  done
  for _ in $(seq 1 40); do
    alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    [[ $alive == 0 ]] && break
    sleep 0.5
  done
  for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  # Task processes run in process groups of their own: find them by the session marker.
  # (one grep over every environ file: two processes per pid took tens of seconds on a busy machine)
  for environ in $(grep -lzx "AIRFLOW_LOCAL_SESSION=$SESSION" /proc/[0-9]*/environ 2>/dev/null); do
    pid="${environ#/proc/}"; pid="${pid%/environ}"
    [[ "$pid" == "$$" ]] && continue
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  echo "    stopped (logs in $LOGS)"
}
trap stop_all EXIT
trap 'exit 130' INT TERM  # exit runs the EXIT trap: stop_all, once

start() {  # start NAME ARGS...: its own process group (setsid), log to $LOGS/NAME.log
  local name="$1"
  shift
  setsid airflow "$@" >>"$LOGS/$name.log" 2>&1 </dev/null &
  PIDS[$name]=$!
}

echo "==> starting api-server, scheduler, dag-processor, triggerer (parallelism $AIRFLOW__CORE__PARALLELISM)"
start api-server api-server --host 127.0.0.1 --port "$PORT"
start scheduler scheduler
start dag-processor dag-processor
start triggerer triggerer

for _ in $(seq 1 120); do
  curl -fsS "http://127.0.0.1:$PORT/api/v2/version" >/dev/null 2>&1 && break
  kill -0 "${PIDS[api-server]}" 2>/dev/null || { tail -30 "$LOGS/api-server.log" >&2; echo "error: api-server died" >&2; exit 1; }
  sleep 1
done
curl -fsS "http://127.0.0.1:$PORT/api/v2/version" >/dev/null || { echo "error: api-server did not answer in 120s" >&2; exit 1; }

PASSWORD="$("$VENV_BIN/python" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("admin", "?"))' \
  "$AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" 2>/dev/null || echo "?")"
cat <<EOF

  Airflow UI   http://127.0.0.1:$PORT
  login        admin / $PASSWORD   (from $AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE)
  logs         $LOGS/{api-server,scheduler,dag-processor,triggerer}.log
  event bus    $REDIS_URL   (pipeline request add A5023888391)

  Ctrl-C stops everything.
EOF

while sleep 2; do
  for name in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      echo "error: $name exited; last lines of $LOGS/$name.log:" >&2
      tail -20 "$LOGS/$name.log" >&2
      exit 1
    fi
  done
done
