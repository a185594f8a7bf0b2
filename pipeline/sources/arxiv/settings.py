"""arXiv source settings: the endpoint, the politeness delay, page sizes and retries.

Only two values come from the environment (``ARXIV_BASE_URL``, ``ARXIV_DELAY_SECONDS``);
the rest are fixed here, in one place, because arXiv's terms fix them.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

SOURCE_NAME = "arxiv-api"
ENTITY = "arxiv_entries"

# arXiv asks for at most one request every 3 seconds and pages of at most 2000 entries
# (https://info.arxiv.org/help/api/user-manual.html); 100 keeps each response small.
PAGE_SIZE = 100
MAX_PAGES = 500  # a cap on any one listing (50,000 entries): a runaway listing stops, loudly
EMPTY_PAGE_RETRIES = 3  # arXiv sometimes serves an empty page mid-listing; ask again this often
BAD_FEED_RETRIES = 3  # a truncated or malformed Atom body is fetched again this often
HTTP_RETRIES = 4  # 5xx and timeouts, with exponential backoff (urllib3 Retry, in the session)
HTTP_BACKOFF_SECONDS = 1.0
TIMEOUT_SECONDS = 30.0
USER_AGENT = "scholarly-pipeline (arXiv export API client)"


class ArxivSettings(BaseSettings):
    """``ARXIV_BASE_URL`` and ``ARXIV_DELAY_SECONDS`` (tests set the delay to 0)."""

    model_config = SettingsConfigDict(env_prefix="ARXIV_", extra="ignore")

    base_url: str = "https://export.arxiv.org/api/query"
    delay_seconds: float = Field(default=3.0, ge=0, description="pause between requests, per arXiv's terms")
