"""Per-entity parsing: one input line -> one landed row dict, or a ValueError.

Each entity pairs a parser (pydantic contract from :mod:`schemas`) with the row
model of the table it lands in.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline.schemas.lake import AuthorRow, MergedAuthorRow, PlatformEventRow, WorkRow
from pipeline.schemas.openalex import Author, Work
from pipeline.schemas.platform import MergedAuthorId, PlatformEvent

Parser = Callable[[bytes, str, str], dict[str, Any]]


class RecordError(ValueError):
    """A record that cannot be landed; the message goes to quarantine."""


@dataclass(frozen=True)
class EntitySpec:
    row_model: type[BaseModel]
    parse: Parser


def _json_parser(model: type[Work] | type[Author] | type[PlatformEvent]) -> Parser:
    def parse(text: bytes, record_source: str, location: str) -> dict[str, Any]:
        if not text.strip():
            raise RecordError("empty line")
        try:
            record = model.model_validate_json(text)
        except ValidationError as exc:
            raise RecordError(describe(exc)) from None
        return record.to_row(record_source=record_source, location=location)

    return parse


def _parse_merged_author(raw: bytes, record_source: str, location: str) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"not UTF-8: {exc}") from None
    fields = next(csv.reader([text]), [])
    if len(fields) != 3:
        raise RecordError(f"expected 3 CSV fields merge_date,id,merge_into_id, got {len(fields)}")
    merge_date, old_id, new_id = (f.strip() for f in fields)
    try:
        record = MergedAuthorId(merge_date=merge_date or None, id=old_id, merge_into_id=new_id)
    except ValidationError as exc:
        raise RecordError(describe(exc)) from None
    return record.to_row(record_source=record_source, location=location)


def describe(exc: ValidationError, limit: int = 5) -> str:
    """A short, one-line summary of a pydantic error: ``field.path: message; …``."""
    parts = []
    for error in exc.errors(include_url=False)[:limit]:
        where = ".".join(str(p) for p in error["loc"]) or "record"
        if error["type"] == "json_invalid":
            parts.append(f"invalid JSON: {error['ctx']['error']}" if "ctx" in error else "invalid JSON")
        else:
            parts.append(f"{where}: {error['msg']}")
    more = exc.error_count() - limit
    if more > 0:
        parts.append(f"... and {more} more")
    return "; ".join(parts)


ENTITIES: dict[str, EntitySpec] = {
    "works": EntitySpec(WorkRow, _json_parser(Work)),
    "authors": EntitySpec(AuthorRow, _json_parser(Author)),
    "merged_authors": EntitySpec(MergedAuthorRow, _parse_merged_author),
    "events": EntitySpec(PlatformEventRow, _json_parser(PlatformEvent)),
}
