"""Where landed files live. Hive partitions: ``source=…/entity=…/ingest_date=…``.

Each input lands as ``part-<key>.parquet``, where the key names the input's
place (source, entity, location), and the file's Parquet metadata records the
input version it came from. So a re-run of the same file is recognised and
skipped, and a corrected file replaces its earlier landing instead of adding to it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.sources.base import InputFile

VERSION_KEY = b"pipeline.input_version"


def records_path(lake_dir: Path, item: InputFile, ingest_date: date) -> Path:
    return _partition(lake_dir, item, ingest_date) / f"part-{item.key}.parquet"


def quarantine_path(quarantine_dir: Path, item: InputFile, ingest_date: date) -> Path:
    return _partition(quarantine_dir, item, ingest_date) / f"part-{item.key}.parquet"


def _partition(root: Path, item: InputFile, ingest_date: date) -> Path:
    return root / f"source={item.source}" / f"entity={item.entity}" / f"ingest_date={ingest_date.isoformat()}"


def landings(root: Path, item: InputFile) -> list[Path]:
    """Every committed file of this input under ``root`` (lake or quarantine), on any date."""
    base = root / f"source={item.source}" / f"entity={item.entity}"
    return sorted(base.glob(f"ingest_date=*/part-{item.key}.parquet"))


def landed_version(path: Path) -> str | None:
    metadata = pq.read_schema(path).metadata or {}
    value = metadata.get(VERSION_KEY)
    return value.decode() if value is not None else None


def current_landing(lake_dir: Path, item: InputFile) -> Path | None:
    """The records file that already holds this exact version of the input, if any."""
    version = item.version
    return next((p for p in reversed(landings(lake_dir, item)) if landed_version(p) == version), None)


def superseded(lake_dir: Path, quarantine_dir: Path, item: InputFile, keep: Path) -> list[Path]:
    """Files of other landings of this input: everything but ``keep`` and its quarantine twin."""
    twin = quarantine_dir / keep.relative_to(lake_dir)
    return [p for p in landings(lake_dir, item) + landings(quarantine_dir, item) if p not in (keep, twin)]


def dataset_glob(root: Path, entity: str) -> str:
    """Glob of every committed file of one entity, across sources and dates."""
    return (root / "source=*" / f"entity={entity}" / "ingest_date=*" / "*.parquet").as_posix()
