"""``pipeline request add|event|list`` through typer's runner."""

from __future__ import annotations

import json
import uuid

import redis
from typer.testing import CliRunner

from pipeline.requests.cli import request_app
from pipeline.requests.log import RequestLog, request_log_path

runner = CliRunner()
REDIS_URL = "redis://127.0.0.1:6379/0"


def test_add_files_each_target_once_and_rings_the_doorbell(tmp_path):
    data_dir = tmp_path / "data"
    client = redis.Redis.from_url(REDIS_URL)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe("scholarly.requests")
    pubsub.get_message(timeout=1)
    try:
        result = runner.invoke(
            request_app, ["add", "A5023888391", "orcid:0000-0002-1825-0097", "--data-dir", str(data_dir)]
        )
        assert result.exit_code == 0, result.output
        assert "filed #1 profile A5023888391" in result.output and "rang the doorbell" in result.output
        received = []
        for _ in range(50):
            message = pubsub.get_message(timeout=0.1)
            if message:
                received.append(json.loads(message["data"]))
            if len(received) >= 2:
                break
        # other runs may publish on the shared channel too: look for ours
        assert {"A5023888391", "orcid:0000-0002-1825-0097"} <= {m.get("target") for m in received}
    finally:
        pubsub.close()
        client.close()

    again = runner.invoke(request_app, ["add", "a5023888391", "--data-dir", str(data_dir), "--no-doorbell"])
    assert again.exit_code == 0 and "already filed #1" in again.output
    assert RequestLog(request_log_path(data_dir)).pending_count("profile") == 2


def test_add_refuses_a_bad_orcid_without_filing_anything(tmp_path):
    result = runner.invoke(
        request_app, ["add", "A1", "orcid:0000-0002-1825-0098", "--data-dir", str(tmp_path), "--no-doorbell"]
    )
    assert result.exit_code == 1
    assert "wrong check digit" in result.output
    assert RequestLog(request_log_path(tmp_path)).pending_count() == 0


def test_a_dead_redis_only_warns_the_request_is_filed(tmp_path):
    result = runner.invoke(
        request_app, ["add", "A1", "--data-dir", str(tmp_path), "--redis-url", "redis://127.0.0.1:1/0"]
    )
    assert result.exit_code == 0, result.output
    assert "warning" in result.output and "next sweep" in result.output


def test_event_and_list(tmp_path):
    event_id = f"e-{uuid.uuid4().hex}"
    args = ["event", "author.followed", "A5023888391", "--actor", "u-7", "--event-id", event_id]
    args += ["--occurred-at", "2026-01-01T12:00:00Z", "--data-dir", str(tmp_path), "--no-doorbell"]
    assert runner.invoke(request_app, args).exit_code == 0
    assert "already filed" in runner.invoke(request_app, args).output

    bad = runner.invoke(request_app, ["event", "author.liked", "A1", "--data-dir", str(tmp_path), "--no-doorbell"])
    assert bad.exit_code == 1 and "must be one of" in bad.output

    listed = runner.invoke(
        request_app, ["list", "--data-dir", str(tmp_path), "--format", "json", "--status", "pending"]
    )
    rows = json.loads(listed.output)
    assert [(r["kind"], r["key"], r["status"]) for r in rows] == [("event", event_id, "pending")]
    assert rows[0]["envelope"]["event"]["actor_id"] == "u-7"

    table = runner.invoke(request_app, ["list", "--data-dir", str(tmp_path)])
    assert table.exit_code == 0 and "1 request(s)" in table.output and "pending" in table.output
    assert (
        "no requests with status done"
        in runner.invoke(request_app, ["list", "--data-dir", str(tmp_path), "--status", "done"]).output
    )
