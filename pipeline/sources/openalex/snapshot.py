"""Read an OpenAlex snapshot folder as a list of input files.

Layout (as published by OpenAlex)::

    PATH/data/authors/manifest
    PATH/data/authors/updated_date=2024-06-01/part_000.gz
    PATH/data/works/manifest
    PATH/data/works/updated_date=2024-06-01/part_000.gz
    PATH/data/merged_ids/authors/2024-03-01.csv.gz      (merge_date,id,merge_into_id)

Since 2026 OpenAlex publishes each format under its own prefix, with one combined
manifest per format, and keeps the layout above (with ``merged_ids``) under
``legacy-data/``::

    PATH/data/jsonl/manifest.json                                (every entity)
    PATH/data/jsonl/works/updated_date=2026-06-24/part_0000.gz   (up to 400k records)
    PATH/data/parquet/manifest.json                              (the same data as Parquet)
    PATH/data/parquet/works/updated_date=2026-06-24/part_0000.parquet
    PATH/legacy-data/works/manifest, PATH/legacy-data/merged_ids/authors/*.csv.gz

The layout is detected (:attr:`OpenAlexSnapshot.layout` says which was found, and it is
logged): the JSON Lines of ``data/jsonl/`` are read when present, then the Parquet variant
of ``data/parquet/`` (read as typed rows, never through JSON text: see
:mod:`pipeline.sources.openalex.parquet_parts` for the schema it assumes and what it
tolerates), then the old layout under ``data/`` or ``legacy-data/``. Both 2026 variants
take the merged ids from ``legacy-data/merged_ids/``.

The manifest is authoritative when present: a file it lists that is missing is
an error (a half-synced snapshot must not be loaded silently), and its
``record_count`` is compared with the lines (Parquet: rows) actually read.
"""

from __future__ import annotations

import json
import logging
from functools import cached_property
from pathlib import Path

from pipeline.errors import SnapshotError
from pipeline.sources.base import InputFile, relative_identity
from pipeline.sources.openalex.parquet_parts import ParquetPart
from pipeline.sources.openalex.settings import (
    MERGED_AUTHORS_GLOB,
    PARQUET_PART_GLOB,
    PART_GLOB,
    SNAPSHOT_ENTITIES,
    SOURCE_NAME,
)
from pipeline.storage.store import Store

log = logging.getLogger(__name__)

LAYOUT_2026 = "2026 (data/jsonl)"
LAYOUT_2026_PARQUET = "2026 (data/parquet)"
LAYOUT_LEGACY = "legacy (data/<entity>)"
LAYOUT_LEGACY_DATA = "legacy (legacy-data/<entity>)"
# The 2026 layouts: one combined manifest.json per format, merged ids kept under legacy-data/.
_COMBINED = (LAYOUT_2026, LAYOUT_2026_PARQUET)


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
        """The folder that holds the entity folders of the layout found."""
        return {
            LAYOUT_2026: self.root / "data" / "jsonl",
            LAYOUT_2026_PARQUET: self.root / "data" / "parquet",
            LAYOUT_LEGACY_DATA: self.root / "legacy-data",
        }.get(self.layout, self.root / "data")

    @cached_property
    def layout(self) -> str:
        """Which snapshot layout is under ``root``: :data:`LAYOUT_2026` (``data/jsonl/``, read first),
        :data:`LAYOUT_2026_PARQUET` (``data/parquet/``, when there is no ``data/jsonl/``),
        :data:`LAYOUT_LEGACY` (``data/<entity>/``) or :data:`LAYOUT_LEGACY_DATA` (``legacy-data/<entity>/``)."""
        data, legacy = self.root / "data", self.root / "legacy-data"
        if (data / "jsonl").is_dir():
            return LAYOUT_2026
        if (data / "parquet").is_dir():
            return LAYOUT_2026_PARQUET
        if data.is_dir():
            return LAYOUT_LEGACY
        if legacy.is_dir():
            return LAYOUT_LEGACY_DATA
        raise SnapshotError(
            f"{self.root} is not an OpenAlex snapshot: {data} does not exist "
            "(point openalex-snapshot:PATH at the folder that holds data/)"
        )

    def files(self) -> list[InputFile]:
        """All input files, authors first, then works, then merged ids."""
        layout = self.layout
        log.info("%s: %s snapshot layout (%s)", self.root, layout, self.data_dir.relative_to(self.root).as_posix())
        files: list[InputFile] = []
        for entity in self.entities:
            files.extend(self._entity_files(entity))
        merged_dirs = [self.data_dir, *([self.root / "legacy-data"] if layout in _COMBINED else [])]
        merged = next((found for d in merged_dirs if (found := _listing(d, MERGED_AUTHORS_GLOB))), [])
        for path in merged:
            files.append(self._input(path, "merged_authors", has_header=True))
        if not files:
            where = self.data_dir.relative_to(self.root).as_posix()
            raise SnapshotError(f"{self.root} holds no snapshot files under {where}/authors, works or merged_ids")
        return files

    def _input(self, path: Path, entity: str, expected: int | None = None, has_header: bool = False) -> InputFile:
        kind = ParquetPart if path.suffix == ".parquet" else InputFile
        return kind(
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
        combined = self.layout in _COMBINED
        manifest = self.data_dir / "manifest.json" if combined else entity_dir / "manifest"
        on_disk = _listing(entity_dir, PARQUET_PART_GLOB if self.layout == LAYOUT_2026_PARQUET else PART_GLOB)
        if not manifest.exists():
            return [self._input(p, entity) for p in on_disk]

        listed = _read_combined_manifest(manifest, entity_dir) if combined else _read_manifest(manifest, entity_dir)
        missing = [p for p, _ in listed if not p.exists()]
        if missing:
            shown = ", ".join(p.relative_to(self.root).as_posix() for p in missing[:3])
            raise SnapshotError(
                f"{manifest.relative_to(self.root).as_posix()} lists {len(missing)} file(s) that are missing "
                f"({shown}); re-sync the snapshot before loading it"
            )
        unlisted = sorted(set(on_disk) - {p.resolve() for p, _ in listed})  # on_disk is resolved
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


def _read_combined_manifest(manifest: Path, entity_dir: Path) -> list[tuple[Path, int | None]]:
    """The files of one entity in a format's combined ``manifest.json``: every object in it with a
    ``url`` under ``<format>/<entity>/`` (its ``meta.record_count`` or ``record_count``, when given)."""
    try:
        document = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SnapshotError(f"{manifest} is not a valid OpenAlex manifest: {exc}") from exc
    marker = f"/{entity_dir.parent.name}/{entity_dir.name}/"
    listed, stack = [], [document]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            url = item.get("url")
            if isinstance(url, str) and marker in f"/{url.lstrip('/')}":
                count = (item.get("meta") or {}).get("record_count", item.get("record_count"))
                listed.append((entity_dir / f"/{url.lstrip('/')}".split(marker, 1)[1], count))
            else:
                stack.extend(reversed(list(item.values())))
    return listed
