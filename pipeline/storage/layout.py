"""Every place in the data dir, worked out once.

``DIR`` is ``Settings.data_dir``. The lake, the quarantine and the trust history
are :class:`~pipeline.storage.store.Store` s addressed by URI (``Settings.lake_uri``
and friends, defaulting to folders of ``DIR``); the warehouse file, the lock, the
reports and the publish switch stay local to the host that builds.

::

    DIR/lake/source=…/entity=…/ingest_date=…/part-<input key>.parquet
    DIR/quarantine/source=…/entity=…/ingest_date=…/part-<input key>.parquet
    DIR/history/trust_snapshots/as_of=YYYY-MM-DD/part-0.parquet
    DIR/history/quality_runs/checked_on=YYYY-MM-DD/part-<run id>.parquet
    DIR/quality/gx/                 the Great Expectations project (suites, results)
    DIR/quality/docs/index.html     Data Docs
    DIR/warehouse.duckdb            the published warehouse
    DIR/.warehouse.duckdb.building-<pid>   a build in progress (swept after a crash)
    DIR/publish -> .publish/<stamp>  the Parquet outputs, switched in one rename
    DIR/publish/profiles/<author_id>.json   one profile document per author, in the same export
    DIR/report/index.html           the HTML report (`pipeline report`), profiles/<author_id>.html
    DIR/reports/<kind>-latest.json and <kind>-<stamp>.json
    DIR/.pipeline.lock              one writer at a time
    DIR/requests/requests.sqlite    the durable request log
    DIR/inbox/events/batch-<hash>.jsonl   platform events taken from the log, as landed
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path

from pipeline.config import S3Settings, Settings
from pipeline.storage.object_store import open_store
from pipeline.storage.store import Store

BUILDING_PREFIX = ".warehouse.duckdb.building-"


def _under_data_dir(name: str, doc: str) -> property:
    """A fixed place directly under the data dir."""
    return property(lambda self: self.data_dir / name, doc=doc)


EXPORTS_DIR = ".publish"
PROFILES_DIR = "profiles"  # publish/profiles/<author_id>.json: one profile document per author


@dataclass(frozen=True)
class DataLayout:
    """The paths and stores of one data dir."""

    data_dir: Path
    lake_uri: str
    quarantine_uri: str
    history_uri: str
    s3: S3Settings = field(default_factory=S3Settings, compare=False, repr=False)  # for s3:// stores
    publish_uri: str | None = None  # where the marts are also published for other machines (optional)

    @classmethod
    def of(cls, settings: Settings) -> DataLayout:
        data_dir = Path(settings.data_dir)
        return cls(
            data_dir=data_dir,
            lake_uri=settings.lake_uri or (data_dir / "lake").as_posix(),
            quarantine_uri=settings.quarantine_uri or (data_dir / "quarantine").as_posix(),
            history_uri=settings.history_uri or (data_dir / "history").as_posix(),
            s3=settings.s3,
            publish_uri=settings.publish_uri,
        )

    @cached_property
    def lake(self) -> Store:
        return open_store(self.lake_uri, self.s3)

    @cached_property
    def quarantine(self) -> Store:
        return open_store(self.quarantine_uri, self.s3)

    @cached_property
    def history(self) -> Store:
        return open_store(self.history_uri, self.s3)

    @cached_property
    def publish_store(self) -> Store | None:
        """The mirror of ``publish/`` for readers on other machines (``Settings.publish_uri``), if any."""
        return open_store(self.publish_uri, self.s3) if self.publish_uri else None

    def stores(self) -> tuple[Store, Store, Store]:
        return self.lake, self.quarantine, self.history

    # The warehouse and its build ------------------------------------------------
    warehouse_path = _under_data_dir("warehouse.duckdb", "The published warehouse.")

    def building_path(self) -> Path:
        """Where this process builds a new warehouse before it is gated and swapped in."""
        return self.data_dir / f"{BUILDING_PREFIX}{os.getpid()}"

    def stale_builds(self) -> list[Path]:
        return sorted(self.data_dir.glob(f"{BUILDING_PREFIX}*"))

    duckdb_temp_dir = _under_data_dir(".duckdb_tmp", "DuckDB's spill folder during a build.")

    lock_path = _under_data_dir(".pipeline.lock", "One writer at a time.")

    # Trust history --------------------------------------------------------------
    def trust_history_path(self, as_of: date) -> str:
        return self.history.join("trust_snapshots", f"as_of={as_of.isoformat()}", "part-0.parquet")

    def trust_history_files(self) -> list[str]:
        return self.history.files("trust_snapshots/as_of=*/*.parquet")

    # Outputs for downstream apps -------------------------------------------------
    publish_dir = _under_data_dir("publish", "Symlink to the current export for downstream apps.")

    exports_dir = _under_data_dir(EXPORTS_DIR, "Export folders that publish points at.")

    def profile_document_path(self, author_id: str) -> Path:
        """One author's published profile document (``pipeline profile --json``)."""
        return self.publish_dir / PROFILES_DIR / f"{author_id}.json"

    # The HTML report --------------------------------------------------------------
    report_dir = _under_data_dir(
        "report", "The static HTML report (`pipeline report`): index.html, profiles/, figures/."
    )

    def report_file(self, relative: str) -> Path:
        """A file of the report site, by its path relative to the site's root (as links name it)."""
        return self.report_dir / relative

    # Reports ----------------------------------------------------------------------
    reports_dir = _under_data_dir("reports", "Run and quality reports.")

    def report_path(self, kind: str, stamp: str = "latest") -> Path:
        return self.reports_dir / f"{kind}-{stamp}.json"

    # Quality -------------------------------------------------------------------
    gx_project_dir = _under_data_dir("quality/gx", "The Great Expectations project: suites and stored results.")

    quality_docs_dir = _under_data_dir("quality/docs", "Great Expectations Data Docs (index.html).")

    def quality_run_path(self, checked_on: date, run_id: str) -> str:
        return self.history.join("quality_runs", f"checked_on={checked_on.isoformat()}", f"part-{run_id}.parquet")

    def quality_run_files(self) -> list[str]:
        return self.history.files("quality_runs/checked_on=*/*.parquet")

    # State of live sources and requests -----------------------------------------
    raw_dir = _under_data_dir("raw", "Raw API responses, landed immutable before they are parsed.")

    state_dir = _under_data_dir("state", "Cursor checkpoints and high-water marks of the live sources.")

    inbox_dir = _under_data_dir("inbox", "Batches of filed platform events, written once, then landed.")

    def inbox_file(self, kind: str, name: str) -> Path:
        return self.inbox_dir / kind / name

    @property
    def requests_db(self) -> Path:
        """The durable request log (profile refreshes, platform events)."""
        return self.data_dir / "requests" / "requests.sqlite"
