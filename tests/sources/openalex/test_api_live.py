"""Smoke test against the real OpenAlex API (opt in with --live; needs the network)."""

from __future__ import annotations

import pytest

from pipeline.landing.land import land
from pipeline.run import collect_inputs

pytestmark = pytest.mark.live


def test_a_real_author_and_their_works_land(settings, monkeypatch):
    monkeypatch.setenv("OPENALEX_PER_PAGE", "100")
    inputs = collect_inputs(["openalex-api:authors=A5023888391"], settings)  # Jason Priem, ~60 works
    report = land(inputs, settings, ingest_date=settings.as_of)
    assert report.total("valid", "authors") == 1
    assert report.total("valid", "works") >= 10
    assert report.total("quarantined") == 0
