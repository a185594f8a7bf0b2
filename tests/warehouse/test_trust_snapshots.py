"""marts/trust_snapshots: today's trust scores plus the append-only history."""

from datetime import date

from pipeline.config import Settings, TrustSettings
from pipeline.schemas.lake import TrustSnapshotRow

MODEL = "marts/trust_snapshots"
AS_OF = date(2026, 1, 1)

FEATURES = (
    "author_id VARCHAR, verification_level VARCHAR, claim_status VARCHAR, works_count BIGINT, "
    "topics_count BIGINT, close_collaborators_count BIGINT, followers_count BIGINT"
)


def components(verification, works, topics, close, followers, claim):
    return (
        f'{{"verification":{verification},"works":{works},"topics":{topics},'
        f'"close_collaborators":{close},"followers":{followers},"claim":{claim}}}'
    )


def no_history(wh):
    wh.raw("raw_trust_history", TrustSnapshotRow, [], ingest_date=False)
    no_merges(wh)


def no_merges(wh, rows=()):
    wh.table("stg_openalex__merged_authors", "merged_id VARCHAR, surviving_id VARCHAR", list(rows))


def test_seed_calibration_points(wh):
    wh.table(
        "int_profile_features",
        FEATURES,
        [
            ("A100", "L1", "unclaimed", 3, 4, 4, 0),  # seed 000 Qianli Liao
            ("A102", "L1", "unclaimed", 9, 9, 4, 0),  # seed 002 Liu Ziyin
            ("A104", "L1", "unclaimed", 3, 2, 4, 0),  # seed 004 Lifu Wang
        ],
    )
    no_history(wh)

    result = wh.run(MODEL, order_by="author_id, as_of")

    assert result.columns == [
        "author_id", "as_of", "trust_score", "trust_tier", "verification_level", "claim_status",
        "model_version", "components",
    ]  # fmt: skip
    assert result.types[-1] == "JSON"
    assert result.rows == [
        ("A100", AS_OF, 15, "Unverified", "L1", "unclaimed", "trust-v1", components(6.0, 3.0, 2.0, 4.0, 0.0, 0.0)),
        ("A102", AS_OF, 21, "Emerging", "L1", "unclaimed", "trust-v1", components(6.0, 9.0, 2.0, 4.0, 0.0, 0.0)),
        ("A104", AS_OF, 15, "Unverified", "L1", "unclaimed", "trust-v1", components(6.0, 3.0, 2.0, 4.0, 0.0, 0.0)),
    ]


