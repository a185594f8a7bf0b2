"""Write the 2026 Parquet variant of an OpenAlex snapshot for tests, through the converter in
``tools/snapshot_to_parquet.py`` (loaded from its file: tools/ is not a package)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TOOL = REPO / "tools" / "snapshot_to_parquet.py"

_spec = importlib.util.spec_from_file_location("snapshot_to_parquet", TOOL)
converter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(converter)

convert = converter.convert
records_table = converter.records_table


def write_parquet_snapshot(
    root: Path,
    *,
    works: dict[str, list[dict]] | None = None,
    authors: dict[str, list[dict]] | None = None,
    abstract: str = "map",
    row_group_rows: int = 100_000,
    manifest: bool = True,
) -> Path:
    """``works``/``authors`` map an updated_date partition to its records (one part each), written
    as ``data/parquet/<entity>/updated_date=*/part_0000.parquet`` plus ``data/parquet/manifest.json``."""
    entities: dict[str, dict] = {}
    for entity, partitions in (("works", works or {}), ("authors", authors or {})):
        entries = []
        for day, records in sorted(partitions.items()):
            relative = f"updated_date={day}/part_0000.parquet"
            converter.write_part(
                root / "data" / "parquet" / entity / relative, records, abstract=abstract, row_group_rows=row_group_rows
            )
            entries.append(
                {"url": f"s3://openalex/data/parquet/{entity}/{relative}", "meta": {"record_count": len(records)}}
            )
        if entries:
            entities[entity] = {"entries": entries}
    if manifest:
        (root / "data" / "parquet" / "manifest.json").write_text(
            json.dumps({"format": "parquet", "entities": entities})
        )
    return root
