"""SQL unit tests of the arXiv models and of merging works and authors across sources.

Each test gives one model its direct inputs as a few rows (real upstream columns
and types, see conftest) and compares the whole output.
"""

from __future__ import annotations

import duckdb
import pytest

F = "f.jsonl"  # every record's source_file in these tests


def surrogate(letter: str, key: str) -> str:
    """The arxiv_surrogate_id macro, evaluated by DuckDB itself."""
    con = duckdb.connect()
    try:
        return con.execute(
            "select ? || '9' || lpad((md5_number(?) % 1000000000000000000)::varchar, 18, '0')", [letter, key]
        ).fetchone()[0]
    finally:
        con.close()


def openalex_work(work_id, title, year, doi=None, line=1, type_="article", cited=0, has_abstract=False, **extra):
    """A row of int_works__latest (which keeps has_abstract and the record's row, not the abstract)."""
    return dict(
        work_id=work_id,
        title=title,
        has_abstract=has_abstract,
        publication_year=year,
        doi=doi,
        type=type_,
        cited_by_count=cited,
        record_source="openalex-snapshot",
        source_file=F,
        line_number=line,
        **extra,
    )


def openalex_author(work_id, author_id, name, line=1, position=0):
    return dict(
        work_id=work_id,
        author_id=author_id,
        author_display_name=name,
        position_index=position,
        source_file=F,
        line_number=line,
    )


def arxiv_entry(arxiv_id, title, year, doi=None, line=100, **extra):
    return dict(
        arxiv_id=arxiv_id,
        title=title,
        publication_year=year,
        doi=doi,
        record_source="arxiv-api",
        source_file=F,
        line_number=line,
        **extra,
    )


def arxiv_author(arxiv_id, name, position, line=100):
    key = " ".join("".join(c if c.isalnum() else " " for c in name.lower()).split())
    return dict(
        arxiv_id=arxiv_id, name_key=key, author_name=name, position_index=position, source_file=F, line_number=line
    )


# --- staging -------------------------------------------------------------------------------


def test_stg_arxiv__authorships_unnests_names_with_matching_keys(wh):
    wh.given(
        "raw_arxiv_entries",
        [
            {
                "arxiv_id": "2101.00001",
                "source_file": F,
                "line_number": 1,
                "authors": [
                    {"name": "José Raúl Romero", "position_index": 0, "affiliations": ["UCO"]},
                    {"name": "H.  Sompolinsky", "position_index": 1, "affiliations": []},
                ],
            }
        ],
    )
    result = wh.run("staging/stg_arxiv__authorships", order_by="position_index")
    assert [(r[3], r[4], r[5]) for r in result.rows] == [
        ("José Raúl Romero", "jose raul romero", 0),
        ("H.  Sompolinsky", "h sompolinsky", 1),
    ]


def test_int_arxiv_entries__latest_keeps_the_highest_version(wh):
    wh.given(
        "stg_arxiv__entries",
        [
            dict(arxiv_id="2101.00001", version=1, title="old", source_file=F, line_number=1),
            dict(arxiv_id="2101.00001", version=3, title="newest", source_file=F, line_number=2),
            dict(arxiv_id="2101.00001", version=2, title="middle", source_file=F, line_number=3),
            dict(arxiv_id="2101.00002", version=1, title="other", source_file=F, line_number=4),
        ],
    )
    result = wh.run("intermediate/int_arxiv_entries__latest", order_by="arxiv_id")
    assert [(r[0], r[1], r[2]) for r in result.rows] == [("2101.00001", 3, "newest"), ("2101.00002", 1, "other")]


# --- works across sources ------------------------------------------------------------------


def _work_sources(wh, openalex, arxiv, openalex_authors=(), arxiv_authors=()):
    wh.given("int_works__latest", list(openalex))
    wh.given("int_arxiv_entries__latest", list(arxiv))
    wh.given("stg_openalex__authorships", list(openalex_authors))
    wh.given("stg_arxiv__authorships", list(arxiv_authors))
    result = wh.run("intermediate/int_work_sources", order_by="source, source_record_id")
    assert result.columns == ["work_id", "source", "source_record_id", "matched_by", "is_primary", "record_source"]
    return [r[:5] for r in result.rows]


