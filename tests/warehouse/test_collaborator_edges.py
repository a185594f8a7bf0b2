"""marts/collaborator_edges: one row per unordered author pair sharing a work."""

from pipeline.config import GraphSettings, Settings

MODEL = "marts/collaborator_edges"

AUTHORSHIPS = [
    ("W1", "A1"), ("W1", "A2"), ("W1", "A3"),
    ("W2", "A2"), ("W2", "A1"),
    ("W3", "A1"), ("W3", "A2"),
    ("W4", "A1"), ("W4", "A2"), ("W4", "A3"), ("W4", "A4"),
]  # fmt: skip
WORKS = [("W1", 2019, 3), ("W2", 2021, 2), ("W3", 2023, 2), ("W4", 2022, 4)]


def load(wh):
    wh.table("authorships", "work_id VARCHAR, author_id VARCHAR", AUTHORSHIPS)
    wh.table("works", "work_id VARCHAR, publication_year BIGINT, authors_count BIGINT", WORKS)


def test_works_with_more_than_max_authors_add_no_edges(wh):
    wh.configure(Settings().model_copy(update={"graph": GraphSettings(max_authors_per_work=3)}))
    load(wh)

    result = wh.run(MODEL, order_by="author_a, author_b")

    assert result.columns == ["author_a", "author_b", "shared_works", "first_year", "last_year", "is_close"]
    # W4 has 4 authors > 3: no edges from it, so A4 has none; W1 has exactly 3 and counts.
    assert result.rows == [
        ("A1", "A2", 3, 2019, 2023, True),
        ("A1", "A3", 1, 2019, 2019, False),
        ("A2", "A3", 1, 2019, 2019, False),
    ]


def test_is_close_follows_close_min_shared_works(wh):
    wh.configure(Settings().model_copy(update={"graph": GraphSettings(close_min_shared_works=3)}))
    load(wh)

    result = wh.run(MODEL, order_by="author_a, author_b")

    assert result.rows == [
        ("A1", "A2", 4, 2019, 2023, True),
        ("A1", "A3", 2, 2019, 2022, False),
        ("A1", "A4", 1, 2022, 2022, False),
        ("A2", "A3", 2, 2019, 2022, False),
        ("A2", "A4", 1, 2022, 2022, False),
        ("A3", "A4", 1, 2022, 2022, False),
    ]
