"""staging/stg_openalex__merged_authors: retired author id -> finally surviving id."""

from datetime import date

from pipeline.schemas.lake import MergedAuthorRow

MODEL = "staging/stg_openalex__merged_authors"


def merge(merged_id, merge_into_id, merge_date, line):
    return {
        "merged_id": merged_id,
        "merge_into_id": merge_into_id,
        "merge_date": merge_date,
        "record_source": "openalex-snapshot",
        "location": f"merged_ids/authors/2024-03-01.csv.gz:{line}",
        "ingest_date": date(2025, 1, 1),
    }


def test_chain_resolves_to_the_last_id(wh):
    wh.raw(
        "raw_merged_authors",
        MergedAuthorRow,
        [
            merge("A1", "A2", date(2023, 1, 1), 1),
            merge("A2", "A3", date(2024, 1, 1), 2),
            merge("A7", "A8", date(2024, 1, 1), 3),
        ],
    )

    result = wh.run(MODEL, order_by="merged_id")

    assert result.columns == ["merged_id", "surviving_id"]
    assert result.rows == [
        ("A1", "A3"),
        ("A2", "A3"),
        ("A7", "A8"),
    ]


def test_latest_merge_wins_and_self_merges_are_ignored(wh):
    wh.raw(
        "raw_merged_authors",
        MergedAuthorRow,
        [
            merge("A10", "A11", date(2023, 1, 1), 1),
            merge("A10", "A12", date(2024, 5, 1), 2),  # latest merge of A10
            merge("A10", "A13", None, 3),  # undated: older than any dated merge
            merge("A20", "A20", date(2024, 1, 1), 4),  # self-merge: no mapping
        ],
    )

    result = wh.run(MODEL, order_by="merged_id")

    assert result.rows == [("A10", "A12")]


def test_cycle_terminates_after_32_hops(wh):
    # A31 -> A32 -> A31 ...: cut after 32 hops, an even number, so each member
    # of the 2-cycle ends on itself; A30 enters the cycle and ends 32 hops on.
    wh.raw(
        "raw_merged_authors",
        MergedAuthorRow,
        [
            merge("A31", "A32", date(2024, 1, 1), 1),
            merge("A32", "A31", date(2024, 1, 1), 2),
            merge("A30", "A31", date(2024, 1, 1), 3),
        ],
    )

    result = wh.run(MODEL, order_by="merged_id")

    assert result.rows == [
        ("A30", "A32"),
        ("A31", "A31"),
        ("A32", "A32"),
    ]
