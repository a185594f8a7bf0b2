"""Every place in the data dir, worked out once.

``DIR`` is ``Settings.data_dir``. The lake, the quarantine and the trust history
are :class:`~pipeline.storage.store.Store` s addressed by URI (``Settings.lake_uri``
and friends, defaulting to folders of ``DIR``); the warehouse file, the lock, the
reports and the publish switch stay local to the host that builds.

::

    DIR/lake/source=…/entity=…/ingest_date=…/part-<input key>.parquet
    DIR/quarantine/source=…/entity=…/ingest_date=…/part-<input key>.parquet
    DIR/history/trust_snapshots/as_of=YYYY-MM-DD/part-0.parquet
    DIR/warehouse.duckdb            the published warehouse
    DIR/.warehouse.duckdb.building-<pid>   a build in progress (swept after a crash)
    DIR/publish -> .publish/<stamp>  the Parquet outputs, switched in one rename
    DIR/reports/<kind>-latest.json and <kind>-<stamp>.json
    DIR/.pipeline.lock              one writer at a time
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from pipeline.config import Settings
from pipeline.storage.store import Store

BUILDING_PREFIX = ".warehouse.duckdb.building-"
EXPORTS_DIR = ".publish"


@dataclass(frozen=True)
class DataLayout:
    """The paths and stores of one data dir."""

    data_dir: Path
    lake_uri: str
    quarantine_uri: str
    history_uri: str

    @classmethod
    def of(cls, settings: Settings) -> DataLayout:
        data_dir = Path(settings.data_dir)
        return cls(
            data_dir=data_dir,
            lake_uri=settings.lake_uri or (data_dir / "lake").as_posix(),
            quarantine_uri=settings.quarantine_uri or (data_dir / "quarantine").as_posix(),
            history_uri=settings.history_uri or (data_dir / "history").as_posix(),
        )

    @cached_property
    def lake(self) -> Store:
        return Store(self.lake_uri)

    @cached_property
    def quarantine(self) -> Store:
        return Store(self.quarantine_uri)

    @cached_property
    def history(self) -> Store:
        return Store(self.history_uri)

    def stores(self) -> tuple[Store, Store, Store]:
        return self.lake, self.quarantine, self.history

    # The warehouse and its build ------------------------------------------------
    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse.duckdb"

    def building_path(self) -> Path:
        """Where this process builds a new warehouse before it is gated and swapped in."""
        return self.data_dir / f"{BUILDING_PREFIX}{os.getpid()}"

    def stale_builds(self) -> list[Path]:
        return sorted(self.data_dir.glob(f"{BUILDING_PREFIX}*"))

    @property
    def duckdb_temp_dir(self) -> Path:
        return self.data_dir / ".duckdb_tmp"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / ".pipeline.lock"

    # Trust history --------------------------------------------------------------
    def trust_history_path(self, as_of: date) -> str:
        return self.history.join("trust_snapshots", f"as_of={as_of.isoformat()}", "part-0.parquet")

    def trust_history_files(self) -> list[str]:
        return self.history.files("trust_snapshots/as_of=*/*.parquet")

    # Outputs for downstream apps -------------------------------------------------
    @property
    def publish_dir(self) -> Path:
        return self.data_dir / "publish"

    @property
    def exports_dir(self) -> Path:
        return self.data_dir / EXPORTS_DIR

    # Reports ----------------------------------------------------------------------
    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    def report_path(self, kind: str, stamp: str = "latest") -> Path:
        return self.reports_dir / f"{kind}-{stamp}.json"

    # State of live sources and requests -----------------------------------------
    @property
    def raw_dir(self) -> Path:
        """Raw API responses, landed immutable before they are parsed."""
        return self.data_dir / "raw"

    @property
    def state_dir(self) -> Path:
        """Cursor checkpoints and high-water marks of the live sources."""
        return self.data_dir / "state"

    @property
    def requests_db(self) -> Path:
        """The durable request log (profile refreshes, platform events)."""
        return self.data_dir / "requests" / "requests.sqlite"
