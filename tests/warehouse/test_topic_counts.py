"""marts/topic_counts: one row per (author, topic) with the author's distinct works on it."""

MODEL = "marts/topic_counts"


def test_counts_distinct_works_per_author_and_topic(wh):
    wh.table(
        "authorships",
        "work_id VARCHAR, author_id VARCHAR",
        [("W1", "A1"), ("W2", "A1"), ("W3", "A1"), ("W1", "A2")],
    )
    wh.table(
        "stg_openalex__work_topics",
        "work_id VARCHAR, topic_id VARCHAR, topic_display_name VARCHAR, score DOUBLE, "
        "subfield VARCHAR, field VARCHAR, domain VARCHAR",
        [
            ("W1", "T1", "Deep Learning", 0.9, "AI", "CS", "PS"),
            ("W1", "T2", "Graph Theory", 0.4, "Math", "Mathematics", "PS"),
            ("W2", "T1", "Deep Learning", 0.8, "AI", "CS", "PS"),
            ("W4", "T3", "Orphan Topic", 0.5, "X", "Y", "Z"),  # no author on W4
        ],
    )

    result = wh.run(MODEL, order_by="author_id, topic_id")

    assert result.columns == ["author_id", "topic_id", "topic_display_name", "subfield", "field", "domain", "works_count"]
    assert result.rows == [
        ("A1", "T1", "Deep Learning", "AI", "CS", "PS", 2),
        ("A1", "T2", "Graph Theory", "Math", "Mathematics", "PS", 1),
        ("A2", "T1", "Deep Learning", "AI", "CS", "PS", 1),
        ("A2", "T2", "Graph Theory", "Math", "Mathematics", "PS", 1),
    ]
