"""marts/authorships: one row per (work, author); a repeated author folds to one row."""

MODEL = "marts/authorships"


def test_author_listed_twice_folds_to_first_position(wh):
    wh.table(
        "stg_openalex__authorships",
        "work_id VARCHAR, author_id VARCHAR, listed_author_id VARCHAR, author_display_name VARCHAR, "
        "orcid VARCHAR, author_position VARCHAR, position_index BIGINT, is_corresponding BOOLEAN",
        [
            ("W1", "A1", "A1", "A. Lovelace", None, "last", 2, True),
            ("W1", "A1", "A7", "Ada Lovelace", None, "first", 0, None),  # A7 was merged into A1
            ("W1", "A2", "A2", "Bo", None, "middle", 1, False),
            ("W2", "A3", "A3", "Cy", "0000-0001-0000-0003", "first", 0, None),
        ],
    )

    result = wh.run(MODEL, order_by="work_id, author_id")

    assert result.columns == [
        "work_id", "author_id", "author_display_name", "author_position", "position_index",
        "is_corresponding", "listed_count",
    ]  # fmt: skip
    assert result.rows == [
        ("W1", "A1", "Ada Lovelace", "first", 0, True, 2),
        ("W1", "A2", "Bo", "middle", 1, False, 1),
        ("W2", "A3", "Cy", "first", 0, False, 1),
    ]