TITLE = "Statistical Mechanics of Deep Linear Neural Networks"


def test_doi_and_arxiv_doi_match_one_work(wh):
    rows = _work_sources(
        wh,
        openalex=[
            openalex_work("W1", TITLE, 2020, doi="10.48550/arxiv.2012.04030", type_="preprint", line=1),
            openalex_work("W2", "A journal paper", 2022, doi="10.1103/physrevx.11.031059", line=2),
            openalex_work("W3", "Unrelated", 2021, line=3),
        ],
        arxiv=[
            arxiv_entry("2012.04030", TITLE + " (v2)", 2020, line=100),
            arxiv_entry("2201.00009", "Preprint of a journal paper", 2022, doi="10.1103/physrevx.11.031059", line=101),
        ],
    )
    assert rows == [
        ("W1", "arxiv", "2012.04030", "arxiv_id", False),  # the DOI 10.48550/arxiv.<id> names the arXiv paper
        ("W2", "arxiv", "2201.00009", "doi", False),  # its journal DOI is the OpenAlex record's DOI
        ("W1", "openalex", "W1", "primary", True),
        ("W2", "openalex", "W2", "primary", True),
        ("W3", "openalex", "W3", "primary", True),
    ]


def test_title_and_year_within_one_match_when_an_author_is_shared(wh):
    rows = _work_sources(
        wh,
        openalex=[
            openalex_work("W1", TITLE, 2020, line=1),
            openalex_work("W2", "Globally Gated Deep Linear Networks", 2022, line=2),
        ],
        arxiv=[
            arxiv_entry("2101.00001", "Statistical mechanics of deep linear neural networks.", 2021, line=100),
            # same title, same year, but no author in common: a different paper
            arxiv_entry("2210.00001", "Globally gated deep linear networks", 2022, line=101),
            # same title and author, but three years apart: not matched
            arxiv_entry("1901.00001", TITLE, 2017, line=102),
        ],
        openalex_authors=[
            openalex_author("W1", "A1", "Qianyi Li", line=1),
            openalex_author("W2", "A1", "Qianyi Li", line=2),
        ],
        arxiv_authors=[
            arxiv_author("2101.00001", "Qianyi Li", 0, line=100),
            arxiv_author("2210.00001", "Someone Else", 0, line=101),
            arxiv_author("1901.00001", "Qianyi Li", 0, line=102),
        ],
    )
    assert rows == [
        (surrogate("W", "arxiv:1901.00001"), "arxiv", "1901.00001", "primary", True),
        ("W1", "arxiv", "2101.00001", "title_year", False),
        (surrogate("W", "arxiv:2210.00001"), "arxiv", "2210.00001", "primary", True),
        ("W1", "openalex", "W1", "primary", True),
        ("W2", "openalex", "W2", "primary", True),
    ]


def test_a_preprint_and_its_journal_article_are_one_work_through_the_arxiv_paper(wh):
    # seed 001's case: OpenAlex has the arXiv preprint (DOI 10.48550/…) and the journal article
    # (another DOI, another title wording); the arXiv paper names both.
    rows = _work_sources(
        wh,
        openalex=[
            openalex_work(
                "W10",
                "Dynamics in deep classifiers trained with the square loss",
                2021,
                doi="10.48550/arxiv.2101.00077",
                type_="preprint",
                cited=40,
                line=1,
            ),
            openalex_work(
                "W20",
                "Dynamics in Deep Classifiers Trained with the Square Loss: Normalization",
                2023,
                doi="10.1162/neco_a_01234",
                type_="article",
                cited=12,
                line=2,
            ),
        ],
        arxiv=[arxiv_entry("2101.00077", "Dynamics in deep classifiers", 2021, doi="10.1162/neco_a_01234")],
    )
    assert rows == [
        ("W20", "arxiv", "2101.00077", "doi", False),
        ("W20", "openalex", "W10", "arxiv_id", False),
        ("W20", "openalex", "W20", "primary", True),  # the version of record gives the id, not the preprint
    ]


