"""The profile document: one researcher's page as data.

``pipeline profile … --json`` prints it and every publish exports it as
``publish/profiles/<author_id>.json``, so an app can render a profile page
(header figures, published works, collaborators and, for authors with arXiv
papers, the arXiv listing) from files alone. ``schemas/json/profile.schema.json``
is generated from these models.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PROFILE_SCHEMA_VERSION = 1


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Trust(_Doc):
    score: int = Field(ge=0, le=100, description="Trust score, 0-100.")
    tier: Literal["Unverified", "Emerging", "Established", "Trusted"]
    model_version: str | None = Field(description="The trust model that computed the score, e.g. trust-v1.")
    as_of: date | None = Field(description="The trust snapshot date.")
    components: dict[str, float] = Field(description="Points per component; they add up to the score.")


class Work(_Doc):
    work_id: str = Field(pattern=r"^W\d+$")
    title: str | None
    type: str | None = Field(description="OpenAlex work type: article, preprint, ...")
    publication_year: int | None
    publication_date: date | None
    venue: str | None = Field(
        description="The venue as profile pages show it: 'arXiv', not 'arXiv (Cornell University)'."
    )
    venue_name: str | None = Field(description="The venue's full name as OpenAlex has it.")
    cited_by_count: int
    doi: str | None = Field(description="Bare, lower-case DOI.")
    abstract: str | None


class Collaborator(_Doc):
    author_id: str = Field(pattern=r"^A\d+$")
    display_name: str | None
    shared_works: int = Field(ge=1)
    first_year: int | None
    last_year: int | None
    is_close: bool = Field(description="Shares at least the close-collaborator minimum of works.")


class Topic(_Doc):
    topic_id: str = Field(pattern=r"^T\d+$")
    display_name: str | None
    works_count: int = Field(ge=1)


class ArxivPaper(_Doc):
    arxiv_id: str = Field(description="arXiv id without version, e.g. 2012.04030.")
    work_id: str = Field(pattern=r"^W\d+$", description="The merged work this paper is a record of.")
    title: str | None
    category: str | None = Field(description="Primary category as arXiv listings show it: 'LG' for cs.LG.")
    primary_category: str | None
    published_on: date | None = Field(description="Submission date of the first version.")
    authors: list[str] = Field(description="Author names in the paper's order.")
    affiliations: list[str] = Field(description="Short affiliation labels of the authors, as listings show them.")
    cited_by_count: int
    abstract: str | None


class ArxivListing(_Doc):
    papers_count: int
    cited_by_count: int = Field(description="Citations of the listed papers' works.")
    categories: list[str] = Field(description="Primary category labels, most papers first.")
    papers: list[ArxivPaper] = Field(description="Newest first.")


class ProfileDocument(_Doc):
    """A researcher profile as published for apps."""

    schema_version: Literal[1] = PROFILE_SCHEMA_VERSION
    author_id: str = Field(pattern=r"^A\d+$")
    display_name: str | None
    orcid: str | None
    claim_status: str = Field(description="claimed or unclaimed (on the platform).")
    verification_level: Literal["L0", "L1", "L2", "L3"]
    trust: Trust
    works_count: int = Field(description="Works of the author in this warehouse.")
    followers_count: int
    topics_count: int
    collaborators_count: int
    close_collaborators_count: int
    cited_by_count: int
    topics: list[Topic] = Field(description="Most works first.")
    works: list[Work] = Field(description="Newest year first, then by title, as the profile pages list them.")
    collaborators: list[Collaborator] = Field(description="Most shared works first (at most the top N).")
    arxiv: ArxivListing | None = Field(
        description="The author's arXiv papers, when any of their works came from arXiv."
    )
