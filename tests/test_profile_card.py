"""Profile lookup: ids in either form, exact names, partial names, ambiguity."""

from __future__ import annotations

import duckdb
import pytest

from pipeline.errors import NotFoundError
from pipeline.profile_card import find_author_id


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