def test_caps_claim_half_points_rounding_and_tier_bounds(wh):
    wh.table(
        "int_profile_features",
        FEATURES,
        [
            ("A1", "L3", "claimed", 40, 1, 20, 3),  # 20+25(cap)+1+15(cap)+1.5+10 = 72.5 -> 73
            ("A2", "L2", "unclaimed", 0, 0, 0, 1),  # 12 + 0.5 = 12.5 -> 13
            ("A3", "L0", "unclaimed", 0, 0, 0, 0),  # 0
            ("A4", "L2", "unclaimed", 7, 1, 0, 0),  # 12+7+1 = 20: exactly Emerging
            ("A5", "L3", "claimed", 10, 0, 0, 0),  # 20+10+10 = 40: exactly Established
        ],
    )
    no_history(wh)

    result = wh.run(MODEL, order_by="author_id, as_of")

    assert result.rows == [
        ("A1", AS_OF, 73, "Trusted", "L3", "claimed", "trust-v1", components(20.0, 25.0, 1.0, 15.0, 1.5, 10.0)),
        ("A2", AS_OF, 13, "Unverified", "L2", "unclaimed", "trust-v1", components(12.0, 0.0, 0.0, 0.0, 0.5, 0.0)),
        ("A3", AS_OF, 0, "Unverified", "L0", "unclaimed", "trust-v1", components(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
        ("A4", AS_OF, 20, "Emerging", "L2", "unclaimed", "trust-v1", components(12.0, 7.0, 1.0, 0.0, 0.0, 0.0)),
        ("A5", AS_OF, 40, "Established", "L3", "claimed", "trust-v1", components(20.0, 10.0, 0.0, 0.0, 0.0, 10.0)),
    ]


def test_weights_and_version_come_from_settings_and_score_is_clamped(wh):
    high = Settings().model_copy(update={"trust": TrustSettings(model_version="trust-v9", claimed_points=200.0)})
    wh.configure(high)
    wh.table(
        "int_profile_features",
        FEATURES,
        [("A1", "L1", "claimed", 1, 0, 0, 0), ("A2", "L1", "unclaimed", 1, 0, 0, 0)],
    )
    no_history(wh)

    result = wh.run(MODEL, order_by="author_id, as_of")

    assert result.rows == [
        ("A1", AS_OF, 100, "Trusted", "L1", "claimed", "trust-v9", components(6.0, 1.0, 0.0, 0.0, 0.0, 200.0)),
        ("A2", AS_OF, 7, "Unverified", "L1", "unclaimed", "trust-v9", components(6.0, 1.0, 0.0, 0.0, 0.0, 0.0)),
    ]


def test_history_of_other_dates_is_kept_and_same_date_is_replaced(wh):
    wh.table(
        "int_profile_features",
        FEATURES,
        [("A1", "L1", "unclaimed", 3, 4, 4, 0), ("A3", "L2", "unclaimed", 0, 0, 0, 0)],
    )
    old = '{"verification": 6.0, "works": 1.0}'
    wh.raw(
        "raw_trust_history",
        TrustSnapshotRow,
        [
            {"author_id": "A1", "as_of": date(2025, 12, 1), "trust_score": 7, "trust_tier": "Unverified",
             "verification_level": "L1", "claim_status": "unclaimed", "model_version": "trust-v0", "components": old},
            {"author_id": "A3", "as_of": date(2025, 11, 1), "trust_score": 12, "trust_tier": "Unverified",
             "verification_level": "L2", "claim_status": "unclaimed", "model_version": "trust-v1", "components": old},
            # an earlier run of the same build date: replaced, not duplicated
            {"author_id": "A1", "as_of": AS_OF, "trust_score": 99, "trust_tier": "Trusted",
             "verification_level": "L3", "claim_status": "claimed", "model_version": "trust-v1", "components": old},
            {"author_id": "A2", "as_of": AS_OF, "trust_score": 50, "trust_tier": "Established",
             "verification_level": "L2", "claim_status": "claimed", "model_version": "trust-v1", "components": old},
        ],
        ingest_date=False,
    )  # fmt: skip

    no_merges(wh)
    result = wh.run(MODEL, order_by="author_id, as_of")

    assert result.rows == [
        ("A1", date(2025, 12, 1), 7, "Unverified", "L1", "unclaimed", "trust-v0", old),
        ("A1", AS_OF, 15, "Unverified", "L1", "unclaimed", "trust-v1", components(6.0, 3.0, 2.0, 4.0, 0.0, 0.0)),
        ("A3", date(2025, 11, 1), 12, "Unverified", "L2", "unclaimed", "trust-v1", old),
        ("A3", AS_OF, 12, "Unverified", "L2", "unclaimed", "trust-v1", components(12.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
    ]


def test_history_of_a_merged_id_shows_under_the_survivor(wh):
    wh.table("int_profile_features", FEATURES, [("A1", "L1", "unclaimed", 3, 4, 4, 0)])
    old = '{"verification": 6.0}'

    def past(author_id, as_of, score):
        return {"author_id": author_id, "as_of": as_of, "trust_score": score, "trust_tier": "Unverified",
                "verification_level": "L1", "claim_status": "unclaimed", "model_version": "trust-v1", "components": old}

    wh.raw(
        "raw_trust_history",
        TrustSnapshotRow,
        [past("A9", date(2025, 10, 1), 3), past("A9", date(2025, 11, 1), 4), past("A1", date(2025, 11, 1), 5)],
        ingest_date=False,
    )  # fmt: skip
    no_merges(wh, [("A9", "A1")])

    result = wh.run(MODEL, order_by="author_id, as_of")

    assert [(r[0], r[1], r[2]) for r in result.rows] == [
        ("A1", date(2025, 10, 1), 3),  # A9's row, now under A1
        ("A1", date(2025, 11, 1), 5),  # both had a row that day: the survivor's own wins
        ("A1", AS_OF, 15),
    ]
