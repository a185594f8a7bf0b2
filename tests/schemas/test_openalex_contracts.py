"""Contract tests: the real recorded OpenAlex responses validate, and flatten
into rows that satisfy the landed-table contracts."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from pydantic import ValidationError

from pipeline.landing.parsers import describe
from pipeline.schemas.lake import AuthorRow, WorkRow
from pipeline.schemas.openalex import Author, AuthorsPage, Work, abstract_from_inverted_index
from pipeline.schemas.types import arrow_schema

PROVENANCE = {"record_source": "openalex-api", "source_file": "x.json", "line_number": 1}


def test_recorded_work_validates_whole(recorded):
    text = (recorded / "openalex_work_W2741809807.json").read_text()
    work = Work.model_validate_json(text)
    raw = json.loads(text)

    assert work.id == "W2741809807"
    assert work.doi == "10.7717/peerj.4375"
    assert work.publication_year == 2018
    assert work.cited_by_count == raw["cited_by_count"]
    assert len(work.authorships) == len(raw["authorships"]) == 9
    assert all(a.author.id and a.author.id.startswith("A") for a in work.authorships)
    assert [t.id for t in work.topics] == [t["id"].rsplit("/", 1)[1] for t in raw["topics"]]
    assert work.primary_location.source.id == "S1983995261"


def test_recorded_work_row_matches_the_lake_contract(recorded):
    work = Work.model_validate_json((recorded / "openalex_work_W2741809807.json").read_text())
    row = {**work.to_row(), **PROVENANCE}

    WorkRow.model_validate(row)  # the contract: no missing or extra columns
    table = pa.Table.from_pylist([row], schema=arrow_schema(WorkRow))
    assert table.num_rows == 1
    assert row["abstract"].startswith("Despite growing interest in Open Access")
    assert row["authorships"][0]["orcid"] == "0000-0003-1613-5981"
    assert row["topics"][0]["topic_id"] == "T10102"


def test_recorded_author_validates_whole(recorded):
    author = Author.model_validate_json((recorded / "openalex_author_A5023888391.json").read_text())
    assert author.id == "A5023888391"
    assert author.orcid == "0000-0001-6187-6610"
    assert author.display_name == "Jason Priem"
    assert author.works_count == 62
    assert author.summary_stats is not None and author.summary_stats.h_index is not None
    row = {**author.to_row(), **PROVENANCE}
    AuthorRow.model_validate(row)
    assert row["openalex_works_count"] == 62


def test_recorded_list_page_with_pathological_author_validates(recorded):
    page = AuthorsPage.model_validate_json((recorded / "openalex_authors_list_page_per_page1.json").read_text())
    assert page.meta.count == 8_329_749
    (author,) = page.results
    assert author.works_count == 671_592
    assert author.id == "A5043579160"
    AuthorRow.model_validate({**author.to_row(), **PROVENANCE})


def test_recorded_deleted_author_validates(recorded):
    author = Author.model_validate_json((recorded / "openalex_author_A5317838346_deleted.json").read_text())
    assert author.display_name == "Deleted Author"
    assert author.works_count == 0
    assert author.orcid is None


def test_unknown_fields_are_ignored_not_fatal():
    work = Work.model_validate_json('{"id": "W1", "brand_new_field": {"x": 1}, "authorships": []}')
    assert work.id == "W1"


@pytest.mark.parametrize(
    ("record", "fragment"),
    [
        ('{"title": "no id"}', "id: Field required"),
        ('{"id": "A123"}', "not an OpenAlex W-id"),
        ('{"id": "W1", "cited_by_count": "many"}', "cited_by_count"),
        ('{"id": "W1", "authorships": [{"author": {"id": "W9"}}]}', "authorships.0.author.id"),
        ('{"id": "W1", "publication_year": 30000}', "publication_year"),
        ('{"id": "W1", ', "invalid JSON"),
    ],
)
def test_bad_records_fail_with_a_pointed_message(record, fragment):
    with pytest.raises(ValidationError) as info:
        Work.model_validate_json(record)
    # describe() is the one-line form written to quarantine rows
    assert fragment in describe(info.value)


def test_abstract_rebuilt_from_inverted_index_in_word_order():
    assert abstract_from_inverted_index({"world": [1], "hello": [0, 2]}) == "hello world hello"
    assert abstract_from_inverted_index(None) is None


def test_null_lists_read_as_empty():
    work = Work.model_validate_json(
        '{"id": "W1", "authorships": [{"author": {"id": "A1"}, "institutions": null}], "topics": null}'
    )
    assert work.topics == [] and work.authorships[0].institutions == []
    assert Work.model_validate_json('{"id": "W1", "authorships": null}').authorships == []
    author = Author.model_validate_json('{"id": "A1", "last_known_institutions": null, "topics": null}')
    assert author.last_known_institutions == [] and author.topics == []


def test_empty_doi_and_orcid_read_as_missing():
    work = Work.model_validate_json('{"id": "W1", "doi": "", "authorships": [{"author": {"id": "A1", "orcid": ""}}]}')
    assert work.doi is None and work.authorships[0].author.orcid is None
    assert Work.model_validate_json('{"id": "W1", "doi": "https://doi.org/"}').doi is None


def test_counts_beyond_bigint_are_rejected_per_record():
    with pytest.raises(ValidationError) as info:
        Work.model_validate_json('{"id": "W1", "cited_by_count": 9223372036854775808}')
    assert describe(info.value).startswith("cited_by_count: Input should be less than or equal to")
