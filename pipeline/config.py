"""One typed settings object for the whole pipeline (pydantic-settings).

Every value has a sane default and can be overridden from the environment with
the ``PIPELINE_`` prefix, nested with ``__``, e.g.
``PIPELINE_TRUST__WORKS__CAP=30`` or ``PIPELINE_GRAPH__MAX_AUTHORS_PER_WORK=50``.
Secrets (API keys, later) come only from the environment.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Component(BaseModel):
    """A linear trust component: ``min(feature * per_unit, cap)`` points."""

    per_unit: float
    cap: float


class TrustSettings(BaseModel):
    """Trust model v1 weights. The defaults reproduce the seed calibration points."""

    model_version: str = "trust-v1"
    verification_points: dict[str, float] = Field(
        default_factory=lambda: {"L0": 0.0, "L1": 6.0, "L2": 12.0, "L3": 20.0}
    )
    works: Component = Component(per_unit=1.0, cap=25.0)
    topics: Component = Component(per_unit=1.0, cap=2.0)
    close_collaborators: Component = Component(per_unit=1.0, cap=15.0)
    followers: Component = Component(per_unit=0.5, cap=15.0)
    claimed_points: float = 10.0
    # (lower bound, tier) pairs, ascending: a score gets the last tier whose bound it reaches.
    tiers: list[tuple[int, str]] = Field(
        default_factory=lambda: [(0, "Unverified"), (20, "Emerging"), (40, "Established"), (70, "Trusted")]
    )

    @field_validator("tiers")
    @classmethod
    def _tiers_cover_every_score(cls, tiers: list[tuple[int, str]]) -> list[tuple[int, str]]:
        bounds = [bound for bound, _ in tiers]
        if not tiers or bounds[0] != 0 or bounds != sorted(set(bounds)):
            raise ValueError("trust tiers must be ascending, distinct, and start at 0 so every score has a tier")
        return tiers


class GraphSettings(BaseModel):
    """Collaboration-graph rules."""

    # Works with more authorships than this add no collaborator edges
    # (consortium papers would otherwise make everyone a collaborator).
    max_authors_per_work: int = Field(default=100, ge=2)
    # A close collaborator shares at least this many works with the author.
    close_min_shared_works: int = Field(default=2, ge=1)


class QualitySettings(BaseModel):
    """Quality-gate knobs that are not per-table rules (those live in the .yml contracts)."""

    # A build that would keep less than (1 - this) of the published profiles or works fails.
    max_drop_ratio: float = Field(default=0.2, ge=0.0, le=1.0)


class RequestSettings(BaseModel):
    """How the durable request log is worked off (CLI, Airflow DAGs)."""

    # Requests per mapped Airflow task (one API fetch + one landing per batch).
    batch_size: int = Field(default=10, ge=1)
    # Batches one run claims at most; the rest wait for the next run (keeps below [core] max_map_length).
    max_batches: int = Field(default=32, ge=1, le=1024)
    # A claimed request returns to the queue if its runner has not finished it by then.
    lease_seconds: float = Field(default=1800.0, gt=0)
    # A failed request is retried this many times (across runs) before it stays failed.
    max_attempts: int = Field(default=5, ge=1)
    # refresh_stale_profiles files a request for authors whose data is older than this ...
    stale_after_days: int = Field(default=7, ge=0)
    # ... but at most this many per run, oldest first.
    stale_max_per_run: int = Field(default=100, ge=1)
    # The Redis doorbell (pub/sub) and its channels.
    redis_url: str = "redis://127.0.0.1:6379/0"
    requests_channel: str = "scholarly.requests"
    events_channel: str = "scholarly.events"


class S3Settings(BaseModel):
    """Object-store access for ``s3://`` lake, quarantine and history URIs (``PIPELINE_S3__…``).

    Anything left unset falls back to the standard AWS environment that botocore reads itself
    (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
    ``AWS_DEFAULT_REGION``, ``AWS_PROFILE``). The Airflow tasks may fill it from a Connection (``conn_id``)."""

    endpoint_url: str | None = Field(default=None, description="e.g. http://minio:9000; default: AWS")
    region: str | None = None
    access_key_id: str | None = None
    secret_access_key: SecretStr | None = None
    session_token: SecretStr | None = None
    addressing_style: Literal["auto", "path", "virtual"] | None = Field(
        default=None, description="path-style URLs for S3-compatible servers that need them"
    )
    conn_id: str | None = Field(
        default=None, description="Airflow Connection (type aws) the DAG tasks read the unset values from"
    )
    stale_staging_seconds: float = Field(
        default=24 * 3600.0, ge=0, description="staged objects older than this belong to a crashed writer and are swept"
    )


class LockSettings(BaseModel):
    """The guard of the lake's commit step when the lake is shared by several hosts (``PIPELINE_LOCK__…``).

    ``DIR/.pipeline.lock`` (flock) guards one host. With a remote lake the commit step also takes a
    shared lock: a PostgreSQL advisory lock when ``postgres_dsn`` is set (e.g. the Airflow metadata
    DB), otherwise a lease object in the lake itself, written with S3 conditional writes."""

    postgres_dsn: SecretStr | None = Field(default=None, description="libpq DSN for pg_advisory_lock")
    lease_seconds: float = Field(
        default=60.0, ge=1, description="an object-store lease not renewed for this long is stale"
    )


class Settings(BaseSettings):
    """Pipeline settings; see the module docstring for overriding them."""

    model_config = SettingsConfigDict(env_prefix="PIPELINE_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Path("data")
    lake_uri: str | None = Field(default=None, description="where the Parquet lake lives; default: DIR/lake")
    quarantine_uri: str | None = Field(default=None, description="where rejected records go; default: DIR/quarantine")
    history_uri: str | None = Field(default=None, description="append-only trust history; default: DIR/history")
    publish_uri: str | None = Field(
        default=None,
        description="also publish the marts here (e.g. s3://bucket/publish) for readers on other machines; "
        "default: DIR/publish only",
    )
    batch_rows: int = Field(default=5_000, ge=1, description="rows per Parquet row group while landing")
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, description="landing processes")
    parallel_min_bytes: int = Field(
        default=32 * 1024 * 1024, ge=0, description="inputs smaller than this land in-process (no worker start-up)"
    )
    max_quarantine_ratio: float = Field(
        default=0.5, ge=0.0, le=1.0, description="a landed file with more rejects than this fails the gate"
    )
    as_of: date | None = Field(default=None, description="trust snapshot date; default: today (UTC)")
    incremental_builds: bool = Field(
        default=True,
        description="a build after only new lake files splices what they touch into a copy of the last warehouse "
        "instead of rebuilding it (see pipeline.warehouse.incremental); false: always full builds",
    )
    gate_chunk_rows: int = Field(
        default=1_000_000, ge=1, description="the warehouse gate streams bigger tables through GX in chunks"
    )
    duckdb_memory_limit: str | None = Field(
        default="500MB",
        description="DuckDB memory limit of the warehouse build and gate: they spill to DIR's temp folder beyond "
        "it, so memory stays flat as the lake grows (a 2M-works build alone peaks at ~700 MB RSS under 500MB, "
        "as fast as under 800MB, and builds under 400MB, ~10% slower); a fixed size, not a share of the "
        "machine's RAM; empty: DuckDB's default (80% of RAM)",
    )
    export_memory_limit: str | None = Field(
        default="384MB",
        description="DuckDB memory limit of the export of the marts (Parquet files, profile documents): it spills "
        "to DIR's temp folder beyond it, so the export's memory stays the same at any warehouse size (the "
        "documents' chunks come on top); empty: DuckDB's default (80% of RAM)",
    )
    documents_memory_limit: str | None = Field(
        default="160MB",
        description="DuckDB memory limit of the export while the profile documents render, after their tables "
        "are prepared (under export_memory_limit; a higher one is not applied): the prepared tables (~1.8 GB at "
        "2M works) spill to DIR's temp folder beyond it instead of filling the export's limit (2M works: the "
        "export's peak in a whole run 1,071 -> 903 MB, its chunks ~20 s slower); empty: keep export_memory_limit",
    )
    lock_timeout_seconds: float = Field(default=600.0, ge=0, description="how long to wait for another run's lock")
    graph: GraphSettings = GraphSettings()
    trust: TrustSettings = TrustSettings()
    quality: QualitySettings = QualitySettings()
    requests: RequestSettings = RequestSettings()
    s3: S3Settings = S3Settings()
    lock: LockSettings = LockSettings()


def load_settings(data_dir: Path | str | None = None, as_of: date | None = None, **overrides) -> Settings:
    """Settings from the environment, with the caller's explicit choices on top.
    The CLI and the Airflow tasks both build their settings here."""
    updates = {key: value for key, value in overrides.items() if value is not None}
    if data_dir:
        updates["data_dir"] = Path(data_dir)
    if as_of is not None:
        updates["as_of"] = as_of
    return Settings(**updates) if updates else Settings()
