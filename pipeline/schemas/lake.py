"""Landed-table contracts: one pydantic model per table in the Parquet lake.

These models are never instantiated on the hot path; they *describe* the rows
the landing step writes. :mod:`pipeline.schemas.types` derives the Arrow/Parquet
and DuckDB types from them, and :func:`pipeline.schemas.contracts.contract_from_row_model`
derives the landing gate's checks from their constraints (patterns, ranges,
literals), so each rule is written once, here. A test checks that every
``to_row`` output validates against its model, so the two cannot drift apart.

Every landed row carries its provenance: ``record_source`` (the source that
produced it), ``source_file`` and ``line_number`` (where an operator finds it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.schemas.platform import EventType

WorkIdText = Annotated[str, Field(pattern=r"^W\d+$", description="OpenAlex work id, short form (W…)")]
AuthorIdText = Annotated[str, Field(pattern=r"^A\d+$", description="OpenAlex author id, short form (A…)")]
RecordSource = Annotated[str, Field(description="the source that produced the record, e.g. openalex-snapshot")]
SourceFile = Annotated[str, Field(description="the input file the record was read from")]
LineNumber = Annotated[int, Field(ge=1, description="the record's line (or index) in source_file, from 1")]
NonNegative = Annotated[int, Field(ge=0)]


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
    """One row per work *record* (every version landed is kept)."""

    work_id: WorkIdText
    doi: str | None = Field(description="DOI, bare and lower-case")
    title: str | None
    publication_year: int | None = Field(ge=1000, le=2100)
    publication_date: date | None
    type: str | None
    cited_by_count: NonNegative
    source_id: str | None = Field(description="venue id (primary location's source)")
    source_display_name: str | None = Field(description="venue name (primary location's source)")
    abstract: str | None
    is_retracted: bool | None
    primary_topic_id: str | None
    authorships: list[LandedAuthorship]
    topics: list[LandedWorkTopic]
    updated_date: datetime | None
    created_date: datetime | None
    record_source: RecordSource
    source_file: SourceFile
    line_number: LineNumber


class AuthorRow(_Row):
    """One row per author record."""

    author_id: AuthorIdText
    orcid: str | None
    display_name: str | None
    openalex_works_count: int | None
    openalex_cited_by_count: int | None
    h_index: int | None
    i10_index: int | None
    last_known_institutions: list[str]
    updated_date: datetime | None
    created_date: datetime | None
    record_source: RecordSource
    source_file: SourceFile
    line_number: LineNumber


class MergedAuthorRow(_Row):
    """One row per OpenAlex author-id merge (``merged_ids/authors``, API redirects)."""

    merged_id: AuthorIdText
    merge_into_id: AuthorIdText
    merge_date: date | None
    record_source: RecordSource
    source_file: SourceFile
    line_number: LineNumber


class LandedArxivAuthor(_Row):
    name: str = Field(description="the author's name as arXiv lists it (arXiv has no author ids)")
    position_index: int = Field(ge=0, description="the author's position in the entry's author list, from 0")
    affiliations: list[str]


class ArxivEntryRow(_Row):
    """One row per arXiv entry *record* landed (a paper, at the version arXiv served)."""

    arxiv_id: str = Field(
        pattern=r"^(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})$",
        description="arXiv id without its version (2012.04030, astro-ph/0601001)",
    )
    version: int | None = Field(ge=1, description="the version arXiv served (the N of vN)")
    title: str | None
    abstract: str | None
    authors: list[LandedArxivAuthor]
    primary_category: str | None = Field(description="arXiv primary category, e.g. cs.LG")
    other_categories: list[str] = Field(description="the entry's other categories, primary excluded")
    doi: str | None = Field(description="DOI of the published version, bare and lower-case")
    journal_ref: str | None = Field(description="journal reference of the published version, as the authors gave it")
    comment: str | None
    published_at: datetime | None = Field(description="when version 1 was submitted")
    updated_at: datetime | None = Field(description="when the served version was submitted")
    record_source: RecordSource
    source_file: SourceFile
    line_number: LineNumber


class PlatformEventRow(_Row):
    """One row per platform event delivery: claims, follows, verification."""

    event_id: str
    type: EventType
    author_id: AuthorIdText
    actor_id: str | None
    occurred_at: datetime
    record_source: RecordSource
    source_file: SourceFile
    line_number: LineNumber


class QuarantineRow(_Row):
    """``quarantine/source=*/entity=*``: one row per rejected input record."""

    source: str
    entity: str
    source_file: SourceFile
    line_number: LineNumber
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


class QualityRunRow(_Row):
    """``history/quality_runs/checked_on=*``: one row per expectation of every gate run."""

    run_id: str
    checked_at: datetime
    gate: Literal["landing", "warehouse"]
    suite: str
    suite_success: bool
    expectation: str
    column_name: str | None
    arguments: str
    success: bool
    element_count: int | None
    unexpected_count: int | None
    observed_value: str | None
