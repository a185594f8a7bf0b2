"""Record parsers: one raw input line -> one landed row dict (without the
provenance columns, which landing adds), or a :class:`RecordError` whose message
goes to quarantine. Each parser validates against a pydantic input model."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from pipeline.landing.fastpath import fast_row

Parser = Callable[[bytes], dict[str, Any]]


class RecordError(ValueError):
    """A record that cannot be landed; the message goes to quarantine."""


def json_parser(model: type[BaseModel], *, fast: bool = True) -> Parser:
    """Validate a JSON line with ``model`` and flatten it with ``model.to_row()``.

    With ``fast`` (the default), the line is first projected to the model's declared fields and
    the projection validated (:mod:`pipeline.landing.fastpath`); a line the fast path does not
    accept takes the plain path, ``model_validate_json`` of the whole line, which accepts it or
    gives the reject its pydantic message."""
    row_fast = fast_row(model) if fast else None

    def parse(text: bytes) -> dict[str, Any]:
        if not text or text.isspace():  # what strip() would leave empty, without copying the line
            raise RecordError("empty line")
        if row_fast is not None:
            row = row_fast(text)
            if row is not None:
                return row
        try:
            record = model.model_validate_json(text)
        except ValidationError as exc:
            raise RecordError(describe(exc)) from None
        return record.to_row()

    return parse


def csv_parser(model: type[BaseModel], fields: Sequence[str]) -> Parser:
    """Validate a CSV line whose columns are ``fields`` (empty cells are missing)."""
    expected = ",".join(fields)

    def parse(raw: bytes) -> dict[str, Any]:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RecordError(f"not UTF-8: {exc}") from None
        values = next(csv.reader([text]), [])
        if len(values) != len(fields):
            raise RecordError(f"expected {len(fields)} CSV fields {expected}, got {len(values)}")
        try:
            record = model.model_validate({f: (v.strip() or None) for f, v in zip(fields, values, strict=True)})
        except ValidationError as exc:
            raise RecordError(describe(exc)) from None
        return record.to_row()

    return parse


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
