"""The version-1 JSON envelope: what apps may send, and the messages they get when it is wrong."""

from __future__ import annotations

import json

import pytest

from pipeline.errors import PipelineError
from pipeline.requests.envelope import (
    EventRequest,
    InvalidEnvelopeError,
    ProfileRequest,
    event_request,
    normalize_target,
    orcid_check_digit,
    parse_envelope,
    profile_request,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("A5023888391", "A5023888391"),
        ("a5023888391", "A5023888391"),
        ("https://openalex.org/A5023888391", "A5023888391"),
        ("orcid:0000-0002-1825-0097", "orcid:0000-0002-1825-0097"),
        ("https://orcid.org/0000-0002-1694-233X", "orcid:0000-0002-1694-233X"),
        ("orcid:0000-0002-1694-233x", "orcid:0000-0002-1694-233X"),
    ],
)
def test_targets_are_normalised(raw, expected):
    assert normalize_target(raw) == expected
    assert profile_request(raw).target == expected


def test_orcid_check_digit_follows_iso_7064():
    assert orcid_check_digit("000000021825009") == "7"
    assert orcid_check_digit("000000021694233") == "X"


def test_bad_orcid_check_digit_is_rejected_with_a_clear_message():
    with pytest.raises(InvalidEnvelopeError) as caught:
        profile_request("orcid:0000-0002-1825-0098")
    message = str(caught.value)
    assert "wrong check digit" in message and "expected 7, got 8" in message
    assert "\n" not in message
    assert isinstance(caught.value, PipelineError)


@pytest.mark.parametrize("raw", ["", "W2741809807", "A12x", "0000-0002-1825-0097", "orcid:0000-0002-1825"])
def test_targets_that_are_neither_author_ids_nor_orcids_are_rejected(raw):
    with pytest.raises(InvalidEnvelopeError, match="neither an OpenAlex author id"):
        profile_request(raw)


def test_profile_envelope_round_trips_through_json():
    envelope = profile_request("A5023888391", requested_by="app-x")
    data = json.loads(envelope.to_json())
    assert data["version"] == 1 and data["kind"] == "profile" and data["target"] == "A5023888391"
    assert data["requested_by"] == "app-x" and data["requested_at"].endswith("Z")
    assert parse_envelope(envelope.to_json()) == envelope


def test_the_documented_examples_parse():
    profile = parse_envelope(
        '{"version":1,"kind":"profile","target":"A5023888391","requested_by":"app-x",'
        '"requested_at":"2026-01-01T12:00:00Z"}'
    )
    assert isinstance(profile, ProfileRequest) and profile.dedupe_key == "A5023888391"
    event = parse_envelope(
        {
            "version": 1,
            "kind": "event",
            "event": {
                "event_id": "e-1",
                "type": "author.followed",
                "author_id": "https://openalex.org/A5023888391",
                "actor_id": "u-7",
                "occurred_at": "2026-01-01T11:59:00+01:00",
            },
        }
    )
    assert isinstance(event, EventRequest) and event.dedupe_key == "e-1"
    assert event.event.author_id == "A5023888391"
    assert event.event.occurred_at.isoformat() == "2026-01-01T10:59:00"  # naive UTC, like the lake


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"kind":"profile","target":"A1"}', "unsupported envelope version None"),
        ('{"version":2,"kind":"profile","target":"A1"}', "unsupported envelope version 2"),
        ('{"version":1,"kind":"refresh","target":"A1"}', "kind 'refresh'"),
        ('{"version":1,"kind":"profile","target":"orcid:0000-0002-1825-0098"}', "wrong check digit"),
        (
            '{"version":1,"kind":"event","event":{"event_id":"e","type":"author.liked","author_id":"A1",'
            '"occurred_at":"2026-01-01T00:00:00Z"}}',
            "must be one of author.claimed",
        ),
        (
            '{"version":1,"kind":"event","event":{"type":"author.claimed","author_id":"A1",'
            '"occurred_at":"2026-01-01T00:00:00Z"}}',
            "event_id",
        ),
    ],
)
def test_invalid_envelopes_say_what_is_wrong(payload, fragment):
    with pytest.raises(InvalidEnvelopeError) as caught:
        parse_envelope(payload)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_event_request_defaults_the_time_and_rejects_bad_types():
    envelope = event_request("author.claimed", "A5023888391", event_id="e-9", actor_id="u-1")
    assert envelope.event.type == "author.claimed" and envelope.event.occurred_at is not None
    with pytest.raises(InvalidEnvelopeError, match="must be one of"):
        event_request("author.liked", "A1", event_id="e-10")
    with pytest.raises(InvalidEnvelopeError, match="ISO 8601"):
        event_request("author.claimed", "A1", event_id="e-11", occurred_at="yesterday")
