"""Contracts for the platform's own records: events and OpenAlex merged-id lines."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.schemas.ids import AuthorId

EventType = Literal["author.claimed", "author.followed", "author.unfollowed", "author.verified"]


class PlatformEvent(BaseModel):
    """A platform event: a user claims, follows, unfollows or verifies an author."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1)
    type: EventType
    author_id: AuthorId
    actor_id: str | None = None
    occurred_at: datetime

    @field_validator("occurred_at")
    @classmethod
    def _as_naive_utc(cls, value: datetime) -> datetime:
        # Stored as naive UTC so Parquet/DuckDB types stay TIMESTAMP everywhere.
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def to_row(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "type": self.type,
            "author_id": self.author_id,
            "actor_id": self.actor_id,
            "occurred_at": self.occurred_at,
        }


class MergedAuthorId(BaseModel):
    """One line of OpenAlex ``merged_ids/authors/*.csv.gz``: ``merge_date,id,merge_into_id``."""

    merge_date: date | None
    id: AuthorId
    merge_into_id: AuthorId

    def to_row(self) -> dict[str, Any]:
        return {
            "merged_id": self.id,
            "merge_into_id": self.merge_into_id,
            "merge_date": self.merge_date,
        }
