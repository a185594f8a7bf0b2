"""The warehouse's SQL models: where the files are, their build order, contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

_PACKAGED = Path(__file__).resolve().parent.parent / "_sql"  # wheel installs (force-included)
_REPO = Path(__file__).resolve().parents[2] / "warehouse"  # editable installs / the repo


def sql_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _REPO


# Build order: staging -> marts that only need staging -> intermediate -> trust -> profiles.
BUILD_ORDER: tuple[str, ...] = (
    "staging/stg_openalex__merged_authors",
    "staging/stg_openalex__works",
    "staging/stg_openalex__authorships",
    "staging/stg_openalex__work_topics",
    "staging/stg_openalex__authors",
    "staging/stg_platform__events",
    "marts/works",
    "marts/authorships",
    "marts/topic_counts",
    "marts/collaborator_edges",
    "marts/collaborator_edges_directed",
    "intermediate/int_author_event_state",
    "intermediate/int_profile_features",
    "marts/trust_snapshots",
    "marts/profiles",
    "marts/quarantine",
)


@dataclass(frozen=True)
class Contract:
    """A table's contract, kept beside its SQL as ``<table>.yml``."""

    table: str
    grain: str
    materialized: str = "table"
    unique: list[list[str]] = field(default_factory=list)
    not_null: list[str] = field(default_factory=list)
    patterns: dict[str, str] = field(default_factory=dict)
    accepted_values: dict[str, list[str]] = field(default_factory=dict)
    ranges: dict[str, dict[str, float]] = field(default_factory=dict)
    relations: dict[str, str] = field(default_factory=dict)
    ordered_pairs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Model:
    key: str  # e.g. "marts/works"

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[1]

    @property
    def layer(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def sql(self) -> str:
        return (sql_dir() / f"{self.key}.sql").read_text(encoding="utf-8")

    @property
    def contract(self) -> Contract | None:
        return load_contract(self.key)


@cache
def load_contract(key: str) -> Contract | None:
    path = sql_dir() / f"{key}.yml"
    if not path.exists():
        return None
    return Contract(**yaml.safe_load(path.read_text(encoding="utf-8")))


def models() -> list[Model]:
    return [Model(key) for key in BUILD_ORDER]

