"""marts/quarantine: rejected input records pass through with where and why."""

from datetime import date

from pipeline.schemas.lake import QuarantineRow

MODEL = "marts/quarantine"


def test_rejected_records_pass_through(wh):
    rows = [
        ("openalex-snapshot", "works", "works/updated_date=2024-06-01/part_000.gz:7", '{"id": 1}',
         "work_id: Field required", date(2025, 1, 1)),
        ("openalex-snapshot", "authors", "authors/updated_date=2024-06-01/part_000.gz:3", "{not json",
         "invalid JSON", date(2025, 1, 2)),
        ("platform", "events", "events.jsonl:2", '{"type": "author.liked"}',
         "type: unknown event type", date(2025, 1, 2)),
    ]  # fmt: skip
    columns = ["source", "entity", "location", "raw", "error", "ingest_date"]
    wh.raw("raw_quarantine", QuarantineRow, [dict(zip(columns, r, strict=False)) for r in rows])

    result = wh.run(MODEL, order_by="source, entity, location")

    assert result.columns == columns
    assert result.rows == [
        ("openalex-snapshot", "authors", "authors/updated_date=2024-06-01/part_000.gz:3", "{not json",
         "invalid JSON", date(2025, 1, 2)),
        ("openalex-snapshot", "works", "works/updated_date=2024-06-01/part_000.gz:7", '{"id": 1}',
         "work_id: Field required", date(2025, 1, 1)),
        ("platform", "events", "events.jsonl:2", '{"type": "author.liked"}',
         "type: unknown event type", date(2025, 1, 2)),
    ]  # fmt: skip
