#!/usr/bin/env bash
# Make sure the local PostgreSQL the end-to-end tests use is up, starting it
# the way this machine kind documents if it has stopped. Redis is started too:
# it is the event bus of the event-driven DAGs.
set -u

pg_up() { pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; }
redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! pg_up; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it"
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
pg_up || { echo "error: PostgreSQL is needed on 127.0.0.1:5432 (trust auth, user postgres) for the Airflow e2e test" >&2; exit 1; }

if command -v redis-cli >/dev/null 2>&1 && ! redis_up && command -v redis-server >/dev/null 2>&1; then
  echo "Redis is not answering on 127.0.0.1:6379; starting it"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
redis_up || { echo "error: Redis is needed on 127.0.0.1:6379 (the event bus of the event-driven DAGs and their e2e test)" >&2; exit 1; }
echo "services: postgres up, redis up"
