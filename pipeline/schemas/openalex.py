"""Pydantic contracts for OpenAlex Author and Work records.

The models declare only what the warehouse uses; every other field of the
OpenAlex record is ignored (``extra="ignore"``), so new upstream fields never
break a run. Each model knows how to flatten itself into the landed row
(:mod:`pipeline.schemas.lake`), which is the contract of the Parquet lake.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.schemas.ids import AuthorId, Doi, InstitutionId, Orcid, SourceId, TopicId, WorkId

# Integers must fit the landed Parquet/DuckDB BIGINT: a bigger one is a bad record
# (quarantined with its line), not a crash of the whole batch at write time.
Count = Annotated[int, Field(ge=0, le=2**63 - 1)]
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class _OpenAlex(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _null_is_empty(value: object) -> object:
    """OpenAlex sends ``null`` for some empty lists in older records; treat it as ``[]``."""
    return [] if value is None else value


# It looks at the value as a whole, never inside: the landing fast path may still project the
# nested models under it to their declared fields (pipeline.landing.fastpath.projection_safe).
_null_is_empty.__projection_safe__ = True


class NamedRef(_OpenAlex):
    id: str | None = None
    display_name: str | None = None


class SourceRef(NamedRef):
    id: SourceId | None = None
    type: str | None = None


class Location(_OpenAlex):
    source: SourceRef | None = None
    landing_page_url: str | None = None


class InstitutionRef(NamedRef):
    id: InstitutionId | None = None
    country_code: str | None = None


class AuthorRef(NamedRef):
    id: AuthorId | None = None
    orcid: Orcid = None


class Authorship(_OpenAlex):
    author_position: str | None = None
    author: AuthorRef
    institutions: list[InstitutionRef] = Field(default_factory=list)
    is_corresponding: bool | None = None
    raw_author_name: str | None = None

    _lists = field_validator("institutions", mode="before")(_null_is_empty)


class Topic(_OpenAlex):
    id: TopicId
    display_name: str | None = None
    score: float | None = None
    count: Count | None = None  # present on author.topics
    subfield: NamedRef | None = None
    field: NamedRef | None = None
    domain: NamedRef | None = None


class SummaryStats(_OpenAlex):
    h_index: Int64 | None = None
    i10_index: Int64 | None = None
    two_year_mean_citedness: float | None = Field(default=None, alias="2yr_mean_citedness")


def abstract_from_inverted_index(index: dict[str, list[int]] | None) -> str | None:
    """Rebuild the abstract text OpenAlex ships as ``{word: [positions]}``."""
    if not index:
        return None
    size = sum(map(len, index.values()))
    words = [""] * size
    for word, positions in index.items():
        for position in positions:
            if not 0 <= position < size:  # gaps or odd positions: fall back to sorting
                pairs = sorted((p, w) for w, ps in index.items() for p in ps)
                return " ".join(w for _, w in pairs)
            words[position] = word
    return " ".join(words)


class Work(_OpenAlex):
    """An OpenAlex work (``/works/W…`` or a line of ``data/works/*/part_*.gz``)."""

    id: WorkId
    doi: Doi = None
    title: str | None = None
    display_name: str | None = None
    publication_year: int | None = Field(default=None, ge=1000, le=2100)
    publication_date: date | None = None
    type: str | None = None
    cited_by_count: Count = 0
    primary_location: Location | None = None
    authorships: list[Authorship] = Field(default_factory=list)
    primary_topic: Topic | None = None
    topics: list[Topic] = Field(default_factory=list)
    abstract_inverted_index: dict[str, list[int]] | None = None
    is_retracted: bool | None = None
    updated_date: datetime | None = None
    created_date: datetime | None = None

    _lists = field_validator("authorships", "topics", mode="before")(_null_is_empty)

    def to_row(self) -> dict[str, Any]:
        """Flatten to a :class:`~pipeline.schemas.lake.WorkRow` dict, less the provenance landing adds."""
        return self.row_from_data(self.model_dump())

    @staticmethod
    def row_from_data(work: dict[str, Any]) -> dict[str, Any]:
        """:meth:`to_row` of the validated data (``model_dump()``, or what the landing fast path
        validates as data: the same dict without building the models)."""
        location = work["primary_location"]
        source = location["source"] if location is not None else None
        primary_topic = work["primary_topic"]
        title = work["title"]
        return {
            "work_id": work["id"],
            "doi": work["doi"],
            "title": title if title is not None else work["display_name"],
            "publication_year": work["publication_year"],
            "publication_date": work["publication_date"],
            "type": work["type"],
            "cited_by_count": work["cited_by_count"],
            "source_id": source["id"] if source is not None else None,
            "source_display_name": source["display_name"] if source is not None else None,
            "abstract": abstract_from_inverted_index(work["abstract_inverted_index"]),
            "is_retracted": work["is_retracted"],
            "primary_topic_id": primary_topic["id"] if primary_topic is not None else None,
            "authorships": [
                {
                    "author_id": (author := a["author"])["id"],
                    "display_name": author["display_name"] or a["raw_author_name"],
                    "orcid": author["orcid"],
                    "author_position": a["author_position"],
                    "position_index": i,
                    "is_corresponding": a["is_corresponding"],
                    "institution_ids": [inst["id"] for inst in a["institutions"] if inst["id"]],
                }
                for i, a in enumerate(work["authorships"])
            ],
            "topics": [_topic_row(t) for t in work["topics"]],
            "updated_date": work["updated_date"],
            "created_date": work["created_date"],
        }


def _topic_row(topic: dict[str, Any]) -> dict[str, Any]:
    subfield, field, domain = topic["subfield"], topic["field"], topic["domain"]
    return {
        "topic_id": topic["id"],
        "display_name": topic["display_name"],
        "score": topic["score"],
        "subfield": subfield["display_name"] if subfield is not None else None,
        "field": field["display_name"] if field is not None else None,
        "domain": domain["display_name"] if domain is not None else None,
    }


class Author(_OpenAlex):
    """An OpenAlex author (``/authors/A…`` or a line of ``data/authors/*/part_*.gz``)."""

    id: AuthorId
    orcid: Orcid = None
    display_name: str | None = None
    display_name_alternatives: list[str] = Field(default_factory=list)
    works_count: Count | None = None
    cited_by_count: Count | None = None
    summary_stats: SummaryStats | None = None
    last_known_institutions: list[InstitutionRef] = Field(default_factory=list)
    topics: list[Topic] = Field(default_factory=list)
    updated_date: datetime | None = None
    created_date: datetime | None = None

    _lists = field_validator("display_name_alternatives", "last_known_institutions", "topics", mode="before")(
        _null_is_empty
    )

    def to_row(self) -> dict[str, Any]:
        """Flatten to a :class:`~pipeline.schemas.lake.AuthorRow` dict, less the provenance landing adds."""
        return self.row_from_data(self.model_dump())

    @staticmethod
    def row_from_data(author: dict[str, Any]) -> dict[str, Any]:
        """:meth:`to_row` of the validated data (see :meth:`Work.row_from_data`)."""
        stats = author["summary_stats"]
        return {
            "author_id": author["id"],
            "orcid": author["orcid"],
            "display_name": author["display_name"],
            "openalex_works_count": author["works_count"],
            "openalex_cited_by_count": author["cited_by_count"],
            "h_index": stats["h_index"] if stats is not None else None,
            "i10_index": stats["i10_index"] if stats is not None else None,
            "last_known_institutions": [
                i["display_name"] for i in author["last_known_institutions"] if i["display_name"]
            ],
            "updated_date": author["updated_date"],
            "created_date": author["created_date"],
        }


class ListMeta(_OpenAlex):
    count: int | None = None
    page: int | None = None
    per_page: int | None = None
    next_cursor: str | None = None


class AuthorsPage(_OpenAlex):
    """A ``/authors`` list page."""

    meta: ListMeta
    results: list[Author]
