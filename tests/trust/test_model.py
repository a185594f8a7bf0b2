"""Trust model v1: the seed calibration points, and SQL == Python explanation."""

from __future__ import annotations

import itertools
import json
from datetime import date

import duckdb
import pytest

from pipeline.config import Component, Settings, TrustSettings
from pipeline.trust.model import TrustFeatures, score, tier_for
from pipeline.warehouse.build import run_model
from pipeline.warehouse.dictionary import empty_schemas
from pipeline.warehouse.models import Model
from pipeline.warehouse.variables import model_variables, set_variables


@pytest.mark.parametrize(
    ("works", "topics", "close", "expected"),
    [(3, 4, 4, (15, "Unverified")), (9, 9, 4, (21, "Emerging")), (3, 2, 4, (15, "Unverified"))],
    ids=["seed-000-qianli-liao", "seed-002-liu-ziyin", "seed-004-lifu-wang"],
)
def test_default_model_reproduces_the_seed_calibration_points(works, topics, close, expected):
    result = score(TrustFeatures(works, topics, close, 0, "L1", "unclaimed"), TrustSettings())
    assert (result.score, result.tier) == expected
    assert sum(result.components.values()) == pytest.approx(result.score)
    assert result.model_version == "trust-v1"


def test_tiers_and_bounds():
    weights = TrustSettings()
    assert [tier_for(s, weights) for s in (0, 19, 20, 39, 40, 69, 70, 100)] == [
        "Unverified",
        "Unverified",
        "Emerging",
        "Emerging",
        "Established",
        "Established",
        "Trusted",
        "Trusted",
    ]
    huge = score(TrustFeatures(10_000, 10_000, 10_000, 10_000, "L3", "claimed"), weights)
    assert huge.score == min(100, round(20 + 25 + 2 + 15 + 15 + 10))


def _sql_scores(features: list[TrustFeatures], settings: Settings) -> dict[str, tuple[int, str, dict]]:
    """Run intermediate/int_trust_scores on features fed with int_profile_features' real columns."""
    con = duckdb.connect()
    set_variables(con, model_variables(settings, date(2026, 1, 1)))
    columns = ", ".join(f'"{name}" {kind}' for name, kind in empty_schemas()["int_profile_features"])
    con.execute(f"create table int_profile_features ({columns})")
    con.executemany(
        "insert into int_profile_features (author_id, works_count, topics_count, close_collaborators_count, "
        "followers_count, verification_level, claim_status) values (?, ?, ?, ?, ?, ?, ?)",
        [
            [f"A{i}", f.works_count, f.topics_count, f.close_collaborators_count, f.followers_count,
             f.verification_level, f.claim_status]
            for i, f in enumerate(features)
        ],
    )  # fmt: skip
    run_model(con, Model("intermediate/int_trust_scores"))
    rows = con.execute(
        "select author_id, trust_score, trust_tier, components::varchar from int_trust_scores"
    ).fetchall()
    return {a: (s, t, json.loads(c)) for a, s, t, c in rows}


@pytest.mark.parametrize(
    "weights",
    [TrustSettings(), TrustSettings(works=Component(per_unit=0.5, cap=7), followers=Component(per_unit=1.5, cap=4))],
    ids=["default", "custom"],
)
def test_sql_matches_the_python_explanation(weights):
    grid = [
        TrustFeatures(w, t, c, f, level, claim)
        for w, t, c, f, level, claim in itertools.product(
            (0, 1, 3, 9, 40), (0, 1, 5), (0, 4, 30), (0, 3, 50), ("L0", "L1", "L2", "L3"), ("claimed", "unclaimed")
        )
    ]
    sql = _sql_scores(grid, Settings(trust=weights))
    for i, features in enumerate(grid):
        expected = score(features, weights)
        got_score, got_tier, got_components = sql[f"A{i}"]
        assert (got_score, got_tier) == (expected.score, expected.tier), features
        assert got_components == pytest.approx(expected.components), features


@pytest.mark.parametrize("tiers", [[(10, "Low"), (50, "High")], [(0, "A"), (40, "B"), (20, "C")], []])
def test_tiers_must_give_every_score_a_tier(tiers):
    with pytest.raises(ValueError, match="start at 0"):
        TrustSettings(tiers=tiers)