def test_int_works_merges_versions_and_keeps_arxiv_only_works(wh):
    only = surrogate("W", "arxiv:2301.00005")
    wh.given(
        "int_work_sources",
        [
            dict(work_id="W20", source="openalex", source_record_id="W20", matched_by="primary", is_primary=True),
            dict(work_id="W20", source="openalex", source_record_id="W10", matched_by="arxiv_id", is_primary=False),
            dict(work_id="W20", source="arxiv", source_record_id="2101.00077", matched_by="doi", is_primary=False),
            dict(work_id=only, source="arxiv", source_record_id="2301.00005", matched_by="primary", is_primary=True),
        ],
    )
    wh.given(
        "int_works__latest",
        [
            openalex_work("W10", "Preprint title", 2021, doi="10.48550/arxiv.2101.00077", type_="preprint", cited=40),
            openalex_work("W20", "Journal title", 2023, type_="article", cited=12, line=2),
        ],
    )
    wh.given(
        "int_arxiv_entries__latest",
        [
            arxiv_entry("2101.00077", "Preprint title", 2021, doi="10.1162/neco_a_01234", abstract="From arXiv."),
            arxiv_entry("2301.00005", "Only on arXiv", 2023, abstract="Abstract.", line=101),
        ],
    )
    result = wh.run("intermediate/int_works", order_by="work_id")
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    picked = [
        "work_id",
        "doi",
        "title",
        "abstract",
        "publication_year",
        "type",
        "cited_by_count",
        "source_display_name",
        "record_source",
    ]
    assert [tuple(r[c] for c in picked) for r in rows] == sorted(
        [
            # the journal version's metadata; the highest citation count of the versions; gaps filled from arXiv
            (
                "W20",
                "10.1162/neco_a_01234",
                "Journal title",
                "From arXiv.",
                2023,
                "article",
                40,
                None,
                "openalex-snapshot",
            ),
            (only, None, "Only on arXiv", "Abstract.", 2023, "preprint", 0, "arXiv", "arxiv-api"),
        ]
    )


def test_int_works_points_at_the_openalex_abstract_and_fills_only_what_is_missing(wh):
    # W20 has its own abstract (row 7 of stg_openalex__works): int_works points at it and does not take
    # the arXiv paper's; W30 has none: the arXiv paper's fills it
    wh.given(
        "int_work_sources",
        [
            dict(work_id="W20", source="openalex", source_record_id="W20", matched_by="primary", is_primary=True),
            dict(work_id="W20", source="arxiv", source_record_id="2101.00077", matched_by="doi", is_primary=False),
            dict(work_id="W30", source="openalex", source_record_id="W30", matched_by="primary", is_primary=True),
            dict(work_id="W30", source="arxiv", source_record_id="2101.00078", matched_by="doi", is_primary=False),
        ],
    )
    wh.given(
        "int_works__latest",
        [
            openalex_work("W20", "Journal title", 2023, has_abstract=True, record_row=7),
            openalex_work("W30", "Other title", 2023, line=2, record_row=8),
        ],
    )
    wh.given(
        "int_arxiv_entries__latest",
        [
            arxiv_entry("2101.00077", "Journal title", 2023, abstract="Not this one."),
            arxiv_entry("2101.00078", "Other title", 2023, abstract="From arXiv.", line=2),
        ],
    )
    result = wh.run("intermediate/int_works", order_by="work_id")
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    assert [(r["work_id"], r["abstract_record_row"], r["abstract"]) for r in rows] == [
        ("W20", 7, None),
        ("W30", None, "From arXiv."),
    ]


