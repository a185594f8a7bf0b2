"""Trust model v1 in Python: the explanation of the SQL in
``warehouse/marts/trust_snapshots.sql`` (a test holds the two equal).

Each component is ``min(feature * per_unit, cap)`` points; verification and a
claim add fixed points; the total is rounded half up and clamped to 0..100.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pipeline.config import TrustSettings


@dataclass(frozen=True)
class TrustFeatures:
    works_count: int
    topics_count: int
    close_collaborators_count: int
    followers_count: int
    verification_level: str
    claim_status: str


@dataclass(frozen=True)
class TrustResult:
    score: int
    tier: str
    components: dict[str, float]
    model_version: str


def score(features: TrustFeatures, weights: TrustSettings) -> TrustResult:
    """Score one author and say where every point came from."""
    components = {
        "verification": weights.verification_points.get(features.verification_level, 0.0),
        "works": min(features.works_count * weights.works.per_unit, weights.works.cap),
        "topics": min(features.topics_count * weights.topics.per_unit, weights.topics.cap),
        "close_collaborators": min(
            features.close_collaborators_count * weights.close_collaborators.per_unit, weights.close_collaborators.cap
        ),
        "followers": min(features.followers_count * weights.followers.per_unit, weights.followers.cap),
        "claim": weights.claimed_points if features.claim_status == "claimed" else 0.0,
    }
    total = max(0, min(100, math.floor(sum(components.values()) + 0.5)))
    return TrustResult(total, tier_for(total, weights), components, weights.model_version)


def tier_for(value: int, weights: TrustSettings) -> str:
    """The last tier whose lower bound the score reaches."""
    return [tier for bound, tier in weights.tiers if value >= bound][-1]
