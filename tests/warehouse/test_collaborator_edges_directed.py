"""marts/collaborator_edges_directed: both directions of every collaborator edge (a view)."""

MODEL = "marts/collaborator_edges_directed"


def test_each_edge_appears_in_both_directions(wh):
    wh.table(
        "collaborator_edges",
        "author_a VARCHAR, author_b VARCHAR, shared_works BIGINT, first_year BIGINT, last_year BIGINT, is_close BOOLEAN",
        [
            ("A1", "A2", 3, 2019, 2023, True),
            ("A1", "A3", 1, 2019, 2019, False),
            ("A2", "A3", 1, 2020, 2020, False),
        ],
    )

    result = wh.run(MODEL, order_by="author_id, collaborator_id")

    assert result.columns == ["author_id", "collaborator_id", "shared_works", "first_year", "last_year", "is_close"]
    assert result.rows == [
        ("A1", "A2", 3, 2019, 2023, True),
        ("A1", "A3", 1, 2019, 2019, False),
        ("A2", "A1", 3, 2019, 2023, True),
        ("A2", "A3", 1, 2020, 2020, False),
        ("A3", "A1", 1, 2019, 2019, False),
        ("A3", "A2", 1, 2020, 2020, False),
    ]
    table_type = wh.con.execute(
        "select table_type from information_schema.tables where table_name = 'collaborator_edges_directed'"
    ).fetchall()
    assert table_type == [("VIEW",)]
