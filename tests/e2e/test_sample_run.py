"""`pipeline run` on the bundled sample reproduces the seed profile pages."""

from __future__ import annotations

import re

import pyarrow.parquet as pq
import pytest
from cli_helpers import query, run_cli

QIANLI_LIAO, LIU_ZIYIN, QIANYI_LI, LIFU_WANG = "A5010000001", "A5020000002", "A5030000003", "A5040000004"
SOMPOLINSKY, SHAN, AVIDAN = "A5012345678", "A5030000011", "A5030000012"


def _header(text: str) -> dict:
    flat = " ".join(text.translate(str.maketrans("│╭╮╰╯─", "      ")).split())  # drop the panel border
    match = re.search(
        r"Trust (\d+) - (\w+) · Verification (L\d) · (Claimed|Unclaimed) author "
        r"(\d+) works · (\d+) followers · (\d+) topics · (\d+) close collaborators",
        flat,
    )
    assert match, flat[:600]
    score, tier, level, claim, works, followers, topics, close = match.groups()
    return {
        "trust": (int(score), tier),
        "verification": level,
        "claim": claim.lower(),
        "works": int(works),
        "followers": int(followers),
        "topics": int(topics),
        "close": int(close),
    }


@pytest.mark.parametrize(
    ("query_text", "expected"),
    [
        # seed 000, 002 and 004 header figures, as their pages show them
        (QIANLI_LIAO, dict(trust=(15, "Unverified"), works=3, topics=4, close=4)),
        ("Liu Ziyin", dict(trust=(21, "Emerging"), works=9, topics=9, close=4)),
        (LIFU_WANG, dict(trust=(15, "Unverified"), works=3, topics=2, close=4)),
    ],
)
def test_profile_card_reproduces_seed_headers(sample_run, query_text, expected):
    result = run_cli("profile", query_text, "--data-dir", str(sample_run))
    header = _header(result.stdout)
    assert header["trust"] == expected["trust"]
    assert (header["works"], header["topics"], header["close"]) == (
        expected["works"],
        expected["topics"],
        expected["close"],
    )
    assert (header["followers"], header["verification"], header["claim"]) == (0, "L1", "unclaimed")
    # the card explains the score, component by component
    flat = " ".join(result.stdout.translate(str.maketrans("│╭╮╰╯─", "      ")).split())
    assert f"trust = verification 6 + works {expected['works']} + topics 2 + close collaborators 4" in flat


def test_profile_card_lists_works_then_collaborators(sample_run):
    out = " ".join(run_cli("profile", LIFU_WANG, "--data-dir", str(sample_run)).stdout.split())
    works_at = out.index("Published work 3 published item(s)")
    collaborators_at = out.index("Top collaborators")
    assert works_at < collaborators_at
    assert "On the Provable Generalization of Recurrent Neural Networks" in out[works_at:collaborators_at]


def test_seed_003_qianyi_li(sample_run):
    warehouse = sample_run / "warehouse.duckdb"
    assert query(warehouse, "select works_count, cited_by_count from profiles where author_id = ?", [QIANYI_LI]) == [
        (4, 134)
    ]
    shared = dict(
        query(
            warehouse,
            "select collaborator_id, shared_works from collaborator_edges_directed where author_id = ?",
            [QIANYI_LI],
        )
    )
    assert shared == {SOMPOLINSKY: 4, SHAN: 1, AVIDAN: 1}


def test_seed_works_match_the_pages(sample_run):
    warehouse = sample_run / "warehouse.duckdb"
    rows = query(
        warehouse,
        "select w.type, w.publication_year, w.source, w.title from authorships a join works w using (work_id) "
        "where a.author_id = ? order by w.title",
        [QIANLI_LIAO],
    )
    assert [r[3] for r in rows] == [
        "Bridging the Gaps Between Residual Learning, Recurrent Neural Networks and Visual Cortex",
        "Explicit regularization and implicit bias in deep network classifiers trained with the square loss",
        "Theory III: Dynamics and Generalization in Deep Networks",
    ]
    assert {(r[0], r[1]) for r in rows} == {("preprint", 2020)}
    assert all(r[2].startswith("arXiv") for r in rows)
    abstract = query(warehouse, "select abstract from works where title like 'Theory III%'")[0][0]
    assert abstract.startswith("The key to generalization is controlling the complexity of the network.")


def test_platform_events_move_followers_claim_and_level(sample_run):
    row = query(
        sample_run / "warehouse.duckdb",
        "select followers_count, claim_status, verification_level from profiles where author_id = ?",
        [SOMPOLINSKY],
    )
    assert row == [(2, "claimed", "L3")]


def test_published_parquet_matches_the_warehouse(sample_run):
    warehouse = sample_run / "warehouse.duckdb"
    for table in (
        "works",
        "authorships",
        "profiles",
        "topic_counts",
        "collaborator_edges",
        "trust_snapshots",
        "quarantine",
    ):
        published = pq.read_table(sample_run / "publish" / f"{table}.parquet")
        assert published.num_rows == query(warehouse, f"select count(*) from {table}")[0][0], table


def test_lake_is_hive_partitioned_by_source_entity_and_date(sample_run):
    parts = sorted(p.relative_to(sample_run / "lake").parts[:2] for p in (sample_run / "lake").rglob("*.parquet"))
    assert ("source=openalex-snapshot", "entity=works") in parts
    assert ("source=platform", "entity=events") in parts
    assert not list(sample_run.rglob(".*.tmp-*")), "temp files left behind"


def test_unknown_author_is_one_clear_line(sample_run):
    result = run_cli("profile", "Nobody Atall", "--data-dir", str(sample_run), check=False)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("error: no author named 'Nobody Atall'")
    assert "Traceback" not in result.stderr


def test_bad_source_fails_with_one_line_not_a_traceback(tmp_path):
    result = run_cli(
        "run", "--source", "openalex-snapshot:" + str(tmp_path / "missing"), "--data-dir", str(tmp_path), check=False
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "is not an OpenAlex snapshot" in lines[0]
