"""intermediate/int_author_event_state: followers, claim and verification per author."""

from datetime import datetime

MODEL = "intermediate/int_author_event_state"

EVENTS = "event_id VARCHAR, event_type VARCHAR, author_id VARCHAR, actor_id VARCHAR, occurred_at TIMESTAMP"


def at(hour):
    return datetime(2025, 5, 1, hour)


def test_followers_count_actors_whose_latest_event_is_a_follow(wh):
    wh.table(
        "stg_platform__events",
        EVENTS,
        [
            ("E3", "author.followed", "A1", "U1", at(12)),  # U1: follow, unfollow, follow -> follows
            ("E1", "author.followed", "A1", "U1", at(10)),
            ("E2", "author.unfollowed", "A1", "U1", at(11)),
            ("E5", "author.unfollowed", "A1", "U2", at(11)),  # U2: follow, unfollow -> does not
            ("E4", "author.followed", "A1", "U2", at(10)),
        ],
    )

    result = wh.run(MODEL, order_by="author_id")

    assert result.columns == ["author_id", "followers_count", "is_claimed", "is_verified"]
    assert result.rows == [("A1", 1, False, False)]


def test_claimed_and_verified_flags(wh):
    wh.table(
        "stg_platform__events",
        EVENTS,
        [
            ("E1", "author.claimed", "A2", "U1", at(10)),
            ("E2", "author.claimed", "A3", "U3", at(10)),
            ("E3", "author.verified", "A3", None, at(11)),
            ("E4", "author.verified", "A4", None, at(11)),
            ("E5", "author.followed", "A5", "U1", at(12)),
        ],
    )

    result = wh.run(MODEL, order_by="author_id")

    assert result.rows == [
        ("A2", 0, True, False),
        ("A3", 0, True, True),
        ("A4", 0, False, True),
        ("A5", 1, False, False),
    ]


def test_actorless_follows_count_nobody_and_same_time_ties_are_stable(wh):
    wh.table(
        "stg_platform__events",
        EVENTS,
        [
            ("E1", "author.followed", "A1", None, at(10)),
            ("E2", "author.followed", "A1", "U1", at(10)),
            ("E3", "author.unfollowed", "A1", "U1", at(10)),  # same instant: the later event id wins
        ],
    )
    result = wh.run(MODEL, order_by="author_id")
    assert result.rows == [("A1", 0, False, False)]
