"""SQL unit tests of merged-author-id resolution in the staging models.

The staging models resolve a whole input with a left join of the ``merged_author_ids()`` table
macro; the incremental build resolves a few ids with the scalar ``resolve_author_id``. Both read
``stg_openalex__merged_authors`` (chains followed there). These tests give each staging model a
retired id at the end of a chain, a retired id merged once, an id never merged and a missing id, and
hold every row to the ids written out here and to what ``resolve_author_id`` gives for it.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from pipeline.warehouse.build import run_macro, run_model
from pipeline.warehouse.models import Model, discover

F = "f.jsonl"
# A1 -> A2 -> A3 (a chain: A1 survives as A3), B1 -> B2 (merged once); C1 was never merged.
MERGES = [("A1", "A2", date(2024, 1, 1)), ("A2", "A3", date(2024, 6, 1)), ("B1", "B2", date(2024, 3, 1))]
EXPECTED = {"A1": "A3", "A2": "A3", "A3": "A3", "B1": "B2", "B2": "B2", "C1": "C1"}


@pytest.fixture
def merged(wh):
    wh.given(
        "raw_merged_authors",
        [
            {"merged_id": m, "merge_into_id": into, "merge_date": on, "source_file": F, "line_number": i}
            for i, (m, into, on) in enumerate(MERGES, 1)
        ],
    )
    run_model(wh.con, Model("staging/stg_openalex__merged_authors"))
    return wh


def scalar_resolution(wh, ids: list[str | None]) -> list[str | None]:
    """What the scalar macro (the incremental build's path) gives for ``ids``, in order."""
    _, macros = discover()
    run_macro(wh.con, macros["resolve_author_id"])
    return [wh.con.execute("select resolve_author_id(?::varchar)", [i]).fetchone()[0] for i in ids]


def test_authorships_resolve_chains_and_keep_the_listed_id(merged):
    ids = ["A1", "B1", "C1", "A3", None, "A1"]  # the same retired id twice: two rows, never more
    merged.given(
        "raw_works",
        [
            {
                "work_id": "W1",
                "source_file": F,
                "line_number": 1,
                "authorships": [
                    {"author_id": a, "display_name": f"n{i}", "position_index": i} for i, a in enumerate(ids)
                ],
            }
        ],
    )
    result = merged.run("staging/stg_openalex__authorships", order_by="position_index")
    cols = {c: i for i, c in enumerate(result.columns)}
    rows = [(r[cols["position_index"]], r[cols["listed_author_id"]], r[cols["author_id"]]) for r in result.rows]
    assert rows == [(0, "A1", "A3"), (1, "B1", "B2"), (2, "C1", "C1"), (3, "A3", "A3"), (5, "A1", "A3")]
    listed = [r[1] for r in rows]
    assert [r[2] for r in rows] == scalar_resolution(merged, listed)


def test_author_records_of_retired_ids_resolve_and_are_not_own_records(merged):
    records = ["A1", "A3", "B1", "C1", None]
    merged.given(
        "raw_authors", [{"author_id": a, "display_name": f"n{i}", "line_number": i} for i, a in enumerate(records)]
    )
    result = merged.run("staging/stg_openalex__authors", order_by="line_number")
    cols = {c: i for i, c in enumerate(result.columns)}
    rows = [(r[cols["listed_author_id"]], r[cols["author_id"]], r[cols["is_own_record"]]) for r in result.rows]
    assert rows == [
        ("A1", "A3", False),
        ("A3", "A3", True),
        ("B1", "B2", False),
        ("C1", "C1", True),
        (None, None, None),
    ]
    assert [r[1] for r in rows] == scalar_resolution(merged, records)


def test_events_and_trust_history_resolve_their_author_ids(merged):
    ids = ["A1", "B2", "C1", None]
    merged.given(
        "raw_events",
        [
            {
                "event_id": f"e{i}",
                "type": "follow",
                "author_id": a,
                "occurred_at": datetime(2025, 1, 1),
                "line_number": i,
            }
            for i, a in enumerate(ids)
        ],
    )
    events = merged.run("staging/stg_platform__events", order_by="event_id")
    assert [r[events.columns.index("author_id")] for r in events.rows] == ["A3", "B2", "C1", None]
    merged.given(
        "raw_trust_history",
        [{"author_id": a, "as_of": date(2025, 1, i + 1), "trust_score": i} for i, a in enumerate(ids)],
    )
    history = merged.run("staging/stg_history__trust_snapshots", order_by="as_of")
    cols = {c: i for i, c in enumerate(history.columns)}
    assert [(r[cols["listed_author_id"]], r[cols["author_id"]]) for r in history.rows] == [
        ("A1", "A3"),
        ("B2", "B2"),
        ("C1", "C1"),
        (None, None),
    ]
    assert [r[cols["author_id"]] for r in history.rows] == scalar_resolution(merged, ids)


def test_the_scalar_macro_follows_the_chains(merged):
    assert dict(zip(EXPECTED, scalar_resolution(merged, list(EXPECTED)), strict=True)) == EXPECTED
