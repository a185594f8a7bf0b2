"""staging/stg_openalex__works: one row per work, its newest record."""

from datetime import date, datetime

from pipeline.schemas.lake import WorkRow

MODEL = "staging/stg_openalex__works"

COLUMNS = [
    "work_id", "doi", "title", "publication_year", "publication_date", "type", "cited_by_count", "source_id",
    "source_display_name", "abstract", "is_retracted", "primary_topic_id", "authorships", "topics",
    "updated_date", "created_date", "record_source", "location", "ingest_date",
]  # fmt: skip

AUTHORSHIP = {
    "author_id": "A1",
    "display_name": "Ada Lovelace",
    "orcid": None,
    "author_position": "first",
    "position_index": 0,
    "is_corresponding": True,
    "institution_ids": ["I1"],
}
TOPIC = {"topic_id": "T1", "display_name": "Graphs", "score": 0.9, "subfield": "S", "field": "F", "domain": "D"}


def version(work_id, title, updated_date, ingest_date, location, cited_by_count=0):
    return {
        "work_id": work_id,
        "title": title,
        "cited_by_count": cited_by_count,
        "authorships": [],
        "topics": [],
        "updated_date": updated_date,
        "record_source": "openalex-snapshot",
        "location": location,
        "ingest_date": ingest_date,
    }


def row(work_id, title, updated_date, ingest_date, location, cited_by_count=0):
    return (
        work_id, None, title, None, None, None, cited_by_count, None,
        None, None, None, None, [], [],
        updated_date, None, "openalex-snapshot", location, ingest_date,
    )  # fmt: skip


def test_newest_updated_date_wins_even_if_landed_earlier(wh):
    full = {
        **version("W1", "v2", datetime(2024, 6, 1), date(2025, 1, 1), "part_000.gz:2", cited_by_count=7),
        "doi": "https://doi.org/10.1/x",
        "publication_year": 2023,
        "publication_date": date(2023, 5, 4),
        "type": "article",
        "source_id": "S1",
        "source_display_name": "arXiv",
        "abstract": "An abstract.",
        "is_retracted": False,
        "primary_topic_id": "T1",
        "authorships": [AUTHORSHIP],
        "topics": [TOPIC],
        "created_date": datetime(2023, 5, 5),
    }
    wh.raw(
        "raw_works",
        WorkRow,
        [
            version("W1", "v1", datetime(2024, 1, 1), date(2025, 1, 1), "part_000.gz:1"),
            full,
            version("W1", "v1b", datetime(2024, 3, 1), date(2025, 2, 1), "part_009.gz:1"),
        ],
    )

    result = wh.run(MODEL, order_by="work_id")

    assert result.columns == COLUMNS
    assert result.rows == [
        (
            "W1", "https://doi.org/10.1/x", "v2", 2023, date(2023, 5, 4), "article", 7, "S1",
            "arXiv", "An abstract.", False, "T1", [AUTHORSHIP], [TOPIC],
            datetime(2024, 6, 1), datetime(2023, 5, 5), "openalex-snapshot", "part_000.gz:2", date(2025, 1, 1),
        ),
    ]  # fmt: skip


def test_ties_break_on_later_ingest_then_location_and_null_updated_loses(wh):
    same = datetime(2024, 6, 1)
    wh.raw(
        "raw_works",
        WorkRow,
        [
            # W2: same updated_date -> the later ingest wins, whatever the location
            version("W2", "old ingest", same, date(2025, 1, 1), "part_009.gz:1"),
            version("W2", "new ingest", same, date(2025, 2, 1), "part_000.gz:1"),
            # W3: same updated_date and ingest -> the last location wins
            version("W3", "first file", same, date(2025, 1, 1), "part_000.gz:5"),
            version("W3", "second file", same, date(2025, 1, 1), "part_001.gz:5"),
            # W4: a record without updated_date loses to one with it
            version("W4", "undated", None, date(2025, 3, 1), "part_002.gz:1"),
            version("W4", "dated", datetime(2020, 1, 1), date(2025, 1, 1), "part_000.gz:2"),
        ],
    )

    result = wh.run(MODEL, order_by="work_id")

    assert result.rows == [
        row("W2", "new ingest", same, date(2025, 2, 1), "part_000.gz:1"),
        row("W3", "second file", same, date(2025, 1, 1), "part_001.gz:5"),
        row("W4", "dated", datetime(2020, 1, 1), date(2025, 1, 1), "part_000.gz:2"),
    ]


def test_tie_break_uses_the_line_number_as_a_number(wh):
    same = (datetime(2024, 1, 1), date(2025, 1, 1))
    wh.raw(
        "raw_works",
        WorkRow,
        [
            version("W1", "line 9", *same, "data/works/updated_date=2024-01-01/part_000.gz:9"),
            version("W1", "line 10", *same, "data/works/updated_date=2024-01-01/part_000.gz:10"),
        ],
    )
    result = wh.run(MODEL, order_by="work_id")
    assert [r[2] for r in result.rows] == ["line 10"]  # the later line, not the alphabetically larger one
