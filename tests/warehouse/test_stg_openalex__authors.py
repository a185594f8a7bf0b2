"""staging/stg_openalex__authors: one row per surviving author id."""

from datetime import date, datetime

from pipeline.schemas.lake import AuthorRow

MODEL = "staging/stg_openalex__authors"


def record(author_id, name, updated_date, ingest_date, location, works_count=1):
    return {
        "author_id": author_id,
        "orcid": None,
        "display_name": name,
        "openalex_works_count": works_count,
        "openalex_cited_by_count": 10 * works_count,
        "h_index": 1,
        "i10_index": 0,
        "last_known_institutions": ["I1"],
        "updated_date": updated_date,
        "created_date": datetime(2020, 1, 1),
        "record_source": "openalex-snapshot",
        "location": location,
        "ingest_date": ingest_date,
    }


def row(author_id, name, updated_date, ingest_date, location, works_count=1):
    return (
        author_id, None, name, works_count, 10 * works_count, 1, 0, ["I1"],
        updated_date, datetime(2020, 1, 1), "openalex-snapshot", location, ingest_date,
    )  # fmt: skip


def test_survivor_record_wins_then_newest_and_retired_records_fold_in(wh):
    d1, d2 = date(2025, 1, 1), date(2025, 2, 1)
    wh.raw(
        "raw_authors",
        AuthorRow,
        [
            record("A3", "Survivor own", datetime(2024, 1, 1), d1, "a.gz:1", works_count=3),
            record("A1", "Retired newer", datetime(2024, 12, 1), d2, "a.gz:2"),  # -> A3, loses to A3's own
            record("A5", "Old", datetime(2024, 1, 1), d2, "a.gz:3"),
            record("A5", "New", datetime(2024, 6, 1), d1, "a.gz:4", works_count=5),
            record("A8", "Only retired", datetime(2024, 2, 1), d1, "a.gz:5", works_count=8),  # -> A9
        ],
    )
    wh.table(
        "stg_openalex__merged_authors",
        "merged_id VARCHAR, surviving_id VARCHAR",
        [("A1", "A3"), ("A8", "A9"), ("A2", "A3")],
    )

    result = wh.run(MODEL, order_by="author_id")

    assert result.columns == [
        "author_id", "orcid", "display_name", "openalex_works_count", "openalex_cited_by_count", "h_index",
        "i10_index", "last_known_institutions", "updated_date", "created_date", "record_source", "location",
        "ingest_date",
    ]  # fmt: skip
    assert result.rows == [
        row("A3", "Survivor own", datetime(2024, 1, 1), d1, "a.gz:1", works_count=3),
        row("A5", "New", datetime(2024, 6, 1), d1, "a.gz:4", works_count=5),
        row("A9", "Only retired", datetime(2024, 2, 1), d1, "a.gz:5", works_count=8),
    ]


def test_ties_break_on_later_ingest_then_location(wh):
    same = datetime(2024, 6, 1)
    d1, d2 = date(2025, 1, 1), date(2025, 2, 1)
    wh.raw(
        "raw_authors",
        AuthorRow,
        [
            record("A6", "Earlier ingest", same, d1, "b.gz:1"),
            record("A6", "Later ingest", same, d2, "a.gz:1"),
            record("A7", "First file", same, d1, "a.gz:9"),
            record("A7", "Second file", same, d1, "b.gz:9"),
        ],
    )
    wh.table("stg_openalex__merged_authors", "merged_id VARCHAR, surviving_id VARCHAR", [])

    result = wh.run(MODEL, order_by="author_id")

    assert result.rows == [
        row("A6", "Later ingest", same, d2, "a.gz:1"),
        row("A7", "Second file", same, d1, "b.gz:9"),
    ]