def test_int_works_latest_keeps_the_newest_record_and_points_at_its_abstract(wh):
    day = "2026-01-01"
    wh.given(
        "stg_openalex__works",
        [
            dict(
                work_id="W1",
                title="old",
                abstract="Old abstract.",
                updated_date=day,
                ingest_date=day,
                source_file=F,
                line_number=1,
            ),
            dict(
                work_id="W2",
                title="only",
                abstract=None,
                updated_date=day,
                ingest_date=day,
                source_file=F,
                line_number=2,
            ),
            dict(
                work_id="W1",
                title="new",
                abstract="New abstract.",
                updated_date="2026-02-01",
                ingest_date=day,
                source_file=F,
                line_number=3,
            ),
        ],
    )
    result = wh.run("intermediate/int_works__latest", order_by="work_id")
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    assert "abstract" not in result.columns
    # rows of the given table are numbered from 0 in insertion order: W1's newest record is row 2
    assert [(r["work_id"], r["title"], r["has_abstract"], r["record_row"]) for r in rows] == [
        ("W1", "new", True, 2),
        ("W2", "only", False, 1),
    ]


def test_works_mart_reads_the_abstract_where_int_works_points(wh):
    wh.given(
        "stg_openalex__works",
        [
            dict(work_id="W1", abstract="Landed abstract.", source_file=F, line_number=1),
            dict(work_id="W2", abstract="Another work's.", source_file=F, line_number=2),
        ],
    )
    wh.given(
        "int_works",
        [
            dict(work_id="W1", abstract_record_row=0, abstract=None),
            dict(work_id="W3", abstract_record_row=None, abstract="From arXiv."),
            dict(work_id="W4", abstract_record_row=None, abstract=None),
        ],
    )
    wh.given("int_authorships", [dict(work_id="W1", author_id="A1"), dict(work_id="W1", author_id="A2")])
    result = wh.run("marts/works", order_by="work_id")
    rows = [dict(zip(result.columns, r, strict=True)) for r in result.rows]
    assert [(r["work_id"], r["abstract"], r["authors_count"]) for r in rows] == [
        ("W1", "Landed abstract.", 2),
        ("W3", "From arXiv.", 0),
        ("W4", None, 0),
    ]


# --- authors across sources ----------------------------------------------------------------


def _arxiv_authorships(wh, *, sources, openalex, openalex_authors, arxiv, arxiv_authors, authors=()):
    wh.given("int_work_sources", sources)
    wh.given("int_works__latest", openalex)
    wh.given("stg_openalex__authorships", openalex_authors)
    wh.given("int_arxiv_entries__latest", arxiv)
    wh.given("stg_arxiv__authorships", arxiv_authors)
    wh.given("int_authors__latest", list(authors))
    wh.run("intermediate/int_arxiv_name_evidence", order_by="author_id, kind, key")  # what the matching weighs
    result = wh.run("intermediate/int_arxiv_authorships", order_by="arxiv_id, position_index")
    assert result.columns == [
        "work_id",
        "arxiv_id",
        "position_index",
        "author_display_name",
        "author_id",
        "matched_by",
        "is_name_only",
    ]
    return result.rows


