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
from pipeline.warehouse.models import sql_dir
from pipeline.warehouse.variables import model_variables

_CODE_DIRS = (Path(__file__).resolve().parent, Path(__file__).resolve().parents[1] / "schemas")


def build_fingerprint(settings: Settings, as_of: date) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(model_variables(settings, as_of), default=str, sort_keys=True).encode())
    for root in (sql_dir(), *_CODE_DIRS):
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".sql", ".yml", ".py")):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    todays_history = f"as_of={as_of.isoformat()}"  # rewritten by the build itself
    for root in (settings.lake_dir, settings.quarantine_dir, settings.history_dir):
        for path in sorted(root.rglob("*.parquet")) if root.exists() else []:
            if path.parent.name == todays_history or path.name.startswith("."):
                continue
            stat = path.stat()
            digest.update(f"{path.relative_to(settings.data_dir).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()
