"""`pipeline run` after new lake files builds incrementally, says so, and gives the
tables a full rebuild gives; `--full-refresh` forces a full build."""

from __future__ import annotations

import json
import re

import duckdb
from cli_helpers import run_cli
from snapshot_builder import author, work, write_snapshot

AS_OF = ("--as-of", "2026-01-01")


def _tables(warehouse) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        names = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main' order by 1"
            ).fetchall()
        ]
        skip = {"quality_runs"}  # the gate runs themselves: a new run id each build
        return {t: sorted(con.execute(f"select * from {t}").fetchall(), key=repr) for t in names if t not in skip}
    finally:
        con.close()


def _build_mode(data_dir) -> str:
    """The report index's sentence on the build (tags stripped, whitespace collapsed)."""
    html = (data_dir / "report" / "index.html").read_text(encoding="utf-8")
    start = html.index('<p id="build-mode">')
    return " ".join(re.sub(r"<[^>]+>", "", html[start : html.index("</p>", start)]).split())


def _report(data_dir) -> dict:
    return json.loads((data_dir / "reports" / "build-latest.json").read_text())


def test_new_versions_build_incrementally_like_a_full_refresh(tmp_path):
    first = write_snapshot(
        tmp_path / "first",
        works={
            "2024-01-01": [
                work("W1", ["A1", "A2", "A3"], year=2019, cited=5, topics=("T1",)),
                work("W2", ["A1", "A2"], year=2020, topics=("T2",)),
                work("W3", ["A4", "A5"], year=2021, topics=("T1",)),
            ]
        },
        authors={"2024-01-01": [author("A1", "Ada Lovelace"), author("A4", "Dora Other")]},
    )
    # A1 refreshed: a new version of W2 (A2 dropped, A6 added) and of the author record.
    second = write_snapshot(
        tmp_path / "second",
        works={"2024-03-01": [work("W2", ["A1", "A6"], year=2020, cited=7, updated="2024-03-01T00:00:00")]},
        authors={"2024-03-01": [author("A1", "Ada King", updated="2024-03-01")]},
    )
    data_dir = tmp_path / "data"
    warehouse = data_dir / "warehouse.duckdb"

    run_cli("run", "--source", f"openalex-snapshot:{first}", "--data-dir", str(data_dir), *AS_OF)
    assert (_report(data_dir)["mode"], _report(data_dir)["mode_reason"]) == ("full", "no previous warehouse")

    result = run_cli("run", "--source", f"openalex-snapshot:{second}", "--data-dir", str(data_dir), *AS_OF)
    report = _report(data_dir)
    assert report["mode"] == "incremental", report["mode_reason"]
    assert "incremental build: only new lake files" in result.stdout
    assert report["incremental"]["authors"] >= 3 and report["incremental"]["works"] >= 1
    incremental = _tables(warehouse)
    assert ("W2", "A6") in {(r[0], r[1]) for r in incremental["authorships"]}
    # the HTML report says which build it was, why, and what it recomputed
    run_cli("report", "--data-dir", str(data_dir))
    said = _build_mode(data_dir)
    assert said.startswith("Incremental build: only new lake files since the last build (1 works, 1 authors); "), said
    inc = report["incremental"]
    assert f"recomputed {inc['works']} works and {inc['authors']} authors from {inc['records']} changed records" in said

    forced = run_cli(
        "run", "--source", f"openalex-snapshot:{second}", "--data-dir", str(data_dir), *AS_OF, "--full-refresh"
    )
    report = _report(data_dir)
    assert report["mode"] == "full" and "--full-refresh" in report["mode_reason"]
    assert "full build: --full-refresh" in forced.stdout
    run_cli("report", "--data-dir", str(data_dir))
    assert _build_mode(data_dir).startswith("Full build: --full-refresh"), _build_mode(data_dir)
    assert _tables(warehouse) == incremental
