"""`pipeline run` on a generated snapshot whose answers are known by construction."""

from __future__ import annotations

import json

import pytest
from cli_helpers import query, run_cli
from snapshot_builder import author, work, write_snapshot

BIG = [f"A{1000 + i}" for i in range(299)]  # with A1: a work with 300 authors


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("generated") / "snapshot"
    write_snapshot(
        root,
        works={
            "2024-01-01": [
                work("W1", ["A1", "A2", "A3"], year=2019, cited=5, topics=("T1", "T2")),
                work("W2", ["A1", "A2"], year=2020, cited=1, updated="2024-01-01T00:00:00", topics=("T9",)),
                work("W3", ["A1", "A1", "A4"], year=2021, topics=("T1",)),  # A1 listed twice
                work("W300", ["A1", *BIG], year=2022),  # 300 authors: no edges
                "this is not json",
                json.dumps({"id": "https://openalex.org/W77", "authorships": "nope"}),
            ],
            "2024-02-01": [
                # the newer version of W2: A9 is a merged id of A4
                work("W2", ["A1", "A2", "A9"], year=2020, cited=10, updated="2024-02-01T08:00:00", topics=("T3",)),
            ],
        },
        authors={
            "2024-01-01": [
                author("A1", "Ada Lovelace", orcid="0000-0002-1825-0097", works_count=99),
                author("A9", "Retired Id"),
                json.dumps({"display_name": "author without id"}),
            ],
            "2024-02-01": [author("A4", "Dora Survivor")],
        },
        merged=[("2024-01-15", "A9", "A4")],
    )
    data_dir = root.parent / "data"
    result = run_cli(
        "run", "--source", f"openalex-snapshot:{root}", "--data-dir", str(data_dir), "--as-of", "2026-01-01"
    )
    return data_dir, result


def test_newest_record_wins(generated):
    data_dir, _ = generated
    warehouse = data_dir / "warehouse.duckdb"
    assert query(warehouse, "select work_id from works order by work_id") == [("W1",), ("W2",), ("W3",), ("W300",)]
    assert query(warehouse, "select cited_by_count from works where work_id = 'W2'") == [(10,)]
    topics = query(warehouse, "select topic_id from topic_counts where author_id = 'A1' order by topic_id")
    assert topics == [("T1",), ("T2",), ("T3",)]  # T9 belonged to the superseded W2 record


def test_merged_ids_resolve_everywhere(generated):
    warehouse = generated[0] / "warehouse.duckdb"
    assert query(warehouse, "select author_id from authorships where work_id = 'W2' order by author_id") == [
        ("A1",),
        ("A2",),
        ("A4",),
    ]
    for table, column in (("authorships", "author_id"), ("profiles", "author_id"), ("collaborator_edges", "author_b")):
        assert query(warehouse, f"select count(*) from {table} where {column} = 'A9'") == [(0,)], table
    assert query(warehouse, "select display_name, works_count from profiles where author_id = 'A4'") == [
        ("Dora Survivor", 2)
    ]


def test_author_listed_twice_counts_once(generated):
    warehouse = generated[0] / "warehouse.duckdb"
    assert query(warehouse, "select author_id, listed_count from authorships where work_id = 'W3' order by 1") == [
        ("A1", 2),
        ("A4", 1),
    ]
    assert query(warehouse, "select authors_count from works where work_id = 'W3'") == [(2,)]


def test_work_with_300_authors_adds_no_edges(generated):
    warehouse = generated[0] / "warehouse.duckdb"
    assert query(warehouse, "select authors_count from works where work_id = 'W300'") == [(300,)]
    assert query(
        warehouse,
        "select author_a, author_b, shared_works, first_year, last_year from collaborator_edges order by 1, 2",
    ) == [
        ("A1", "A2", 2, 2019, 2020),
        ("A1", "A3", 1, 2019, 2019),
        ("A1", "A4", 2, 2020, 2021),
        ("A2", "A3", 1, 2019, 2019),
        ("A2", "A4", 1, 2020, 2020),
    ]
    # the big work still counts as a work of each of its authors
    assert query(warehouse, "select works_count from profiles where author_id = 'A1000'") == [(1,)]


def test_profile_figures(generated):
    warehouse = generated[0] / "warehouse.duckdb"
    row = query(
        warehouse,
        "select works_count, openalex_works_count, topics_count, collaborators_count, close_collaborators_count, "
        "verification_level, orcid from profiles where author_id = 'A1'",
    )
    assert row == [(4, 99, 3, 3, 2, "L2", "0000-0002-1825-0097")]


def test_bad_lines_are_quarantined_and_nothing_is_lost(generated):
    data_dir, result = generated
    warehouse = data_dir / "warehouse.duckdb"
    rejected = query(warehouse, "select entity, location, raw, error from quarantine order by entity, location")
    assert [(e, loc.rsplit("/", 1)[1]) for e, loc, _, _ in rejected] == [
        ("authors", "part_000.gz:3"),
        ("works", "part_000.gz:5"),
        ("works", "part_000.gz:6"),
    ]
    assert rejected[1][2] == "this is not json" and rejected[1][3].startswith("invalid JSON")
    assert rejected[2][3].startswith("authorships: Input should be a valid array")

    report = json.loads((data_dir / "reports" / "landing-latest.json").read_text())
    for file in report["files"]:
        assert file["valid"] + file["quarantined"] == file["records"], file
    lines = {"works": 7, "authors": 4, "merged_authors": 1}
    for entity, expected in lines.items():
        assert sum(f["records"] for f in report["files"] if f["entity"] == entity) == expected
    works = [f for f in report["files"] if f["entity"] == "works"]
    assert (sum(f["valid"] for f in works), sum(f["quarantined"] for f in works)) == (5, 2)
    assert query(warehouse, "select count(*) from quarantine where entity = 'works'") == [(2,)]


def test_quarantine_command_lists_rejects_with_location_and_reason(generated):
    data_dir, result = generated
    assert "3 record(s) quarantined" in result.stdout
    listing = run_cli("quarantine", "--data-dir", str(data_dir), "--entity", "works")
    flat = " ".join(listing.stdout.split())
    assert "Quarantine: 2 rejected record(s)" in flat
    assert "part_000.gz:5" in flat and "invalid JSON" in flat