def test_arxiv_authors_match_by_name_on_the_same_work_or_by_a_shared_coauthor_else_stay_l0(wh):
    arxiv_only = surrogate("W", "arxiv:2301.00005")
    lone = surrogate("W", "arxiv:2302.00006")
    rows = _arxiv_authorships(
        wh,
        sources=[
            dict(work_id="W1", source="openalex", source_record_id="W1"),
            dict(work_id="W1", source="arxiv", source_record_id="2012.04030"),
            dict(work_id=arxiv_only, source="arxiv", source_record_id="2301.00005"),
            dict(work_id=lone, source="arxiv", source_record_id="2302.00006"),
        ],
        openalex=[openalex_work("W1", TITLE, 2020)],
        openalex_authors=[
            openalex_author("W1", "A1", "Qianyi Li", position=0),
            openalex_author("W1", "A2", "Haim Sompolinsky", position=1),
        ],
        arxiv=[
            arxiv_entry("2012.04030", TITLE, 2020, line=100),
            arxiv_entry("2301.00005", "A new arXiv-only paper", 2023, line=101),
            arxiv_entry("2302.00006", "A paper by a namesake", 2023, line=102),
        ],
        arxiv_authors=[
            # the same work: both names are OpenAlex authors of W1; a third name is new
            arxiv_author("2012.04030", "Qianyi Li", 0, line=100),
            arxiv_author("2012.04030", "Haim Sompolinsky", 1, line=100),
            arxiv_author("2012.04030", "New Student", 2, line=100),
            # an arXiv-only paper: Qianyi Li with her OpenAlex co-author Sompolinsky
            arxiv_author("2301.00005", "Qianyi Li", 0, line=101),
            arxiv_author("2301.00005", "Haim Sompolinsky", 1, line=101),
            # a namesake: same name, no shared co-author, no shared work: never merged on name alone
            arxiv_author("2302.00006", "Qianyi Li", 0, line=102),
            arxiv_author("2302.00006", "Stranger Person", 1, line=102),
        ],
    )
    assert rows == [
        ("W1", "2012.04030", 0, "Qianyi Li", "A1", "same_work", False),
        ("W1", "2012.04030", 1, "Haim Sompolinsky", "A2", "same_work", False),
        ("W1", "2012.04030", 2, "New Student", surrogate("A", "arxiv:2012.04030|new student"), "name_only", True),
        (arxiv_only, "2301.00005", 0, "Qianyi Li", "A1", "coauthor", False),
        (arxiv_only, "2301.00005", 1, "Haim Sompolinsky", "A2", "coauthor", False),
        (lone, "2302.00006", 0, "Qianyi Li", surrogate("A", "arxiv:2302.00006|qianyi li"), "name_only", True),
        (
            lone,
            "2302.00006",
            1,
            "Stranger Person",
            surrogate("A", "arxiv:2302.00006|stranger person"),
            "name_only",
            True,
        ),
    ]
    assert all(r[4].startswith("A") and r[4][1:].isdigit() for r in rows)  # the profiles id contract (^A\d+$)


def test_a_name_shared_by_two_openalex_authors_is_never_guessed(wh):
    only = surrogate("W", "arxiv:2301.00005")
    rows = _arxiv_authorships(
        wh,
        sources=[
            dict(work_id="W1", source="openalex", source_record_id="W1"),
            dict(work_id="W1", source="arxiv", source_record_id="2012.04030"),
            dict(work_id=only, source="arxiv", source_record_id="2301.00005"),
        ],
        openalex=[openalex_work("W1", TITLE, 2020)],
        openalex_authors=[
            openalex_author("W1", "A1", "Wei Zhang", position=0),
            openalex_author("W1", "A7", "Wei Zhang", position=1),
            openalex_author("W1", "A3", "Li Na", position=2),
        ],
        arxiv=[arxiv_entry("2012.04030", TITLE, 2020), arxiv_entry("2301.00005", "Another paper", 2023, line=101)],
        arxiv_authors=[
            arxiv_author("2012.04030", "Wei Zhang", 0),
            arxiv_author("2012.04030", "Li Na", 1),
            arxiv_author("2301.00005", "Wei Zhang", 0, line=101),
            arxiv_author("2301.00005", "Li Na", 1, line=101),
        ],
    )
    assert [(r[1], r[3], r[4], r[5]) for r in rows] == [
        # on the same work: both Wei Zhangs are on it already, so the arXiv entry adds no one
        ("2012.04030", "Li Na", "A3", "same_work"),
        # elsewhere: both Wei Zhangs have Li Na as a co-author, so neither is chosen (L0)
        ("2301.00005", "Wei Zhang", surrogate("A", "arxiv:2301.00005|wei zhang"), "name_only"),
        ("2301.00005", "Li Na", "A3", "coauthor"),
    ]


