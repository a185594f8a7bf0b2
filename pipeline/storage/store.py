"""A tree of files addressed by URI: a local path (the default), ``file://``,
``memory://`` (tests) or, later, ``s3://``. Landing, the build and the reports
use a :class:`Store` and never the filesystem directly, so nothing in the lake's
layout assumes a POSIX path.

Atomicity: a writer writes a hidden temp file beside the final one and
:meth:`Store.commit` renames it into place (``os.replace`` plus a directory
fsync locally; the filesystem's move elsewhere).
"""

from __future__ import annotations

import os
from pathlib import Path

import fsspec
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem

from pipeline.errors import PipelineError
from pipeline.storage.atomic import commit_file

TEMP_MARK = ".tmp-"
CORRUPT_LAKE_FILE_FIX = "delete it, then run again with its --source to land that input again"


class Store:
    """Files under one root URI."""

    def __init__(self, uri: str | Path, options: dict | None = None) -> None:
        self.uri = str(uri)
        self.fs, root = fsspec.core.url_to_fs(self.uri, **(options or {}))
        self.root = root.rstrip("/") or "/"
        self.is_local = isinstance(self.fs, LocalFileSystem)
        self.arrow_fs = pafs.LocalFileSystem() if self.is_local else pafs.PyFileSystem(pafs.FSSpecHandler(self.fs))

    def __repr__(self) -> str:
        return f"Store({self.uri!r})"

    def join(self, *parts: str) -> str:
        return "/".join([self.root, *parts])

    def relative(self, path: str) -> str:
        return path[len(self.root) + 1 :] if path.startswith(self.root + "/") else path

    def files(self, pattern: str) -> list[str]:
        """Committed files matching ``pattern`` (relative to the root), sorted; temp files never match."""
        return sorted(p for p in self.fs.glob(self.join(pattern)) if TEMP_MARK not in p.rsplit("/", 1)[-1])

    def exists(self, path: str) -> bool:
        return self.fs.exists(path)

    def remove(self, path: str) -> None:
        if self.fs.exists(path):
            self.fs.rm_file(path)

    def makedirs(self, path: str) -> None:
        self.fs.makedirs(path, exist_ok=True)

    def stat(self, path: str) -> tuple[int, float]:
        """(size, modification time) of a file, for change detection."""
        info = self.fs.info(path)
        stamp = info.get("mtime") or info.get("LastModified") or info.get("created") or 0
        return int(info["size"]), float(stamp.timestamp() if hasattr(stamp, "timestamp") else stamp)

    def temp_for(self, final: str) -> str:
        """The hidden temp name a writer of ``final`` uses (per process)."""
        folder, _, name = final.rpartition("/")
        return f"{folder}/.{name}{TEMP_MARK}{os.getpid()}"

    def commit(self, tmp: str, final: str) -> str:
        """Publish a finished temp file under its final name in one step."""
        if self.is_local:
            commit_file(Path(tmp), Path(final))
        else:
            self.fs.mv(tmp, final)
        return final

    def write_bytes(self, final: str, data: bytes) -> str:
        """Write a whole file atomically."""
        self.makedirs(final.rpartition("/")[0])
        tmp = self.temp_for(final)
        with self.fs.open(tmp, "wb") as handle:
            handle.write(data)
        return self.commit(tmp, final)

    def read_bytes(self, path: str) -> bytes:
        with self.fs.open(path, "rb") as handle:
            return handle.read()

    def sweep_leftovers(self) -> list[str]:
        """Delete temp files that crashed runs left behind. Only safe while holding
        the data-dir lock, when no other writer can own them."""
        if not self.fs.exists(self.root):
            return []
        leftovers = [p for p in self.fs.glob(self.join("**")) if TEMP_MARK in p.rsplit("/", 1)[-1]]
        for path in leftovers:
            if self.fs.isfile(path):
                self.fs.rm_file(path)
        return leftovers

    def parquet_metadata(self, path: str) -> dict[bytes, bytes]:
        try:
            return pq.read_schema(path, filesystem=self.arrow_fs).metadata or {}
        except pa.ArrowInvalid as exc:  # Arrow's message does not name the file
            reason = " ".join(str(exc).split())
            raise PipelineError(f"{path} is not a readable Parquet file ({reason}); {CORRUPT_LAKE_FILE_FIX}") from exc

    def for_duckdb(self, path: str) -> str:
        """The name DuckDB reads ``path`` by (after :meth:`attach`)."""
        return path if self.is_local else self.fs.unstrip_protocol(path)

    def attach(self, con) -> None:
        """Let a DuckDB connection read this store's files."""
        if self.is_local:
            return
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        if protocol not in con.list_filesystems():
            con.register_filesystem(self.fs)
