"""Settings -> DuckDB variables read by the SQL with ``getvariable('…')``."""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from pipeline.config import Settings


def model_variables(settings: Settings, as_of: date) -> dict[str, Any]:
    trust = settings.trust
    return {
        "as_of": as_of,
        "max_authors_per_work": settings.graph.max_authors_per_work,
        "close_min_shared_works": settings.graph.close_min_shared_works,
        "trust_model_version": trust.model_version,
        "trust_verification_points": {k: float(v) for k, v in trust.verification_points.items()},
        "trust_works_per_unit": trust.works.per_unit,
        "trust_works_cap": trust.works.cap,
        "trust_topics_per_unit": trust.topics.per_unit,
        "trust_topics_cap": trust.topics.cap,
        "trust_close_collaborators_per_unit": trust.close_collaborators.per_unit,
        "trust_close_collaborators_cap": trust.close_collaborators.cap,
        "trust_followers_per_unit": trust.followers.per_unit,
        "trust_followers_cap": trust.followers.cap,
        "trust_claimed_points": float(trust.claimed_points),
        "trust_tiers": [{"min_score": int(bound), "tier": tier} for bound, tier in trust.tiers],
    }


def set_variables(con: duckdb.DuckDBPyConnection, variables: dict[str, Any]) -> None:
    for name, value in variables.items():
        con.execute(f"set variable {name} = {_literal(value)}")


def _literal(value: Any) -> str:
    # Literals, not bind parameters, so each variable keeps an exact SQL type.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}::BIGINT"
    if isinstance(value, float):
        return f"{value!r}::DOUBLE"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if (
        isinstance(value, dict)
        and all(isinstance(k, str) for k in value)
        and all(isinstance(v, float) for v in value.values())
    ):
        items = ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in value.items())
        return f"MAP {{{items}}}"
    if isinstance(value, dict):
        items = ", ".join(f"'{k}': {_literal(v)}" for k, v in value.items())
        return f"{{{items}}}"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    raise TypeError(f"cannot express {value!r} as a DuckDB literal")
