"""What a build depends on, as one hash: every committed lake, quarantine and
trust-history file (path, size, mtime), the build variables, the SQL and the
code that runs it. The same fingerprint means the same warehouse, so a re-run
with nothing new skips the build."""

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
    digest.update(json.dumps(model_variables(settings, as_of), default=str, sort_keys=True).encode())
    for root in (sql_dir(), *_CODE_DIRS):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".sql", ".yml", ".py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    layout = DataLayout.of(settings)
    todays_history = f"/as_of={as_of.isoformat()}/"  # rewritten by the build itself
    for store in layout.stores():
        for path in store.files("**/*.parquet"):
            if todays_history in path or "/quality_runs/" in path:  # written by the gates themselves
                continue
            size, mtime = store.stat(path)
            digest.update(f"{store.uri}|{store.relative(path)}|{size}|{mtime}".encode())
    return digest.hexdigest()
