"""The JSON envelope every request and platform event travels in (version 1).

Any app can write it: the ``pipeline request`` commands, the Airflow DAGs and a
plain ``redis-cli publish`` all speak the same two shapes (see docs/events.md)::

    {"version": 1, "kind": "profile", "target": "A5023888391",
     "requested_by": "app-x", "requested_at": "2026-01-01T12:00:00Z"}
    {"version": 1, "kind": "event", "requested_by": "app-x", "requested_at": "...",
     "event": {"event_id": "e-1", "type": "author.followed", "author_id": "A5023888391",
               "actor_id": "u-7", "occurred_at": "2026-01-01T11:59:00Z"}}

A profile ``target`` is an OpenAlex author id (``A\\d+``) or ``orcid:`` plus an
ORCID iD whose ISO 7064 check digit is right; both are normalised
(``https://openalex.org/a1`` -> ``A1``, ``https://orcid.org/…`` -> ``orcid:…``).
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from pipeline.errors import PipelineError
from pipeline.schemas.platform import EventType, PlatformEvent

ENVELOPE_VERSION = 1
EVENT_TYPES: tuple[str, ...] = EventType.__args__

_AUTHOR_RE = re.compile(r"(?:https?://)?(?:openalex\.org/)?(A\d+)", re.IGNORECASE)
_ORCID_RE = re.compile(r"(?:orcid:|(?:https?://)?orcid\.org/)(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


class InvalidEnvelopeError(PipelineError):
    """A request or event envelope (or a profile target) that does not validate."""


def orcid_check_digit(base_digits: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 15 digits of an ORCID iD."""
    total = 0
    for digit in base_digits:
        total = (total + int(digit)) * 2
    result = (12 - total % 11) % 11
    return "X" if result == 10 else str(result)


def normalize_target(value: object) -> str:
    """``A5023888391`` or ``orcid:0000-0002-1825-0097`` (check digit verified), else InvalidEnvelopeError."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidEnvelopeError(f"profile target {value!r} is neither an OpenAlex author id (A…) nor orcid:…")
    text = value.strip()
    if match := _AUTHOR_RE.fullmatch(text):
        return match.group(1).upper()
    if match := _ORCID_RE.fullmatch(text):
        orcid = match.group(1).upper()
        digits = orcid.replace("-", "")
        expected = orcid_check_digit(digits[:15])
        if digits[15] != expected:
            raise InvalidEnvelopeError(
                f"ORCID iD {orcid} has a wrong check digit (expected {expected}, got {digits[15]}); "
                "copy it again from the researcher's orcid.org page"
            )
        return f"orcid:{orcid}"
    raise InvalidEnvelopeError(
        f"profile target {text!r} is neither an OpenAlex author id (like A5023888391) "
        "nor an ORCID iD (like orcid:0000-0002-1825-0097)"
    )


def _now() -> datetime:
    return datetime.now(UTC)


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    version: Literal[1] = ENVELOPE_VERSION
    requested_by: str | None = Field(default=None, max_length=200)
    requested_at: datetime = Field(default_factory=_now)

    @field_validator("requested_at")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)


class ProfileRequest(_Envelope):
    """Refresh one researcher's profile."""

    kind: Literal["profile"] = "profile"
    target: str

    @field_validator("target", mode="before")
    @classmethod
    def _valid_target(cls, value: object) -> str:
        try:
            return normalize_target(value)
        except InvalidEnvelopeError as exc:
            raise ValueError(str(exc)) from None

    @property
    def dedupe_key(self) -> str:
        return self.target


class EventRequest(_Envelope):
    """A platform event (claim, follow, unfollow, verify) to fold into the warehouse."""

    kind: Literal["event"] = "event"
    event: PlatformEvent

    @property
    def dedupe_key(self) -> str:
        return self.event.event_id


Envelope = Annotated[ProfileRequest | EventRequest, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[ProfileRequest | EventRequest] = TypeAdapter(Envelope)


def parse_envelope(data: str | bytes | dict[str, Any]) -> ProfileRequest | EventRequest:
    """Validate a JSON text (or a decoded dict) as an envelope; InvalidEnvelopeError says what is wrong."""
    if isinstance(data, bytes | bytearray):
        data = data.decode("utf-8", errors="replace")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvalidEnvelopeError(f"envelope is not JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise InvalidEnvelopeError(f"envelope must be a JSON object, got {type(data).__name__}")
    version = data.get("version")
    if version != ENVELOPE_VERSION:
        raise InvalidEnvelopeError(
            f"unsupported envelope version {version!r}; this pipeline reads version {ENVELOPE_VERSION}"
        )
    if data.get("kind") not in ("profile", "event"):
        raise InvalidEnvelopeError(f"envelope kind {data.get('kind')!r} is not 'profile' or 'event'")
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as exc:
        raise InvalidEnvelopeError(f"invalid {data['kind']} envelope: {_first_error(exc)}") from None


def profile_request(target: str, requested_by: str | None = None) -> ProfileRequest:
    """A version-1 profile request; InvalidEnvelopeError for a bad target."""
    target = normalize_target(target)
    try:
        return ProfileRequest(target=target, requested_by=requested_by)
    except ValidationError as exc:
        raise InvalidEnvelopeError(_first_error(exc)) from None


def event_request(
    event_type: str,
    author_id: str,
    *,
    event_id: str,
    actor_id: str | None = None,
    occurred_at: datetime | str | None = None,
    requested_by: str | None = None,
) -> EventRequest:
    """A version-1 platform-event envelope; InvalidEnvelopeError for a bad type, author id or time."""
    event = {
        "event_id": event_id,
        "type": event_type,
        "author_id": author_id,
        "actor_id": actor_id,
        "occurred_at": occurred_at or _now(),
    }
    try:
        return EventRequest(event=event, requested_by=requested_by)
    except ValidationError as exc:
        raise InvalidEnvelopeError(f"invalid event: {_first_error(exc)}") from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"] if not isinstance(part, int))
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "literal_error" and where.endswith("type"):
        message = f"must be one of {', '.join(EVENT_TYPES)}"
    elif error["type"].startswith("datetime"):
        message = f"{message}; use ISO 8601 like 2026-01-01T12:00:00Z"
    return f"{where}: {message}" if where else message
