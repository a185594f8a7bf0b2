"""OpenAlex source settings: snapshot layout and API endpoints live here, not in code."""

SOURCE_NAME = "openalex-snapshot"

# Entities read from a snapshot, in landing order.
SNAPSHOT_ENTITIES = ("authors", "works")
# data/<entity>/updated_date=YYYY-MM-DD/part_NNN.gz, listed by data/<entity>/manifest
PART_GLOB = "updated_date=*/part_*.gz"
MERGED_AUTHORS_GLOB = "merged_ids/authors/*.csv.gz"

API_BASE_URL = "https://api.openalex.org"
