"""Profile lookup (ids in either form, exact names, partial names, ambiguity) and the labels the pages show."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipeline.errors import NotFoundError
from pipeline.profile_card import affiliation_label, category_label, find_author_id, venue_label
from pipeline.profile_text import published_on


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("create table profiles (author_id varchar, display_name varchar, works_count bigint)")
    con.execute(
        "insert into profiles values ('A1', 'Qianli Liao', 3), ('A2', 'Qianyi Li', 4), "
        "('A3', 'Jane Doe', 1), ('A4', 'Jane Doe', 7)"
    )
    return con


def test_ids_in_short_and_url_form(con):
    assert find_author_id(con, "A2") == "A2"
    assert find_author_id(con, "https://openalex.org/A1") == "A1"
    with pytest.raises(NotFoundError, match="no author A9"):
        find_author_id(con, "A9")


def test_exact_name_before_partial_name(con):
    assert find_author_id(con, "qianyi li") == "A2"
    assert find_author_id(con, "Liao") == "A1"


def test_ambiguous_names_list_the_candidates(con):
    with pytest.raises(NotFoundError, match=r"'Jane Doe' matches 2 authors: A4 \(Jane Doe, 7 works\), A3"):
        find_author_id(con, "Jane Doe")
    with pytest.raises(NotFoundError, match="matches 2 authors"):
        find_author_id(con, "Qian")


@pytest.mark.parametrize(
    ("venue", "label"),
    [("arXiv (Cornell University)", "arXiv"), ("Physical Review X", "Physical Review X"), (None, None), ("(x)", "(x)")],
)
def test_venue_labels_as_the_seed_pages_show_them(venue, label):
    assert venue_label(venue) == label


def test_arxiv_labels_as_listings_show_them():
    assert (category_label("cs.LG"), category_label("hep-th"), category_label(None)) == ("LG", "hep-th", None)
    assert affiliation_label("Harvard University") == "harvard"
    assert affiliation_label("University of Tokyo") == "tokyo"
    assert affiliation_label("The Institute of Physics") == "physics"
    assert published_on(date(2022, 10, 31)) == "Oct 31, 2022" and published_on(date(2023, 9, 8)) == "Sep 8, 2023"
