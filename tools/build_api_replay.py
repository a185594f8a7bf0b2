#!/usr/bin/env python3
"""Build the OpenAlex API replay of the bundled sample: seed 002 (Liu Ziyin) as API pages.

It fetches ``openalex-api:authors=A5020000002`` with the real client, through the fake
OpenAlex API of ``tests/fakes/openalex_api.py`` (which serves the bundled snapshot),
mounted in-process on ``https://api.openalex.org`` (no network, no port), and lands
the raw responses under ``pipeline/sample_data/replay/source=openalex-api/``.
``make run`` then lands them through ``replay:`` like any fetched responses. Four
works per page, so the replay has three cursor pages.

    .venv/bin/python tools/build_api_replay.py            # (re)write the openalex-api replay
    .venv/bin/python tools/build_api_replay.py --check    # fail if it is not what this writes

Output is deterministic (a fixed clock, fixed URLs), so a rerun gives identical bytes.
Other sources' replays in the same folder (arXiv) are left alone.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from fakes.openalex_api import FakeOpenAlexAPI  # noqa: E402
from replay_tool import replay_main  # noqa: E402
from werkzeug.test import Client  # noqa: E402
from werkzeug.wrappers import Request  # noqa: E402

from pipeline.config import Settings  # noqa: E402
from pipeline.sources.openalex.api import OpenAlexAPISource  # noqa: E402
from pipeline.sources.openalex.client import OpenAlexClient  # noqa: E402
from pipeline.sources.openalex.settings import API_BASE_URL, API_SOURCE_NAME, OpenAlexAPISettings  # noqa: E402
from pipeline.sources.raw import RawStore  # noqa: E402

REPLAY_DIR = REPO / "pipeline" / "sample_data" / "replay"
AUTHORS = ["A5020000002"]  # seed 002
FETCHED_AT = datetime(2024, 6, 2, 8, 0, tzinfo=UTC)


class WSGIAdapter(BaseAdapter):
    """Serve a requests session from a WSGI app, in-process."""

    def __init__(self, app) -> None:
        super().__init__()
        self.client = Client(app)

    def send(self, request, **kwargs):
        answer = self.client.open(request.path_url, method=request.method, headers=dict(request.headers))
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.get_data()
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def build(target: Path) -> None:
    ticks = count()
    clock = lambda: FETCHED_AT + timedelta(seconds=next(ticks))  # noqa: E731
    fake = FakeOpenAlexAPI(clock=lambda: FETCHED_AT)
    api = OpenAlexAPISettings(base_url=API_BASE_URL, api_key=None, mailto=None, per_page=4, min_interval=0)
    with tempfile.TemporaryDirectory() as scratch:
        source = OpenAlexAPISource(authors=AUTHORS, settings=Settings(data_dir=Path(scratch)), api=api)
        client = OpenAlexClient(api, raw=RawStore(target, clock=clock))
        client.session.mount(API_BASE_URL + "/", WSGIAdapter(Request.application(fake.server.application)))
        source.fetch(client)


def main() -> int:
    return replay_main(__doc__, REPLAY_DIR, API_SOURCE_NAME, build, "tools/build_api_replay.py")


if __name__ == "__main__":
    sys.exit(main())
