"""Record formats of OpenAlex API responses: how one raw body becomes records.

Registered with :func:`pipeline.sources.raw.register_format`, so landing (and a
``replay:`` of landed responses) reads them without knowing about HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pipeline.sources.raw import register_format

LIST_PAGE = "openalex-list"
SINGLETON = "openalex-single"
MERGE = "openalex-merge"


def _dump(record: Any) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()


@register_format(LIST_PAGE)
def list_results(body: bytes, meta: dict[str, Any]) -> Iterator[bytes]:
    """The ``results`` of a list page. A work whose author list is truncated is
    skipped here: the client always re-fetches it whole (``GET /works/{id}``) and
    lands that response, so the truncated copy would only shadow it. An incremental
    page skips records not newer than its ``seen_up_to`` (the author's high-water
    mark when it was fetched): an earlier complete fetch landed them already."""
    seen_up_to = meta.get("seen_up_to")
    for record in json.loads(body).get("results") or []:
        if isinstance(record, dict):
            if record.get("is_authors_truncated"):
                continue
            if seen_up_to and str(record.get("updated_date") or "") <= seen_up_to:
                continue
        yield _dump(record)


@register_format(SINGLETON)
def singleton(body: bytes, meta: dict[str, Any]) -> Iterator[bytes]:
    """A singleton (``GET /authors/{id}``, ``GET /works/{id}``): the body is the record."""
    yield body.strip()


@register_format(MERGE)
def merge(body: bytes, meta: dict[str, Any]) -> Iterator[bytes]:
    """A 301 on a merged author id: one ``merged_authors`` record (old id -> new id)."""
    yield _dump(
        {
            "merge_date": meta.get("fetched_at", "")[:10] or None,
            "id": meta.get("merged_id"),
            "merge_into_id": meta.get("merge_into_id"),
        }
    )
