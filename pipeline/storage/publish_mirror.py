"""The published marts, mirrored to a store other machines can read (``PIPELINE_PUBLISH_URI``, e.g.
``s3://bucket/publish``), with a manifest switch instead of ``publish``'s symlink:

::

    <publish>/exports/<stamp>/<table>/part-0.parquet one complete export per build (the 2 newest kept);
                                                     a folder per table, as Spark, Trino and Hive expect
    <publish>/exports/<stamp>/profiles/<id>.json     the profile documents of that export
    <publish>/manifest.json                          the current export: written last, in one PUT

A reader reads ``manifest.json`` first and then only the files it names, so it sees one build's tables,
never a mix: the export's objects are uploaded before the manifest points at them, and an export stays
for at least one more build after the manifest moves on (readers still on it finish).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.storage.store import Store

MANIFEST = "manifest.json"
EXPORTS = "exports"
KEEP_EXPORTS = 2
MANIFEST_VERSION = 1


def mirror_export(store: Store, folder: Path) -> dict:
    """Upload the finished export ``folder`` (``DIR/.publish/<stamp>``) and switch the manifest to it."""
    store.sweep_leftovers()  # a crashed run's staged manifest (runs under the build's lock)
    stamp = folder.name
    prefix = f"{EXPORTS}/{stamp}"
    tables: dict[str, dict] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        table = path.suffix == ".parquet" and path.parent == folder
        relative = f"{path.stem}/part-0.parquet" if table else path.relative_to(folder).as_posix()
        target = store.join(prefix, relative)
        store.makedirs(target.rpartition("/")[0])
        store.fs.put_file(str(path), target)  # nothing names this export until the manifest does
        if table:
            tables[path.stem] = {
                "path": f"{prefix}/{path.stem}/",
                "files": [f"{prefix}/{relative}"],
                "rows": pq.read_metadata(path).num_rows,
            }
    manifest = {
        "version": MANIFEST_VERSION,
        "export": prefix,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": tables,
        "profiles": f"{prefix}/profiles/" if (folder / "profiles").is_dir() else None,
    }
    store.write_bytes(store.join(MANIFEST), json.dumps(manifest, indent=2).encode())
    prune_mirror(store, keep=prefix)
    return manifest


def read_manifest(store: Store) -> dict | None:
    path = store.join(MANIFEST)
    return json.loads(store.read_bytes(path)) if store.exists(path) else None


def prune_mirror(store: Store, keep: str) -> None:
    """Drop all but the newest KEEP_EXPORTS exports (never the current one)."""
    root = store.join(EXPORTS)
    try:
        exports = sorted(p.rstrip("/") for p in store.fs.ls(root, detail=False))
    except FileNotFoundError:
        return
    for export in exports[:-KEEP_EXPORTS]:
        if store.relative(export) != keep:
            for path in store.fs.find(export):
                store.fs.rm_file(path)