def test_int_authorships_counts_an_author_once_across_sources_and_versions(wh):
    l0 = surrogate("A", "arxiv:2012.04030|new student")
    wh.given(
        "int_work_sources",
        [
            dict(work_id="W20", source="openalex", source_record_id="W20"),
            dict(work_id="W20", source="openalex", source_record_id="W10"),
        ],
    )
    wh.given("int_works__latest", [openalex_work("W10", "t", 2021, line=1), openalex_work("W20", "t", 2021, line=2)])
    wh.given(
        "stg_openalex__authorships",
        [
            dict(openalex_author("W10", "A1", "Qianyi Li", line=1, position=0), author_position="first"),
            dict(openalex_author("W20", "A1", "Qianyi Li", line=2, position=1), author_position="middle"),
            dict(openalex_author("W20", "A2", "Haim Sompolinsky", line=2, position=2), orcid="0000-0002-0000-0006"),
        ],
    )
    wh.given(
        "int_arxiv_authorships",
        [
            dict(
                work_id="W20",
                arxiv_id="2012.04030",
                position_index=0,
                author_display_name="Qianyi Li",
                author_id="A1",
                matched_by="same_work",
                is_name_only=False,
            ),
            dict(
                work_id="W20",
                arxiv_id="2012.04030",
                position_index=1,
                author_display_name="New Student",
                author_id=l0,
                matched_by="name_only",
                is_name_only=True,
            ),
        ],
    )
    result = wh.run("intermediate/int_authorships", order_by="work_id, author_id")
    assert result.columns == [
        "work_id",
        "author_id",
        "author_display_name",
        "author_position",
        "orcid",
        "position_index",
        "is_corresponding",
        "listed_count",
        "is_name_only",
    ]
    assert result.rows == [
        ("W20", "A1", "Qianyi Li", "first", None, 0, False, 1, False),
        ("W20", "A2", "Haim Sompolinsky", None, "0000-0002-0000-0006", 2, False, 1, False),
        ("W20", l0, "New Student", None, None, 1, False, 1, True),
    ]


@pytest.mark.parametrize(("is_name_only", "level"), [(True, "L0"), (False, "L1")])
def test_a_name_only_author_is_verification_l0(wh, is_name_only, level):
    author = surrogate("A", "arxiv:2302.00006|qianyi li")
    wh.given("int_authors__latest", [])
    wh.given(
        "int_authorships",
        [
            dict(
                work_id="W1",
                author_id=author,
                author_display_name="Qianyi Li",
                position_index=0,
                listed_count=1,
                is_name_only=is_name_only,
            )
        ],
    )
    wh.given("int_works", [dict(work_id="W1", cited_by_count=0, publication_year=2023)])
    for name in ("int_topic_counts", "int_collaborator_edges", "int_author_event_state"):
        wh.given(name, [])
    result = wh.run("intermediate/int_profile_features", order_by="author_id")
    row = dict(zip(result.columns, result.rows[0], strict=True))
    assert (row["author_id"], row["display_name"], row["works_count"], row["verification_level"]) == (
        author,
        "Qianyi Li",
        1,
        level,
    )


def test_work_sources_publishes_every_source_record(wh):
    wh.given(
        "int_work_sources",
        [
            dict(
                work_id="W1",
                source="openalex",
                source_record_id="W1",
                matched_by="primary",
                is_primary=True,
                record_source="openalex-snapshot",
            ),
            dict(
                work_id="W1",
                source="arxiv",
                source_record_id="2012.04030",
                matched_by="arxiv_id",
                is_primary=False,
                record_source="arxiv-api",
            ),
        ],
    )
    result = wh.run("marts/work_sources", order_by="source")
    assert result.rows == [
        ("W1", "arxiv", "2012.04030", "arxiv_id", False, "arxiv-api"),
        ("W1", "openalex", "W1", "primary", True, "openalex-snapshot"),
    ]
