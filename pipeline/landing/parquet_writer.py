"""Atomic, streaming Parquet writes: rows go to a hidden temp file in the target
folder, and only :meth:`StagedParquet.commit` renames it into place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.storage.atomic import commit_file, discard_file, temp_path_for


class StagedParquet:
    """A Parquet file being written; invisible to readers until committed."""

    def __init__(
        self, final_path: Path, schema: pa.Schema, batch_rows: int = 5_000, metadata: dict[bytes, bytes] | None = None
    ) -> None:
        self.final_path = Path(final_path)
        self.tmp_path = temp_path_for(self.final_path)
        if metadata:
            schema = schema.with_metadata({**(schema.metadata or {}), **metadata})
        self.schema = schema
        self.batch_rows = batch_rows
        self._buffer: list[dict[str, Any]] = []
        self.final_path.parent.mkdir(parents=True, exist_ok=True)
        self._writer: pq.ParquetWriter | None = pq.ParquetWriter(self.tmp_path, schema, compression="zstd")

    def append(self, row: dict[str, Any]) -> None:
        self._buffer.append(row)
        if len(self._buffer) >= self.batch_rows:
            self._flush()

    def _flush(self) -> None:
        if self._buffer and self._writer is not None:
            self._writer.write_table(pa.Table.from_pylist(self._buffer, schema=self.schema))
            self._buffer.clear()

    def close(self) -> None:
        """Finish the temp file (still not visible)."""
        if self._writer is not None:
            self._flush()
            self._writer.close()
            self._writer = None

    def commit(self) -> Path:
        """Rename the finished temp file over the final path (atomic on POSIX)."""
        self.close()
        return commit_file(self.tmp_path, self.final_path)

    def abort(self) -> None:
        """Drop the temp file; the final path is untouched."""
        try:
            if self._writer is not None:
                self._writer.close()
        finally:
            self._writer = None
            self.tmp_path.unlink(missing_ok=True)


def write_table_atomically(table: pa.Table, final_path: Path) -> Path:
    """Write a whole in-memory table with the same temp-then-rename guarantee."""
    final_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(final_path)
    try:
        pq.write_table(table, tmp, compression="zstd")
        return commit_file(tmp, final_path)
    except BaseException:
        discard_file(tmp)
        raise
