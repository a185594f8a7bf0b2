"""The record format of an arXiv API page: the ``<entry>`` elements of one Atom body.

Registered with :func:`pipeline.sources.raw.register_format`, so landing and a
``replay:`` of landed pages read arXiv bodies without knowing about HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pipeline.sources.arxiv.atom import parse_feed
from pipeline.sources.raw import register_format

ATOM_PAGE = "arxiv-atom"


@register_format(ATOM_PAGE)
def atom_entries(body: bytes, meta: dict[str, Any]) -> Iterator[bytes]:
    """Each entry of an Atom listing page, as JSON for :class:`pipeline.schemas.arxiv.ArxivEntry`."""
    for entry in parse_feed(body).entries:
        yield json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
