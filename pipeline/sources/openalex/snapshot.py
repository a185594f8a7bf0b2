"""Read an OpenAlex snapshot folder as a list of input files.

Layout (as published by OpenAlex)::

    PATH/data/authors/manifest
    PATH/data/authors/updated_date=2024-06-01/part_000.gz
    PATH/data/works/manifest
    PATH/data/works/updated_date=2024-06-01/part_000.gz
    PATH/data/merged_ids/authors/2024-03-01.csv.gz      (merge_date,id,merge_into_id)

The manifest is authoritative when present: a file it lists that is missing is
an error (a half-synced snapshot must not be loaded silently), and its
``record_count`` is compared with the lines actually read.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pipeline.errors import SnapshotError
from pipeline.sources.base import InputFile, relative_identity
from pipeline.sources.openalex.settings import (
    MERGED_AUTHORS_GLOB,
    PART_GLOB,
    SNAPSHOT_ENTITIES,
    SOURCE_NAME,
)
from pipeline.storage.store import Store

log = logging.getLogger(__name__)


class OpenAlexSnapshot:
    """The files of an OpenAlex snapshot rooted at ``root``."""

    name = SOURCE_NAME

    def __init__(self, root: Path, entities: tuple[str, ...] = SNAPSHOT_ENTITIES) -> None:
        self.root = Path(root)
        self.entities = entities

    def __repr__(self) -> str:
        return f"OpenAlexSnapshot({str(self.root)!r})"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def files(self) -> list[InputFile]:
        """All input files, authors first, then works, then merged ids."""
        if not self.data_dir.is_dir():
            raise SnapshotError(
                f"{self.root} is not an OpenAlex snapshot: {self.data_dir} does not exist "
                "(point openalex-snapshot:PATH at the folder that holds data/)"
            )
        files: list[InputFile] = []
        for entity in self.entities:
            files.extend(self._entity_files(entity))
        for path in _listing(self.data_dir, MERGED_AUTHORS_GLOB):
            files.append(self._input(path, "merged_authors", has_header=True))
        if not files:
            raise SnapshotError(
                f"{self.root} holds no snapshot files under data/authors, data/works or data/merged_ids"
            )
        return files

    def _input(self, path: Path, entity: str, expected: int | None = None, has_header: bool = False) -> InputFile:
        return InputFile(
            source=self.name,
            entity=entity,
            path=path,
            identity=relative_identity(path, self.root),
            expected_records=expected,
            has_header=has_header,
        )

    def _entity_files(self, entity: str) -> list[InputFile]:
        entity_dir = self.data_dir / entity
        if not entity_dir.is_dir():
            return []
        manifest = entity_dir / "manifest"
        on_disk = _listing(entity_dir, PART_GLOB)
        if not manifest.exists():
            return [self._input(p, entity) for p in on_disk]

        listed = _read_manifest(manifest, entity_dir)
        missing = [p for p, _ in listed if not p.exists()]
        if missing:
            shown = ", ".join(p.relative_to(self.root).as_posix() for p in missing[:3])
            raise SnapshotError(
                f"{manifest.relative_to(self.root).as_posix()} lists {len(missing)} file(s) that are missing "
                f"({shown}); re-sync the snapshot before loading it"
            )
        unlisted = sorted(set(on_disk) - {p for p, _ in listed})
        for path in unlisted:
            log.warning("ignoring %s: not listed in %s", path, manifest)
        return [self._input(p, entity, expected) for p, expected in listed]


def _listing(folder: Path, pattern: str) -> list[Path]:
    return [Path(p) for p in Store(folder.resolve()).files(pattern)]


def _read_manifest(manifest: Path, entity_dir: Path) -> list[tuple[Path, int | None]]:
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
        entries = document["entries"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"{manifest} is not a valid OpenAlex manifest: {exc}") from exc
    listed = []
    for entry in entries:
        url = str(entry.get("url", ""))
        # s3://openalex/data/works/updated_date=2024-01-01/part_000.gz -> updated_date=.../part_000.gz
        marker = f"/{entity_dir.name}/"
        if marker not in url:
            raise SnapshotError(f"{manifest}: entry {url!r} is not under data/{entity_dir.name}/")
        relative = url.split(marker, 1)[1]
        listed.append((entity_dir / relative, (entry.get("meta") or {}).get("record_count")))
    return listed
