"""The published marts, mirrored to a store other machines can read (``PIPELINE_PUBLISH_URI``, e.g.
``s3://bucket/publish``), with a manifest switch instead of ``publish``'s symlink:

::

    <publish>/exports/<stamp>/<table>/part-0.parquet one complete export per build (the 2 newest kept);
                                                     a folder per table, as Spark, Trino and Hive expect
    <publish>/exports/<stamp>/profiles/<id>.json     the profile documents of that export
    <publish>/exports/<stamp>/_files.json            the SHA-256 of every file of that export
    <publish>/manifest.json                          the current export: written last, in one PUT

A reader reads ``manifest.json`` first and then only the files it names, so it sees one build's tables,
never a mix: the export's objects are uploaded before the manifest points at them, and an export stays
for at least one more build after the manifest moves on (readers still on it finish).

Every export is complete under its own prefix, but only the files that differ from the current
export's (by the SHA-256 its ``_files.json`` records) are uploaded: the others are server-side copies
of the current export's objects (no bytes sent; after an incremental build, most profile documents).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from pipeline.storage.store import Store

MANIFEST = "manifest.json"
EXPORTS = "exports"
KEEP_EXPORTS = 2
MANIFEST_VERSION = 1


FILES_INDEX = "_files.json"


def mirror_export(store: Store, folder: Path) -> dict:
    """Upload the finished export ``folder`` (``DIR/.publish/<stamp>``) and switch the manifest to it;
    files the current mirrored export holds with the same content are copied on the server instead."""
    store.sweep_leftovers()  # a crashed run's staged manifest (runs under the build's lock)
    stamp = folder.name
    prefix = f"{EXPORTS}/{stamp}"
    current = read_manifest(store)
    known = _files_of(store, current)
    tables: dict[str, dict] = {}
    digests: dict[str, str] = {}
    uploads: tuple[list[str], list[str]] = ([], [])
    copies: tuple[list[str], list[str]] = ([], [])
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        table = path.suffix == ".parquet" and path.parent == folder
        relative = f"{path.stem}/part-0.parquet" if table else path.relative_to(folder).as_posix()
        digests[relative] = _sha256(path)
        target = store.join(prefix, relative)
        if current is not None and known.get(relative) == digests[relative]:
            copies[0].append(store.join(current["export"], relative))
            copies[1].append(target)
        else:
            store.makedirs(target.rpartition("/")[0])
            uploads[0].append(str(path))
            uploads[1].append(target)
        if table:
            tables[path.stem] = {
                "path": f"{prefix}/{path.stem}/",
                "files": [f"{prefix}/{relative}"],
                "rows": pq.read_metadata(path).num_rows,
            }
    # nothing names this export until the manifest does
    if uploads[0]:
        store.fs.put(uploads[0], uploads[1])
    if copies[0]:
        store.fs.copy(copies[0], copies[1])
    store.write_bytes(store.join(prefix, FILES_INDEX), json.dumps(digests, separators=(",", ":")).encode())
    manifest = {
        "version": MANIFEST_VERSION,
        "export": prefix,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tables": tables,
        "profiles": f"{prefix}/profiles/" if (folder / "profiles").is_dir() else None,
        "files": f"{prefix}/{FILES_INDEX}",
        "uploaded": len(uploads[0]),
        "copied": len(copies[0]),
    }
    store.write_bytes(store.join(MANIFEST), json.dumps(manifest, indent=2).encode())
    prune_mirror(store, keep=prefix)
    return manifest


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _files_of(store: Store, manifest: dict | None) -> dict[str, str]:
    """relative path -> SHA-256 of the files of the export ``manifest`` names ({} when it records none)."""
    if manifest is None or not manifest.get("files"):
        return {}
    try:
        return json.loads(store.read_bytes(store.join(manifest["files"])))
    except FileNotFoundError:
        return {}


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
