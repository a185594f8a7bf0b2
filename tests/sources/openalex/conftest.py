"""Fixtures for the OpenAlex API source: a real local server (tests/fakes/openalex_api.py)
serving the bundled sample and the recorded responses in tests/fixtures/recorded/."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fakes.openalex_api import FakeOpenAlexAPI
from openalex_api_helpers import KEY, PRIEM, READ_TIMEOUT


@pytest.fixture
def api(recorded: Path):
    with FakeOpenAlexAPI() as fake:
        fake.authors[PRIEM] = json.loads((recorded / "openalex_author_A5023888391.json").read_text())
        fake.add_work(json.loads((recorded / "openalex_work_W2741809807.json").read_text()))
        yield fake


@pytest.fixture
def api_env(api: FakeOpenAlexAPI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture):
    """The source's settings point at the fake; waits are short so faults cost milliseconds."""
    caplog.set_level(logging.DEBUG)
    for name, value in {
        "OPENALEX_BASE_URL": api.base_url,
        "OPENALEX_API_KEY": KEY,
        "OPENALEX_MAILTO": "ops@example.org",
        "OPENALEX_PER_PAGE": "4",
        "OPENALEX_MIN_INTERVAL": "0",
        "OPENALEX_BACKOFF_BASE": "0.001",
        "OPENALEX_BACKOFF_MAX": "0.01",
        # long enough that a good answer never times out on a busy 2-core machine (0.3 s did, once in a
        # full suite: a retry too many); the injected "timeout" fault answers later than this
        "OPENALEX_READ_TIMEOUT": str(READ_TIMEOUT),
        "OPENALEX_MAX_RETRIES": "4",
    }.items():
        monkeypatch.setenv(name, value)
    return api
