"""Ring the doorbell: publish an envelope on a Redis pub/sub channel so the
Airflow ``AssetWatcher`` starts a run now instead of at the next sweep.

Pub/sub is lossy (nobody listening = message gone), so a doorbell is only a
hint. Whoever rings should file the request in the :class:`RequestLog` first;
apps that can only publish may put a full envelope in the message, and the DAG
files it into the log before it processes the log (filing is idempotent).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from pipeline.errors import PipelineError
from pipeline.requests.envelope import EventRequest, InvalidEnvelopeError, ProfileRequest, parse_envelope
from pipeline.requests.log import AddResult, RequestLog

# Defaults of ``Settings.requests`` (PIPELINE_REQUESTS__REQUESTS_CHANNEL, …__EVENTS_CHANNEL, …__REDIS_URL).
REQUESTS_CHANNEL = "scholarly.requests"
EVENTS_CHANNEL = "scholarly.events"

log = logging.getLogger(__name__)


class DoorbellError(PipelineError):
    """The doorbell could not be rung (Redis unreachable). The durable log still has the request."""


def channel_for(envelope: ProfileRequest | EventRequest, settings=None) -> str:
    """The requests channel for profile requests, the events channel for platform events
    (``scholarly.requests`` / ``scholarly.events`` unless ``settings.requests`` says otherwise)."""
    if settings is not None:
        return settings.requests.events_channel if envelope.kind == "event" else settings.requests.requests_channel
    return EVENTS_CHANNEL if envelope.kind == "event" else REQUESTS_CHANNEL


def ring(
    redis_url: str,
    channel: str | None,
    envelope: ProfileRequest | EventRequest | Mapping[str, Any] | str,
    *,
    timeout_seconds: float = 5.0,
    settings=None,
) -> int:
    """Publish ``envelope`` (a model, a dict or JSON text) on ``channel`` (default: the envelope's channel).
    Returns how many subscribers received it; 0 is normal when no watcher is listening."""
    import redis

    if isinstance(envelope, ProfileRequest | EventRequest):
        channel = channel or channel_for(envelope, settings)
        message = envelope.to_json()
    elif isinstance(envelope, Mapping):
        message = json.dumps(dict(envelope), default=str)
    else:
        message = str(envelope)
    if not channel:
        raise DoorbellError("no doorbell channel given; use scholarly.requests or scholarly.events")
    client = redis.Redis.from_url(redis_url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds)
    try:
        return int(client.publish(channel, message))
    except redis.RedisError as exc:
        raise DoorbellError(
            f"could not ring the doorbell on {channel} at {_safe(redis_url)} ({' '.join(str(exc).split())}); "
            "the request is still in the log and the next sweep will process it"
        ) from None
    finally:
        client.close()


def doorbell_payloads(triggering_asset_events: Mapping[Any, Iterable[Any]] | None) -> list[str]:
    """The raw message texts in an asset-triggered run's ``triggering_asset_events``
    (``extra={"from_trigger": True, "payload": {"data": "..."}}``); other events are skipped."""
    payloads = []
    for events in (triggering_asset_events or {}).values():
        for event in events:
            extra = getattr(event, "extra", None) or {}
            payload = extra.get("payload") if isinstance(extra, Mapping) else None
            data = payload.get("data") if isinstance(payload, Mapping) else None
            if isinstance(data, bytes):
                data = data.decode("utf-8", errors="replace")
            if isinstance(data, str):
                payloads.append(data)
    return payloads


def file_doorbell_payloads(request_log: RequestLog, payloads: Iterable[str | bytes]) -> list[AddResult]:
    """File every payload that is a valid envelope into the log (idempotent). Anything else, such as an
    empty ping or a foreign message, is only a doorbell: logged and ignored."""
    results = []
    for payload in payloads:
        try:
            envelope = parse_envelope(payload)
        except InvalidEnvelopeError as exc:
            log.info("doorbell payload is not an envelope, treating it as a plain ring: %s", exc)
            continue
        results.append(request_log.add(envelope))
    return results


def _safe(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
