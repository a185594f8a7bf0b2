"""intermediate/int_profile_features: one row per known author, the trust and profile inputs."""

MODEL = "intermediate/int_profile_features"


def test_features_per_author(wh):
    wh.table(
        "stg_openalex__authors",
        "author_id VARCHAR, display_name VARCHAR, orcid VARCHAR, openalex_works_count BIGINT, "
        "openalex_cited_by_count BIGINT, h_index BIGINT",
        [
            ("A1", "Ada Lovelace", None, 120, 900, 12),
            ("A2", "Bo Record", "0000-0001-0000-0002", 40, 300, 7),
            ("A3", "Cy Claim", None, 5, 10, 1),
        ],
    )
    wh.table(
        "authorships",
        "work_id VARCHAR, author_id VARCHAR",
        [("W1", "A1"), ("W2", "A1"), ("W3", "A1"), ("W1", "A4"), ("W2", "A4"), ("W3", "A5")],
    )
    wh.table(
        "works",
        "work_id VARCHAR, cited_by_count BIGINT, publication_year BIGINT",
        [("W1", 10, 2019), ("W2", 5, 2021), ("W3", 1, 2020)],
    )
    wh.table(
        "stg_openalex__authorships",
        "work_id VARCHAR, author_id VARCHAR, author_display_name VARCHAR, orcid VARCHAR",
        [
            ("W1", "A1", "A. Lovelace", None),  # A1's own record name wins
            ("W1", "A4", "D. Author", None),
            ("W2", "A4", "Dana Author", None),  # most recent work: this name
            ("W3", "A5", "Eve Noether", "0000-0002-1825-0097"),
        ],
    )
    wh.table(
        "topic_counts",
        "author_id VARCHAR, topic_id VARCHAR, works_count BIGINT",
        [("A1", "T1", 2), ("A1", "T2", 1), ("A4", "T1", 2)],
    )
    wh.table(
        "collaborator_edges_directed",
        "author_id VARCHAR, collaborator_id VARCHAR, shared_works BIGINT, is_close BOOLEAN",
        [("A1", "A4", 2, True), ("A4", "A1", 2, True), ("A1", "A5", 1, False), ("A5", "A1", 1, False)],
    )
    wh.table(
        "int_author_event_state",
        "author_id VARCHAR, followers_count BIGINT, is_claimed BOOLEAN, is_verified BOOLEAN",
        [
            ("A1", 3, True, True),  # claimed + verified -> L3 even without ORCID
            ("A2", 0, False, True),  # verified without a claim -> not L3
            ("A3", 1, True, False),  # claimed only, no ORCID -> L1
            ("A9", 4, True, True),  # events only: not a known author
        ],
    )

    result = wh.run(MODEL, order_by="author_id")

    assert result.columns == [
        "author_id", "display_name", "orcid", "works_count", "cited_by_count", "openalex_works_count",
        "openalex_cited_by_count", "h_index", "first_publication_year", "last_publication_year", "topics_count",
        "collaborators_count", "close_collaborators_count", "followers_count", "claim_status",
        "verification_level",
    ]  # fmt: skip
    assert result.rows == [
        ("A1", "Ada Lovelace", None, 3, 16, 120, 900, 12, 2019, 2021, 2, 2, 1, 3, "claimed", "L3"),
        ("A2", "Bo Record", "0000-0001-0000-0002", 0, 0, 40, 300, 7, None, None, 0, 0, 0, 0, "unclaimed", "L2"),
        ("A3", "Cy Claim", None, 0, 0, 5, 10, 1, None, None, 0, 0, 0, 1, "claimed", "L1"),
        ("A4", "Dana Author", None, 2, 15, None, None, None, 2019, 2021, 1, 1, 1, 0, "unclaimed", "L1"),
        ("A5", "Eve Noether", "0000-0002-1825-0097", 1, 1, None, None, None, 2020, 2020, 0, 1, 0, 0,
         "unclaimed", "L2"),
    ]  # fmt: skip
