"""staging/stg_openalex__work_topics: one row per (work, topic) of the newest work version."""

MODEL = "staging/stg_openalex__work_topics"

TOPIC_TYPE = (
    'STRUCT("topic_id" VARCHAR, "display_name" VARCHAR, "score" DOUBLE, "subfield" VARCHAR, '
    '"field" VARCHAR, "domain" VARCHAR)[]'
)


def topic(topic_id, name, score):
    return {
        "topic_id": topic_id,
        "display_name": name,
        "score": score,
        "subfield": "Artificial Intelligence",
        "field": "Computer Science",
        "domain": "Physical Sciences",
    }


def test_one_row_per_work_topic_with_repeats_folded(wh):
    wh.table(
        "stg_openalex__works",
        f"work_id VARCHAR, topics {TOPIC_TYPE}",
        [
            ("W1", [topic("T1", "Deep Learning", 0.9), topic("T2", "Graph Theory", 0.5)]),
            ("W2", [topic("T1", "Deep learning", 0.3), topic("T1", "Deep Learning", 0.7)]),  # listed twice
            ("W3", []),
        ],
    )

    result = wh.run(MODEL, order_by="work_id, topic_id")

    assert result.columns == [
        "work_id", "topic_id", "topic_display_name", "score", "subfield", "field", "domain",
    ]  # fmt: skip
    ai, cs, ps = "Artificial Intelligence", "Computer Science", "Physical Sciences"
    assert result.rows == [
        ("W1", "T1", "Deep Learning", 0.9, ai, cs, ps),
        ("W1", "T2", "Graph Theory", 0.5, ai, cs, ps),
        ("W2", "T1", "Deep Learning", 0.7, ai, cs, ps),
    ]
