"""staging/stg_openalex__authorships: one row per authorship entry, merged ids resolved."""

MODEL = "staging/stg_openalex__authorships"

AUTHORSHIP_TYPE = (
    'STRUCT("author_id" VARCHAR, "display_name" VARCHAR, "orcid" VARCHAR, "author_position" VARCHAR, '
    '"position_index" BIGINT, "is_corresponding" BOOLEAN, "institution_ids" VARCHAR[])[]'
)


def entry(author_id, name, position, index, orcid=None, corresponding=None):
    return {
        "author_id": author_id,
        "display_name": name,
        "orcid": orcid,
        "author_position": position,
        "position_index": index,
        "is_corresponding": corresponding,
        "institution_ids": [],
    }


def test_entries_resolve_merged_ids_drop_null_authors_and_keep_repeats(wh):
    wh.table(
        "stg_openalex__works",
        f"work_id VARCHAR, authorships {AUTHORSHIP_TYPE}",
        [
            (
                "W1",
                [
                    entry("A1", "Ada L.", "first", 0, corresponding=True),  # retired -> A3
                    entry("A5", "Bo", "middle", 1, orcid="0000-0001-0000-0001"),
                    entry(None, "Unknown Person", "middle", 2),  # no author id: dropped
                    entry("A5", "Bo B.", "last", 3, corresponding=False),  # listed twice: kept here
                ],
            ),
            ("W2", []),
            ("W3", [entry("A2", "Ada", "first", 0)]),  # retired -> A3
        ],
    )
    wh.table(
        "stg_openalex__merged_authors",
        "merged_id VARCHAR, surviving_id VARCHAR",
        [("A1", "A3"), ("A2", "A3"), ("A9", "A3")],
    )

    result = wh.run(MODEL, order_by="work_id, position_index")

    assert result.columns == [
        "work_id", "author_id", "listed_author_id", "author_display_name", "orcid",
        "author_position", "position_index", "is_corresponding",
    ]  # fmt: skip
    assert result.rows == [
        ("W1", "A3", "A1", "Ada L.", None, "first", 0, True),
        ("W1", "A5", "A5", "Bo", "0000-0001-0000-0001", "middle", 1, None),
        ("W1", "A5", "A5", "Bo B.", None, "last", 3, False),
        ("W3", "A3", "A2", "Ada", None, "first", 0, None),
    ]
