"""Two runs on the same input give identical tables; trust history is append-only
by date and a same-day re-run replaces that day's rows."""

from __future__ import annotations

import json

from cli_helpers import query, run_cli

TABLES = ("works", "authorships", "profiles", "topic_counts", "collaborator_edges", "trust_snapshots", "quarantine")


def _snapshot_of_tables(warehouse) -> dict[str, list[tuple]]:
    return {t: sorted(query(warehouse, f"select * from {t}"), key=repr) for t in TABLES}


def test_rerun_changes_nothing_and_history_appends_by_date(tmp_path):
    data_dir = tmp_path / "data"
    warehouse = data_dir / "warehouse.duckdb"

    run_cli("run", "--data-dir", str(data_dir), "--as-of", "2026-01-01")
    first = _snapshot_of_tables(warehouse)
    # the day's trust history file (streamed from the built file at publish) holds that day's rows
    history = data_dir / "history" / "trust_snapshots" / "as_of=2026-01-01" / "part-0.parquet"
    columns = "author_id, trust_score, trust_tier, components::varchar"
    in_history = query(warehouse, f"select {columns} from read_parquet('{history}')")
    assert in_history and sorted(in_history) == sorted(
        query(warehouse, f"select {columns} from trust_snapshots where as_of = date '2026-01-01'")
    )
    lake_files = sorted(p.relative_to(data_dir) for p in (data_dir / "lake").rglob("*.parquet"))

    second_run = run_cli("run", "--data-dir", str(data_dir), "--as-of", "2026-01-01")
    assert _snapshot_of_tables(warehouse) == first
    assert sorted(p.relative_to(data_dir) for p in (data_dir / "lake").rglob("*.parquet")) == lake_files
    # the no-op run keeps a timestamped report, but the latest still shows the real landing
    reports = sorted((data_dir / "reports").glob("landing-2*.json"))
    assert len(reports) == 2
    no_op = json.loads(reports[-1].read_text())
    assert no_op["files"] and all(f["skipped"] for f in no_op["files"])
    latest = json.loads((data_dir / "reports" / "landing-latest.json").read_text())
    assert latest == json.loads(reports[0].read_text()) and not any(f["skipped"] for f in latest["files"])
    assert "up to date, nothing changed" in second_run.stdout

    forced = run_cli("run", "--data-dir", str(data_dir), "--as-of", "2026-01-01", "--rebuild")
    assert "published" in forced.stdout
    assert _snapshot_of_tables(warehouse) == first

    authors = query(warehouse, "select count(*) from profiles")[0][0]
    assert query(warehouse, "select count(*), count(distinct (author_id, as_of)) from trust_snapshots") == [
        (authors, authors)
    ]

    run_cli("run", "--data-dir", str(data_dir), "--as-of", "2026-01-02")
    run_cli("run", "--data-dir", str(data_dir), "--as-of", "2026-01-02")
    by_date = query(warehouse, "select as_of::varchar, count(*) from trust_snapshots group by 1 order by 1")
    assert by_date == [("2026-01-01", authors), ("2026-01-02", authors)]
    assert query(warehouse, "select count(*) = count(distinct (author_id, as_of)) from trust_snapshots") == [(True,)]
    assert query(warehouse, "select min(trust_as_of)::varchar from profiles") == [("2026-01-02",)]
