"""The doorbell publishes to the real Redis on 127.0.0.1:6379; a payload that is
an envelope is filed into the log, anything else is only a ring."""

from __future__ import annotations

import json
import os
import time
import uuid
from types import SimpleNamespace

import pytest
import redis

from pipeline.requests.doorbell import (
    EVENTS_CHANNEL,
    REQUESTS_CHANNEL,
    DoorbellError,
    channel_for,
    doorbell_payloads,
    file_doorbell_payloads,
    ring,
)
from pipeline.requests.envelope import event_request, profile_request
from pipeline.requests.log import RequestLog

REDIS_URL = os.environ.get("PIPELINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def subscriber():
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is needed at {REDIS_URL} (make services starts it)")
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    yield pubsub
    pubsub.close()
    client.close()


def _next_message(pubsub, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.2)
        if message is not None:
            return message
    raise AssertionError(f"no message within {timeout}s")


def test_ring_publishes_the_envelope_to_a_subscriber(subscriber):
    channel = f"test.requests.{uuid.uuid4().hex}"  # unique: parallel test runs do not hear each other
    subscriber.subscribe(channel)
    _ = subscriber.get_message(timeout=1)  # wait for the subscription to be live
    envelope = profile_request("A5023888391", requested_by="test")
    receivers = ring(REDIS_URL, channel, envelope)
    message = _next_message(subscriber)
    assert receivers == 1
    assert message["channel"].decode() == channel
    assert json.loads(message["data"]) == json.loads(envelope.to_json())


def test_ring_accepts_plain_dicts_and_text(subscriber):
    channel = f"test.events.{uuid.uuid4().hex}"
    subscriber.subscribe(channel)
    _ = subscriber.get_message(timeout=1)
    ring(REDIS_URL, channel, {"ping": 1})
    ring(REDIS_URL, channel, "ding")
    assert json.loads(_next_message(subscriber)["data"]) == {"ping": 1}
    assert _next_message(subscriber)["data"] == b"ding"


def test_ring_with_nobody_listening_reaches_nobody():
    assert ring(REDIS_URL, f"test.nobody.{uuid.uuid4().hex}", profile_request("A1")) == 0


def test_channels_by_kind():
    assert channel_for(profile_request("A1")) == REQUESTS_CHANNEL == "scholarly.requests"
    assert channel_for(event_request("author.claimed", "A1", event_id="e")) == EVENTS_CHANNEL == "scholarly.events"


def test_an_unreachable_redis_is_one_clear_line():
    with pytest.raises(DoorbellError) as caught:
        ring("redis://127.0.0.1:1/0", "scholarly.requests", profile_request("A1"), timeout_seconds=1)
    message = str(caught.value)
    assert "still in the log" in message and "\n" not in message


def test_doorbell_payloads_that_are_envelopes_are_filed_once(tmp_path):
    log = RequestLog(tmp_path / "requests.sqlite")
    envelope = profile_request("A5023888391", requested_by="publish-only-app")
    event = SimpleNamespace(extra={"from_trigger": True, "payload": {"channel": "c", "data": envelope.to_json()}})
    ping = SimpleNamespace(extra={"from_trigger": True, "payload": {"channel": "c", "data": "ding"}})
    manual = SimpleNamespace(extra={})
    payloads = doorbell_payloads({"asset": [event, ping, manual, event]})
    assert payloads == [envelope.to_json(), "ding", envelope.to_json()]
    results = file_doorbell_payloads(log, payloads)
    assert [r.new for r in results] == [True, False]
    assert [r.key for r in log.list()] == ["A5023888391"]
