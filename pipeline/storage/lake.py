"""Where landed files live in the lake and quarantine stores. Hive partitions:
``source=…/entity=…/ingest_date=…``.

Each input lands as ``part-<key>.parquet``, where the key names the input
(source, entity and its identity, e.g. its path inside the snapshot), and the
file's Parquet metadata records the input version it came from. So a re-run of
the same file is recognised and skipped, and a corrected file replaces its
earlier landing instead of adding to it.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from pipeline.storage.store import Store

VERSION_KEY = b"pipeline.input_version"


class LandingInput(Protocol):
    source: str
    entity: str

    @property
    def key(self) -> str: ...

    @property
    def version(self) -> str: ...


def partition(store: Store, source: str, entity: str, ingest_date: date) -> str:
    return store.join(f"source={source}", f"entity={entity}", f"ingest_date={ingest_date.isoformat()}")


def part_path(store: Store, item: LandingInput, ingest_date: date) -> str:
    """Where this input lands in ``store`` (the lake or the quarantine)."""
    return f"{partition(store, item.source, item.entity, ingest_date)}/part-{item.key}.parquet"


def landings(store: Store, item: LandingInput) -> list[str]:
    """Every committed file of this input in ``store``, on any date."""
    return store.files(f"source={item.source}/entity={item.entity}/ingest_date=*/part-{item.key}.parquet")


def landed_version(store: Store, path: str) -> str | None:
    value = store.parquet_metadata(path).get(VERSION_KEY)
    return value.decode() if value is not None else None


def current_landing(lake: Store, item: LandingInput) -> str | None:
    """The records file that already holds this exact version of the input, if any."""
    version = item.version
    return next((p for p in reversed(landings(lake, item)) if landed_version(lake, p) == version), None)


def twin(lake: Store, quarantine: Store, records_path: str) -> str:
    """The quarantine file that pairs with a records file."""
    return quarantine.join(lake.relative(records_path))


def superseded(lake: Store, quarantine: Store, item: LandingInput, keep: str) -> list[tuple[Store, str]]:
    """Files of other landings of this input: everything but ``keep`` and its quarantine twin."""
    keep_twin = twin(lake, quarantine, keep)
    return [(lake, p) for p in landings(lake, item) if p != keep] + [
        (quarantine, p) for p in landings(quarantine, item) if p != keep_twin
    ]


def dataset_files(store: Store, entity: str = "*") -> list[str]:
    """Every committed file of one entity (or all), across sources and dates."""
    return store.files(f"source=*/entity={entity}/ingest_date=*/*.parquet")
