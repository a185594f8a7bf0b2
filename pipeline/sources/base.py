"""What every source hands to landing: input files that yield numbered records."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path


@dataclass(frozen=True)
class InputFile:
    """One input file of one entity, read as a stream of ``(line_number, bytes)``."""

    source: str
    entity: str
    path: Path
    expected_records: int | None = None  # from the snapshot manifest, when there is one
    has_header: bool = False  # CSV: line 1 is a header, not a record

    @cached_property
    def location(self) -> str:
        """The file's absolute path: what quarantine rows show as ``location:line``,
        so an operator can open the exact file and line."""
        return self.path.resolve().as_posix()

    @property
    def key(self) -> str:
        """Identity of this input's place (source, entity, file): a new version of
        the same file replaces the earlier landing of it."""
        digest = hashlib.sha1(f"{self.source}|{self.entity}|{self.location}".encode())
        return digest.hexdigest()[:16]

    @property
    def version(self) -> str:
        """Which version of the file this is (size and modification time): landing
        the same version twice is a no-op; any edit makes a new version."""
        stat = self.path.stat()
        return f"{stat.st_size}:{stat.st_mtime_ns}"

    def records(self) -> Iterator[tuple[int, bytes]]:
        """Yield ``(line_number, raw bytes)`` for every record line, streaming.

        Bytes, not text: pydantic parses JSON bytes directly, so decoding every
        line first would be wasted work; only rejected lines are decoded.
        """
        opener = gzip.open if self.path.suffix == ".gz" else open
        with opener(self.path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if number == 1 and self.has_header:
                    continue
                # Iteration never yields the file's final newline as an extra line,
                # so a blank line here is a real (bad) record and goes to quarantine.
                yield number, line.rstrip(b"\r\n")
