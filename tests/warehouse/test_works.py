"""marts/works: one row per work, with the distinct authors counted."""

from datetime import date, datetime

MODEL = "marts/works"

STG_WORKS_COLUMNS = (
    "work_id VARCHAR, doi VARCHAR, title VARCHAR, abstract VARCHAR, publication_year BIGINT, "
    "publication_date DATE, type VARCHAR, cited_by_count BIGINT, source_display_name VARCHAR, "
    "source_id VARCHAR, primary_topic_id VARCHAR, is_retracted BOOLEAN, updated_date TIMESTAMP, "
    "created_date TIMESTAMP, record_source VARCHAR, ingest_date DATE"
)


def test_works_carry_venue_and_distinct_author_count(wh):
    upd, created, ingest = datetime(2024, 6, 1), datetime(2023, 1, 2), date(2025, 1, 1)
    wh.table(
        "stg_openalex__works",
        STG_WORKS_COLUMNS,
        [
            ("W1", "https://doi.org/10.1/a", "Paper A", "Abs A", 2023, date(2023, 1, 1), "article", 12,
             "arXiv", "S1", "T1", False, upd, created, "openalex-snapshot", ingest),
            ("W2", None, "Paper B", None, 2021, None, "preprint", 0,
             None, None, None, None, upd, created, "openalex-api", ingest),
            ("W3", None, "Paper C", None, None, None, None, 3,
             "NeurIPS", "S2", "T2", True, None, None, "openalex-snapshot", ingest),
        ],
    )  # fmt: skip
    wh.table(
        "stg_openalex__authorships",
        "work_id VARCHAR, author_id VARCHAR",
        [
            ("W1", "A1"),
            ("W1", "A2"),
            ("W1", "A1"),  # listed twice: one author
            ("W3", "A3"),
        ],
    )

    result = wh.run(MODEL, order_by="work_id")

    assert result.columns == [
        "work_id", "doi", "title", "abstract", "publication_year", "publication_date", "type", "cited_by_count",
        "source", "source_id", "primary_topic_id", "authors_count", "is_retracted", "updated_date",
        "created_date", "record_source", "ingest_date",
    ]  # fmt: skip
    assert result.rows == [
        ("W1", "https://doi.org/10.1/a", "Paper A", "Abs A", 2023, date(2023, 1, 1), "article", 12,
         "arXiv", "S1", "T1", 2, False, upd, created, "openalex-snapshot", ingest),
        ("W2", None, "Paper B", None, 2021, None, "preprint", 0,
         None, None, None, 0, None, upd, created, "openalex-api", ingest),
        ("W3", None, "Paper C", None, None, None, None, 3,
         "NeurIPS", "S2", "T2", 1, True, None, None, "openalex-snapshot", ingest),
    ]  # fmt: skip
