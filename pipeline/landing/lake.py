"""Where landed files live. Hive partitions: ``source=…/entity=…/ingest_date=…``."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from pipeline.sources.base import InputFile


def records_path(lake_dir: Path, item: InputFile, ingest_date: date, fingerprint: str) -> Path:
    return _partition(lake_dir, item, ingest_date) / f"part-{fingerprint}.parquet"


def quarantine_path(quarantine_dir: Path, item: InputFile, ingest_date: date, fingerprint: str) -> Path:
    return _partition(quarantine_dir, item, ingest_date) / f"part-{fingerprint}.parquet"


def _partition(root: Path, item: InputFile, ingest_date: date) -> Path:
    return root / f"source={item.source}" / f"entity={item.entity}" / f"ingest_date={ingest_date.isoformat()}"


def landed_before(lake_dir: Path, item: InputFile, fingerprint: str) -> Path | None:
    """The records file of an earlier landing of this same input, on any date."""
    base = lake_dir / f"source={item.source}" / f"entity={item.entity}"
    return next(iter(sorted(base.glob(f"ingest_date=*/part-{fingerprint}.parquet"))), None)


def stale_quarantine(quarantine_dir: Path, item: InputFile, fingerprint: str) -> list[Path]:
    """Quarantine files of an interrupted earlier landing of this input."""
    base = quarantine_dir / f"source={item.source}" / f"entity={item.entity}"
    return sorted(base.glob(f"ingest_date=*/part-{fingerprint}.parquet"))


def dataset_glob(root: Path, entity: str) -> str:
    """Glob of every committed file of one entity, across sources and dates."""
    return (root / "source=*" / f"entity={entity}" / "ingest_date=*" / "*.parquet").as_posix()
