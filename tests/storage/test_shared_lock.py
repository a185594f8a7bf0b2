"""The lake's commit step across hosts: two processes (separate data dirs, so separate flocks, as on two
hosts) contend for the shared lock, an S3 lease object on moto or a PostgreSQL advisory lock."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from s3_helpers import subprocess_env

from pipeline.config import LockSettings
from pipeline.run import collect_inputs
from pipeline.storage.lake import dataset_files
from pipeline.storage.layout import DataLayout
from pipeline.storage.lock import LockTimeoutError
from pipeline.storage.shared_lock import LeaseLostError, ObjectLease, lake_commit_lock, lock_key

PG_DSN = os.environ.get("PIPELINE_TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")

HOLDER = textwrap.dedent(
    """
    import json, sys, time
    from pipeline.config import Settings
    from pipeline.storage.layout import DataLayout
    from pipeline.storage.shared_lock import lake_commit_lock

    out, rounds, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    settings = Settings()
    lake = DataLayout.of(settings).lake
    with open(out, "w") as handle:
        for _ in range(rounds):
            with lake_commit_lock(settings, lake) as guard:
                start = time.time()
                time.sleep(hold)
                guard.check()
                end = time.time()
            handle.write(json.dumps([start, end, guard.kind]) + "\\n")
            handle.flush()
    """
)

LANDER = textwrap.dedent(
    """
    import json, sys
    from pipeline.config import Settings
    from pipeline.run import collect_inputs, land_sources

    if __name__ == "__main__":  # landing workers are spawned: they import this file again
        report = land_sources(collect_inputs(["sample"]), Settings())
        print(json.dumps([f.source_file for f in report.files if not f.skipped]))
    """
)


def _postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(PG_DSN, connect_timeout=3).close()
        return True
    except Exception:
        return False


def _run_two(script: str, tmp_path, settings_pair, *args: str, env=({}, {})) -> list[subprocess.CompletedProcess]:
    path = tmp_path / "script.py"
    path.write_text(script)
    procs = [
        subprocess.Popen(
            [sys.executable, str(path), *[a.format(i=i) for a in args]],
            env=subprocess_env(settings, **env[i]),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, settings in enumerate(settings_pair)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(subprocess.CompletedProcess(proc.args, proc.returncode, out, err))
    return results


@pytest.mark.parametrize("kind", ["s3-lease", "postgres"])
def test_two_processes_never_hold_the_commit_lock_at_once(s3_server, tmp_path, kind):
    if kind == "postgres" and not _postgres_available():
        pytest.skip(f"no PostgreSQL at {PG_DSN}")
    bucket = s3_server.new_bucket()
    lock = LockSettings(lease_seconds=1, postgres_dsn=PG_DSN if kind == "postgres" else None)
    pair = [s3_server.lake_settings(tmp_path / f"host-{i}", bucket, lock=lock) for i in range(2)]
    hold = "1.5" if kind == "s3-lease" else "0.5"  # the lease is held past its ttl: renewals keep it
    _run_two(HOLDER, tmp_path, pair, str(tmp_path / "held-{i}.jsonl"), "3", hold)

    spans = []
    for i in range(2):
        lines = (tmp_path / f"held-{i}.jsonl").read_text().splitlines()
        spans += [(*json.loads(line)[:2], i) for line in lines]
        assert len(lines) == 3 and all(json.loads(line)[2] == kind for line in lines)
    spans.sort()
    assert all(earlier[1] <= later[0] for earlier, later in zip(spans, spans[1:], strict=False)), spans
    assert {owner for *_, owner in spans} == {0, 1}


def test_two_hosts_landing_the_same_inputs_commit_each_once(s3_server, tmp_path):
    bucket = s3_server.new_bucket()
    pair = [s3_server.lake_settings(tmp_path / f"host-{i}", bucket) for i in range(2)]
    # the second "host" stages in two worker processes (spawned, each with its own S3 client)
    results = _run_two(LANDER, tmp_path, pair, env=[{}, {"PIPELINE_WORKERS": "2", "PIPELINE_PARALLEL_MIN_BYTES": "0"}])
    landed = [set(json.loads(r.stdout.strip().splitlines()[-1])) for r in results]
    everything = {item.source_file for item in collect_inputs(["sample"])}
    assert landed[0] | landed[1] == everything and not landed[0] & landed[1]
    lake = DataLayout.of(pair[0]).lake
    assert len(dataset_files(lake)) == len(everything)
    assert lake.sweep_leftovers(max_age_seconds=0) == []  # the loser's copies were dropped, not left behind


def test_a_live_lease_times_out_a_contender_and_a_lost_lease_stops_the_holder(s3_settings):
    lake = DataLayout.of(s3_settings).lake
    with ObjectLease(lake, ttl_seconds=1, timeout_seconds=5) as holder:
        started = time.monotonic()
        with pytest.raises(LockTimeoutError, match=holder.owner):
            ObjectLease(lake, ttl_seconds=1, timeout_seconds=1.5).acquire()  # renewed every 1/3 s: never stale
        assert time.monotonic() - started >= 1.5
        holder.check()
        lake.fs.pipe_file(holder.path, b'{"owner": "someone else"}')  # as if taken over after a stall
        time.sleep(1.0)
        with pytest.raises(LeaseLostError):
            holder.check()
    assert lake.fs.exists(holder.path)  # a lost lease is not the holder's to delete


def test_a_local_lake_needs_only_the_flock(settings):
    configured = settings.model_copy(update={"lock": LockSettings(postgres_dsn="host=nowhere")})
    with lake_commit_lock(configured, DataLayout.of(configured).lake) as guard:  # never connects
        assert guard.kind == "none"
    assert lock_key("s3://a/lake") != lock_key("s3://b/lake")


def test_waiting_too_long_or_losing_the_lease_is_retried_not_failed_for_good():
    from pipeline.requests.process import is_transient

    assert is_transient(LockTimeoutError("held too long")) and is_transient(LeaseLostError("taken over"))
