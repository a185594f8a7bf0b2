"""What a build depends on, as one hash: every committed lake, quarantine and
trust-history file (path, size, mtime), the build variables, the SQL and the
code that runs it. The same fingerprint means the same warehouse, so a re-run
with nothing new skips the build.

The two halves are kept apart too, for the incremental build
(:mod:`pipeline.warehouse.incremental`): :func:`code_fingerprint` (settings, SQL,
contracts, code) must be unchanged for a build to be incremental, and
:func:`input_listing` (the files) tells it which lake files are new."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

from pipeline.config import Settings
from pipeline.storage.layout import DataLayout
from pipeline.warehouse.models import sql_dir
from pipeline.warehouse.variables import model_variables

_PACKAGE = Path(__file__).resolve().parents[1]
_CODE_DIRS = (_PACKAGE / "warehouse", _PACKAGE / "schemas", _PACKAGE / "storage")


def build_fingerprint(settings: Settings, as_of: date) -> str:
    digest = hashlib.sha256()
    digest.update(as_of.isoformat().encode())
    digest.update(code_fingerprint(settings).encode())
    for key, (size, mtime) in input_listing(settings, as_of).items():
        digest.update(f"{key}|{size}|{mtime}".encode())
    return digest.hexdigest()


def code_fingerprint(settings: Settings) -> str:
    """The build variables (as_of left out), the SQL, the contracts and the code that runs them."""
    digest = hashlib.sha256()
    variables = {k: v for k, v in model_variables(settings, date(2000, 1, 1)).items() if k != "as_of"}
    digest.update(json.dumps(variables, default=str, sort_keys=True).encode())
    for root in (sql_dir(), *_CODE_DIRS):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".sql", ".yml", ".py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def input_listing(settings: Settings, as_of: date) -> dict[str, tuple[int, float]]:
    """``store uri|relative path`` -> (size, mtime) of every file a build reads, sorted by key
    (today's trust history and the gates' quality runs left out: the build writes those itself)."""
    layout = DataLayout.of(settings)
    todays_history = f"/as_of={as_of.isoformat()}/"  # rewritten by the build itself
    listing: dict[str, tuple[int, float]] = {}
    for store in layout.stores():
        for path in store.files("**/*.parquet"):
            if todays_history in path or "/quality_runs/" in path:  # written by the gates themselves
                continue
            listing[f"{store.uri}|{store.relative(path)}"] = store.stat(path)
    return dict(sorted(listing.items()))
