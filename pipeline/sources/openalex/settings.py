"""OpenAlex source settings: snapshot layout and API endpoints live here, not in code.

The API settings come from the environment (``OPENALEX_BASE_URL``, ``OPENALEX_API_KEY``,
``OPENALEX_MAILTO``, ``OPENALEX_PER_PAGE``, ...). The key is a secret: it is sent
as the ``api_key`` query parameter and nowhere else (never logged, landed or printed).
"""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SOURCE_NAME = "openalex-snapshot"
API_SOURCE_NAME = "openalex-api"

# Entities read from a snapshot, in landing order.
SNAPSHOT_ENTITIES = ("authors", "works")
# data/<entity>/updated_date=YYYY-MM-DD/part_NNN.gz, listed by data/<entity>/manifest
PART_GLOB = "updated_date=*/part_*.gz"
# data/parquet/<entity>/updated_date=YYYY-MM-DD/part_NNNN.parquet (2026 layout, Parquet variant)
PARQUET_PART_GLOB = "updated_date=*/part_*.parquet"
MERGED_AUTHORS_GLOB = "merged_ids/authors/*.csv.gz"

API_BASE_URL = "https://api.openalex.org"
# The work fields the warehouse reads (plus is_authors_truncated): smaller pages, same records.
WORKS_SELECT = (
    "id,doi,title,display_name,publication_year,publication_date,type,cited_by_count,primary_location,"
    "authorships,primary_topic,topics,abstract_inverted_index,is_retracted,is_authors_truncated,"
    "updated_date,created_date"
)


class OpenAlexAPISettings(BaseSettings):
    """The OpenAlex API client's settings (environment prefix ``OPENALEX_``)."""

    model_config = SettingsConfigDict(env_prefix="OPENALEX_", extra="ignore")

    base_url: str = API_BASE_URL
    api_key: SecretStr | None = Field(default=None, description="sent as api_key; never logged or landed")
    mailto: str | None = Field(default=None, description="contact address sent as mailto")
    per_page: int = Field(default=100, ge=1, le=200)
    works_select: str = Field(default=WORKS_SELECT, description="select= for works pages; empty: all fields")
    connect_timeout: float = Field(default=10.0, gt=0)
    read_timeout: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=6, ge=0, description="retries of one request (403, 429, 5xx, timeouts)")
    backoff_base: float = Field(default=1.0, ge=0, description="first backoff in seconds; doubles, with jitter")
    backoff_max: float = Field(default=60.0, ge=0)
    max_retry_after: float = Field(default=600.0, ge=0, description="a longer Retry-After stops the run instead")
    min_interval: float = Field(default=0.02, ge=0, description="seconds between requests (the API allows 100/s)")
    list_cost: int = Field(default=1, ge=0, description="credits one list request costs")
    singleton_cost: int = Field(default=0, ge=0, description="credits one singleton request costs")
    max_pages: int = Field(default=10_000, ge=1, description="cap on pages of one listing")
    incremental_filter: bool = Field(
        default=True, description="send from_updated_date on re-runs (off: re-fetch all, keep the newest)"
    )

    def key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key is not None else None
