"""Generate JSON Schema files from the pydantic contracts, for downstream readers.

Run ``python -m pipeline.schemas.jsonschema`` after changing a model; a test fails while
the committed files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, TypeAdapter

from pipeline.catalog import CATALOG
from pipeline.schemas.lake import QuarantineRow, TrustSnapshotRow

# Published, language-neutral contracts live in the top-level schemas/ folder.
OUT_DIR = Path(__file__).resolve().parents[2] / "schemas" / "json"


def contracts() -> dict[str, type[BaseModel]]:
    """Schema name -> model: every catalog table's input and landed row, plus the
    quarantine and the trust history."""
    found: dict[str, type[BaseModel]] = {}
    for table in CATALOG:
        found[f"input_{table.source}_{table.entity}"] = table.input_model
        found[f"lake_{table.entity}"] = table.row_model
    found["quarantine"] = QuarantineRow
    found["trust_snapshot"] = TrustSnapshotRow
    return found


def envelopes() -> dict[str, TypeAdapter]:
    """What apps send: the request/event envelope of the request log and the Redis doorbell."""
    from pipeline.requests.envelope import _ADAPTER

    return {"request_envelope": _ADAPTER}


def documents() -> dict[str, type[BaseModel]]:
    """What apps read: the profile document (``pipeline profile --json``, ``publish/profiles/<id>.json``)."""
    from pipeline.schemas.profile import ProfileDocument

    return {"profile": ProfileDocument}


def render() -> dict[str, str]:
    """File name -> JSON text for every contract."""
    schemas = {name: model.model_json_schema(mode="validation") for name, model in contracts().items()}
    schemas.update({name: adapter.json_schema(mode="validation") for name, adapter in envelopes().items()})
    schemas.update({name: model.model_json_schema(mode="serialization") for name, model in documents().items()})
    return {
        f"{name}.schema.json": json.dumps(schema, indent=2, sort_keys=True) + "\n" for name, schema in schemas.items()
    }


def main() -> None:
    OUT_DIR.mkdir(exist_ok=True)
    rendered = render()
    for stale in sorted(OUT_DIR.iterdir()):
        if stale.name not in rendered:
            stale.unlink()
    for file_name, text in rendered.items():
        (OUT_DIR / file_name).write_text(text, encoding="utf-8")
        print(f"wrote schemas/json/{file_name}")


if __name__ == "__main__":
    main()
