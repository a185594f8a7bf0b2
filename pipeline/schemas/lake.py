"""Landed-table contracts: one pydantic model per table in the Parquet lake.

These models are never instantiated on the hot path; they *describe* the rows
the landing step writes, and :mod:`schemas.types` derives the Arrow/Parquet and
DuckDB types from them. A test checks that every ``to_row`` output validates
against its model, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LandedAuthorship(_Row):
    author_id: str | None
    display_name: str | None
    orcid: str | None
    author_position: str | None
    position_index: int
    is_corresponding: bool | None
    institution_ids: list[str]


class LandedWorkTopic(_Row):
    topic_id: str
    display_name: str | None
    score: float | None
    subfield: str | None
    field: str | None
    domain: str | None


class WorkRow(_Row):
    """``lake/source=*/entity=works``: one row per work *record* (versions kept)."""

    work_id: str
    doi: str | None
    title: str | None
    publication_year: int | None
    publication_date: date | None
    type: str | None
    cited_by_count: int
    source_id: str | None
    source_display_name: str | None
    abstract: str | None
    is_retracted: bool | None
    primary_topic_id: str | None
    authorships: list[LandedAuthorship]
    topics: list[LandedWorkTopic]
    updated_date: datetime | None
    created_date: datetime | None
    record_source: str
    location: str


class AuthorRow(_Row):
    """``lake/source=*/entity=authors``: one row per author record."""

    author_id: str
    orcid: str | None
    display_name: str | None
    openalex_works_count: int | None
    openalex_cited_by_count: int | None
    h_index: int | None
    i10_index: int | None
    last_known_institutions: list[str]
    updated_date: datetime | None
    created_date: datetime | None
    record_source: str
    location: str


class MergedAuthorRow(_Row):
    """``lake/source=*/entity=merged_authors``: OpenAlex ``merged_ids/authors``."""

    merged_id: str
    merge_into_id: str
    merge_date: date | None
    record_source: str
    location: str


class PlatformEventRow(_Row):
    """``lake/source=platform/entity=events``: claims, follows, verification."""

    event_id: str
    type: str
    author_id: str
    actor_id: str | None
    occurred_at: datetime
    record_source: str
    location: str


class QuarantineRow(_Row):
    """``quarantine/source=*/entity=*``: one row per rejected input record."""

    source: str
    entity: str
    location: str
    raw: str
    error: str


class TrustSnapshotRow(_Row):
    """``history/trust_snapshots/as_of=*``: the append-only trust history."""

    author_id: str
    as_of: date
    trust_score: int
    trust_tier: str
    verification_level: str
    claim_status: str
    model_version: str
    components: str  # JSON object: component name -> points
