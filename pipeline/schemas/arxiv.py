"""Pydantic contract for one arXiv API entry (an ``<entry>`` of an Atom listing).

The Atom parser (:mod:`pipeline.sources.arxiv.atom`) turns each entry into a plain
dict; this model validates it and flattens it into an
:class:`~pipeline.schemas.lake.ArxivEntryRow`. arXiv ids are stored without their
version (``2012.04030``); the version (``v2``) is its own field, so every version
of a paper is the same arXiv record.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from pipeline.schemas.ids import Doi

# New-style ids (0704.0001 on, YYMM.NNNN[N]) and old-style ids (archive[.SUBJ]/YYMMNNN).
ARXIV_ID_PATTERN = r"^(?:\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})$"
_ABS_ID = re.compile(r"(?:https?://arxiv\.org/abs/|arxiv:)?(?P<id>.+?)(?:v(?P<version>\d+))?$", re.IGNORECASE)
_ID = re.compile(ARXIV_ID_PATTERN)


def split_arxiv_id(value: str) -> tuple[str, int | None]:
    """``http://arxiv.org/abs/2012.04030v2`` -> ``("2012.04030", 2)``; raises on anything else."""
    match = _ABS_ID.fullmatch(value.strip())
    arxiv_id = match.group("id") if match else ""
    if not _ID.fullmatch(arxiv_id):
        raise ValueError(f"not an arXiv id: {value!r}")
    version = match.group("version")
    return arxiv_id, int(version) if version else None


def _squash(value: object) -> object:
    """arXiv wraps titles and abstracts at ~80 columns: fold the line breaks back into spaces."""
    return (" ".join(value.split()) or None) if isinstance(value, str) else value


class _Arxiv(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ArxivAuthor(_Arxiv):
    name: str = Field(min_length=1)
    affiliations: list[str] = Field(default_factory=list)

    _names = field_validator("name", mode="before")(_squash)


class ArxivEntry(_Arxiv):
    """One arXiv listing entry."""

    id: str = Field(description="the abstract page URL, with version: http://arxiv.org/abs/2012.04030v2")
    title: str | None = None
    summary: str | None = None
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[ArxivAuthor] = Field(default_factory=list)
    primary_category: str | None = None
    categories: list[str] = Field(default_factory=list)
    doi: Doi = None
    journal_ref: str | None = None
    comment: str | None = None

    _texts = field_validator("title", "summary", "journal_ref", "comment", mode="before")(_squash)

    @field_validator("id")
    @classmethod
    def _known_id(cls, value: str) -> str:
        split_arxiv_id(value)
        return value

    def to_row(self) -> dict[str, Any]:
        """Flatten to an :class:`~pipeline.schemas.lake.ArxivEntryRow` dict, less the provenance landing adds."""
        arxiv_id, version = split_arxiv_id(self.id)
        others = [c for c in dict.fromkeys(self.categories) if c != self.primary_category]
        return {
            "arxiv_id": arxiv_id,
            "version": version,
            "title": self.title,
            "abstract": self.summary,
            "authors": [
                {"name": a.name, "position_index": i, "affiliations": a.affiliations}
                for i, a in enumerate(self.authors)
            ],
            "primary_category": self.primary_category,
            "other_categories": others,
            "doi": self.doi,
            "journal_ref": self.journal_ref,
            "comment": self.comment,
            "published_at": _utc_naive(self.published),
            "updated_at": _utc_naive(self.updated),
        }


def _utc_naive(moment: datetime | None) -> datetime | None:
    """arXiv stamps are UTC (``…Z``); the lake's timestamps are naive UTC, like OpenAlex's."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)
