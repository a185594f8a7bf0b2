"""The committed JSON Schema files are generated from the current models."""

from __future__ import annotations

import json

from pipeline.schemas.jsonschema import OUT_DIR, render


def test_committed_json_schemas_are_up_to_date():
    expected = render()
    committed = {p.name: p.read_text(encoding="utf-8") for p in OUT_DIR.glob("*.schema.json")}
    assert committed == expected, "stale: run `python -m pipeline.schemas.jsonschema`"


def test_json_schema_states_required_ids():
    work = json.loads(render()["input_openalex-snapshot_works.schema.json"])
    assert "id" in work["required"]
    assert json.loads(render()["lake_works.schema.json"])["properties"]["work_id"]["type"] == "string"
