"""staging/stg_platform__events: one row per event id, merged author ids resolved."""

from datetime import date, datetime

from pipeline.schemas.lake import PlatformEventRow

MODEL = "staging/stg_platform__events"


def event(event_id, type_, author_id, actor_id, occurred_at, ingest_date, location):
    return {
        "event_id": event_id,
        "type": type_,
        "author_id": author_id,
        "actor_id": actor_id,
        "occurred_at": occurred_at,
        "record_source": "platform",
        "location": location,
        "ingest_date": ingest_date,
    }


def test_redelivered_events_count_once_and_merged_authors_resolve(wh):
    t1, t2 = datetime(2025, 5, 1, 10), datetime(2025, 5, 2, 10)
    wh.raw(
        "raw_events",
        PlatformEventRow,
        [
            event("E1", "author.followed", "A5", "U1", t1, date(2025, 5, 1), "events.jsonl:1"),
            event("E1", "author.followed", "A5", "U1", t1, date(2025, 5, 2), "events.jsonl:1"),  # redelivered
            event("E2", "author.claimed", "A1", "U2", t2, date(2025, 5, 2), "events.jsonl:2"),  # A1 -> A3
            event("E3", "author.verified", "A3", None, t2, date(2025, 5, 2), "events.jsonl:3"),
        ],
    )
    wh.table(
        "stg_openalex__merged_authors",
        "merged_id VARCHAR, surviving_id VARCHAR",
        [("A1", "A3"), ("A2", "A3"), ("A9", "A8")],
    )

    result = wh.run(MODEL, order_by="event_id")

    assert result.columns == ["event_id", "event_type", "author_id", "actor_id", "occurred_at"]
    assert result.rows == [
        ("E1", "author.followed", "A5", "U1", t1),
        ("E2", "author.claimed", "A3", "U2", t2),
        ("E3", "author.verified", "A3", None, t2),
    ]


def test_first_delivery_is_by_line_number_not_text_order(wh):
    t1, t2 = datetime(2025, 5, 1, 10), datetime(2025, 5, 1, 11)
    day = date(2025, 5, 1)
    wh.raw(
        "raw_events",
        PlatformEventRow,
        [
            event("E1", "author.followed", "A5", "U1", t2, day, "/x/events.jsonl:10"),
            event("E1", "author.followed", "A5", "U1", t1, day, "/x/events.jsonl:9"),  # delivered first
        ],
    )
    wh.table("stg_openalex__merged_authors", "merged_id VARCHAR, surviving_id VARCHAR", [])

    result = wh.run(MODEL, order_by="event_id")

    assert result.rows == [("E1", "author.followed", "A5", "U1", t1)]
