"""Generate JSON Schema files from the pydantic contracts, for downstream readers.

Run ``python -m pipeline.schemas.jsonschema`` after changing a model; a test fails while
the committed files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from pipeline.schemas.lake import AuthorRow, MergedAuthorRow, PlatformEventRow, QuarantineRow, TrustSnapshotRow, WorkRow
from pipeline.schemas.openalex import Author, Work
from pipeline.schemas.platform import PlatformEvent

# Published, language-neutral contracts live in the top-level schemas/ folder.
OUT_DIR = Path(__file__).resolve().parents[2] / "schemas" / "json"

CONTRACTS: dict[str, type[BaseModel]] = {
    "openalex_work": Work,
    "openalex_author": Author,
    "platform_event": PlatformEvent,
    "lake_works": WorkRow,
    "lake_authors": AuthorRow,
    "lake_merged_authors": MergedAuthorRow,
    "lake_events": PlatformEventRow,
    "quarantine": QuarantineRow,
    "trust_snapshot": TrustSnapshotRow,
}


def render() -> dict[str, str]:
    """File name -> JSON text for every contract."""
    return {
        f"{name}.schema.json": json.dumps(model.model_json_schema(mode="validation"), indent=2, sort_keys=True) + "\n"
        for name, model in CONTRACTS.items()
    }


def main() -> None:
    OUT_DIR.mkdir(exist_ok=True)
    for file_name, text in render().items():
        (OUT_DIR / file_name).write_text(text, encoding="utf-8")
        print(f"wrote schemas/json/{file_name}")


if __name__ == "__main__":
    main()
