"""``to_row`` in SQL: the landed columns of each bulk-landed input model, computed from ``r`` (the
validated record as a STRUCT, see :mod:`pipeline.landing.bulk_sql`).

These mirror :meth:`pipeline.schemas.openalex.Work.to_row` and ``Author.to_row`` line for line;
``tests/landing/test_bulk.py`` holds them to the same rows on a corpus of good and bad records.
A model without an entry here lands record by record. ``accept`` is an extra condition on the
row: where the SQL twin only covers the common case (an abstract whose positions are exactly
0..n-1), other rows take the per-record path instead of being guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from pipeline.schemas.openalex import Author, Work


@dataclass(frozen=True)
class RowSQL:
    columns: dict[str, str]  # landed column -> SQL over r (the row model's fields, less provenance)
    accept: str = "true"
    lets: dict[str, str] = field(default_factory=dict)  # named values over r, computed once


def _truthy(value: str) -> str:
    """Python truthiness of a string value: neither None nor ''."""
    return f"({value} IS NOT NULL AND {value} <> '')"


# abstract_from_inverted_index: every word at each of its positions, when the positions are exactly
# 0..n-1 (each once); anything else (gaps, repeats, odd positions) takes the per-record path.
_PAIRS = "list_sort(flatten(list_transform(r.abstract_inverted_index, lambda e: list_transform(e.v, lambda p: {'p': p, 'w': e.k}))))"
_ABSTRACT_OK = "(r.abstract_inverted_index IS NULL OR list_transform(pairs, lambda x: x.p) = range(0, len(pairs)))"
_ABSTRACT = (
    "CASE WHEN r.abstract_inverted_index IS NULL OR len(r.abstract_inverted_index) = 0 THEN NULL "
    "ELSE array_to_string(list_transform(pairs, lambda x: x.w), ' ') END"
)

WORK = RowSQL(
    columns={
        "work_id": "r.id",
        "doi": "r.doi",
        "title": "coalesce(r.title, r.display_name)",
        "publication_year": "r.publication_year",
        "publication_date": "r.publication_date",
        "type": "r.type",
        "cited_by_count": "r.cited_by_count",
        "source_id": "r.primary_location.source.id",
        "source_display_name": "r.primary_location.source.display_name",
        "abstract": _ABSTRACT,
        "is_retracted": "r.is_retracted",
        "primary_topic_id": "r.primary_topic.id",
        "authorships": (
            "list_transform(r.authorships, lambda a, i: {"
            "'author_id': a.author.id, "
            f"'display_name': CASE WHEN {_truthy('a.author.display_name')} THEN a.author.display_name "
            "ELSE a.raw_author_name END, "
            "'orcid': a.author.orcid, "
            "'author_position': a.author_position, "
            "'position_index': i - 1, "
            "'is_corresponding': a.is_corresponding, "
            f"'institution_ids': list_filter(list_transform(a.institutions, lambda x: x.id), lambda x: {_truthy('x')})"
            "})"
        ),
        "topics": (
            "list_transform(r.topics, lambda t: {'topic_id': t.id, 'display_name': t.display_name, "
            "'score': t.score, 'subfield': t.subfield.display_name, 'field': t.field.display_name, "
            "'domain': t.domain.display_name})"
        ),
        "updated_date": "r.updated_date",
        "created_date": "r.created_date",
    },
    accept=_ABSTRACT_OK,
    lets={"pairs": _PAIRS},
)

AUTHOR = RowSQL(
    columns={
        "author_id": "r.id",
        "orcid": "r.orcid",
        "display_name": "r.display_name",
        "openalex_works_count": "r.works_count",
        "openalex_cited_by_count": "r.cited_by_count",
        "h_index": "r.summary_stats.h_index",
        "i10_index": "r.summary_stats.i10_index",
        "last_known_institutions": (
            "list_filter(list_transform(r.last_known_institutions, lambda x: x.display_name), "
            f"lambda x: {_truthy('x')})"
        ),
        "updated_date": "r.updated_date",
        "created_date": "r.created_date",
    }
)

ROWS: dict[type[BaseModel], RowSQL] = {Work: WORK, Author: AUTHOR}
