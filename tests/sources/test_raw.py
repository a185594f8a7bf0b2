"""Raw landing: immutable responses with a redacted sidecar, read back through record formats."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.errors import SourceSpecError
from pipeline.sources.raw import RawStore, ReplaySource, extractor, redact, redact_url, register_format


def test_secrets_are_redacted_from_urls_headers_and_text():
    url = "https://api.openalex.org/works?filter=a:b&api_key=s3cr3t&mailto=x@y.org"
    assert redact_url(url) == "https://api.openalex.org/works?filter=a:b&api_key=REDACTED&mailto=x@y.org"
    assert redact("boom s3cr3t boom", "s3cr3t") == "boom REDACTED boom"


def test_a_landed_response_is_immutable_and_keyed_by_request_and_content(tmp_path):
    raw = RawStore(tmp_path / "raw")
    common = dict(source="demo", entity="things", status=200, record_format="demo-lines")
    first = raw.land(url="http://x/t?api_key=k1", headers={"X-RateLimit-Remaining": "9", "Set-Cookie": "a"},
                     body=b"a\nb", **common)  # fmt: skip
    again = raw.land(url="http://x/t?api_key=k1", headers={}, body=b"a\nb", **common)
    other = raw.land(url="http://x/t?page=2", headers={}, body=b"c", **common)
    assert again == first and other != first
    meta = json.loads(first.meta_path.read_text())
    assert meta["url"] == "http://x/t?api_key=REDACTED" and meta["headers"] == {"x-ratelimit-remaining": "9"}
    assert meta["status"] == 200 and meta["record_format"] == "demo-lines"
    assert [r.body_path for r in raw.responses()] == [first.body_path, other.body_path]
    # errors keep one file per attempt
    for _ in range(2):
        raw.land(source="demo", entity="things", url="http://x/t", status=500, headers={}, body=b"", record_format=None)
    assert len(raw.responses()) == 4 and len(raw.inputs()) == 2


def test_inputs_yield_numbered_records_through_their_format_and_replay_anywhere(tmp_path):
    @register_format("demo-lines")
    def lines(body: bytes, meta: dict):
        return body.split(b"\n")

    fixed = datetime(2024, 1, 2, 3, 4, tzinfo=UTC)
    raw = RawStore(tmp_path / "data" / "raw", clock=lambda: fixed)
    raw.land(source="demo", entity="things", url="http://x/t", status=200, headers={}, body=b"a\nb",
             record_format="demo-lines")  # fmt: skip
    (item,) = ReplaySource(tmp_path / "data").files()
    assert list(item.records()) == [(1, b"a"), (2, b"b")]
    assert item.identity.startswith("source=demo/entity=things/fetched_on=2024-01-02/")
    moved = tmp_path / "elsewhere"
    (tmp_path / "data").rename(moved)
    (same,) = ReplaySource(moved / "raw").files()
    assert same.key == item.key  # mount-independent


def test_unknown_formats_and_empty_replays_are_clear_errors(tmp_path):
    with pytest.raises(SourceSpecError, match="unknown raw record format"):
        extractor("no-such-format")
    with pytest.raises(SourceSpecError, match="does not exist"):
        ReplaySource(tmp_path / "nope").files()
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceSpecError, match="holds no landed raw responses"):
        ReplaySource(tmp_path / "empty").files()
