"""marts/profiles: one row per author, features plus the build date's trust snapshot."""

from datetime import date

MODEL = "marts/profiles"
AS_OF = date(2026, 1, 1)

FEATURE_COLUMNS = (
    "author_id VARCHAR, display_name VARCHAR, orcid VARCHAR, works_count BIGINT, cited_by_count BIGINT, "
    "openalex_works_count BIGINT, openalex_cited_by_count BIGINT, h_index BIGINT, "
    "first_publication_year BIGINT, last_publication_year BIGINT, topics_count BIGINT, "
    "collaborators_count BIGINT, close_collaborators_count BIGINT, followers_count BIGINT, "
    "claim_status VARCHAR, verification_level VARCHAR"
)


def test_profiles_join_the_as_of_trust_snapshot(wh):
    wh.table(
        "int_profile_features",
        FEATURE_COLUMNS,
        [
            ("A1", "Ada Lovelace", None, 3, 16, 120, 900, 12, 2019, 2021, 2, 2, 1, 3, "claimed", "L3"),
            ("A2", "Bo Record", "0000-0001-0000-0002", 0, 0, 40, 300, 7, None, None, 0, 0, 0, 0, "unclaimed", "L2"),
            ("A3", "Cy Claim", None, 1, 1, None, None, None, 2020, 2020, 0, 1, 0, 1, "claimed", "L1"),
        ],
    )
    wh.table(
        "trust_snapshots",
        "author_id VARCHAR, as_of DATE, trust_score INTEGER, trust_tier VARCHAR, model_version VARCHAR",
        [
            ("A1", date(2025, 12, 1), 50, "Established", "trust-v0"),  # an older snapshot: ignored
            ("A1", AS_OF, 73, "Trusted", "trust-v1"),
            ("A2", AS_OF, 12, "Unverified", "trust-v1"),
            ("A3", date(2025, 12, 1), 17, "Unverified", "trust-v1"),  # no snapshot on as_of
        ],
    )

    result = wh.run(MODEL, order_by="author_id")

    assert result.columns == [
        "author_id", "display_name", "orcid", "works_count", "cited_by_count", "openalex_works_count",
        "openalex_cited_by_count", "h_index", "first_publication_year", "last_publication_year", "topics_count",
        "collaborators_count", "close_collaborators_count", "followers_count", "claim_status",
        "verification_level", "trust_score", "trust_tier", "trust_model_version", "trust_as_of",
    ]  # fmt: skip
    assert result.rows == [
        ("A1", "Ada Lovelace", None, 3, 16, 120, 900, 12, 2019, 2021, 2, 2, 1, 3, "claimed", "L3",
         73, "Trusted", "trust-v1", AS_OF),
        ("A2", "Bo Record", "0000-0001-0000-0002", 0, 0, 40, 300, 7, None, None, 0, 0, 0, 0, "unclaimed", "L2",
         12, "Unverified", "trust-v1", AS_OF),
        ("A3", "Cy Claim", None, 1, 1, None, None, None, 2020, 2020, 0, 1, 0, 1, "claimed", "L1",
         None, None, None, None),
    ]  # fmt: skip
