"""Land input files: validate every record, stream valid rows to Parquet and
rejects to quarantine, gate the batch, then publish it atomically.

Counting rule, checked for every file: ``valid + quarantined == records read``.
Re-landing an input that is already in the lake is a no-op; a new version of
an input (a corrected file) replaces its earlier landing. Large batches are
staged by several worker processes, one input file each.
"""

from __future__ import annotations

import logging
import multiprocessing
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.config import Settings
from pipeline.errors import QualityGateError, SnapshotError
from pipeline.landing.lake import VERSION_KEY, current_landing, quarantine_path, records_path, superseded
from pipeline.landing.parquet_writer import StagedParquet
from pipeline.landing.records import ENTITIES, RecordError
from pipeline.schemas.lake import QuarantineRow
from pipeline.schemas.types import arrow_schema
from pipeline.sources.base import InputFile
from pipeline.storage.atomic import commit_file, discard_file

log = logging.getLogger(__name__)


@dataclass
class FileReport:
    """What happened to one input file."""

    source: str
    entity: str
    location: str
    records: int = 0
    valid: int = 0
    quarantined: int = 0
    expected_records: int | None = None
    skipped: bool = False  # landed by an earlier run
    records_path: Path | None = None
    quarantine_path: Path | None = None
    staged_path: Path | None = None  # the unpublished records file, while the gate runs

    @property
    def count_mismatch(self) -> bool:
        """The manifest promised a different number of records than were read."""
        return not self.skipped and self.expected_records is not None and self.expected_records != self.records


@dataclass
class LandingReport:
    ingest_date: date
    files: list[FileReport] = field(default_factory=list)

    def total(self, attribute: str, entity: str | None = None) -> int:
        return sum(getattr(f, attribute) for f in self.files if entity is None or f.entity == entity)


@dataclass
class _Staged:
    """A finished but unpublished landing of one input file (plain paths, so it
    can come back from a worker process)."""

    item: InputFile
    report: FileReport
    quarantine_tmp: Path | None

    def publish(self, lake_dir: Path, quarantine_dir: Path) -> None:
        # Quarantine first: the records file is the "landed" marker, so if we stop
        # between the two renames the input is landed again next time. Earlier
        # landings of the same input (an older version of the file) go last.
        twin = quarantine_dir / self.report.records_path.relative_to(lake_dir)
        twin.unlink(missing_ok=True)
        if self.quarantine_tmp is not None:
            commit_file(self.quarantine_tmp, self.report.quarantine_path)
        commit_file(self.report.staged_path, self.report.records_path)
        for old in superseded(lake_dir, quarantine_dir, self.item, keep=self.report.records_path):
            old.unlink()

    def publish_quarantine(self, lake_dir: Path, quarantine_dir: Path) -> None:
        """Keep the rejects even when the batch is refused: they are facts about the input."""
        if self.quarantine_tmp is not None:
            commit_file(self.quarantine_tmp, self.report.quarantine_path)

    def discard(self) -> None:
        discard_file(self.report.staged_path)
        discard_file(self.quarantine_tmp)


Gate = Callable[[list[FileReport]], None]
Progress = Callable[[int], None]


def land(
    inputs: Iterable[InputFile],
    settings: Settings,
    *,
    ingest_date: date,
    gate: Gate | None = None,
    on_records: Progress | None = None,
) -> LandingReport:
    """Land every input; publish nothing unless all files are written and the gate passes."""
    report = LandingReport(ingest_date=ingest_date)
    todo: list[tuple[int, InputFile]] = []
    seen: set[str] = set()
    for item in inputs:
        if item.key in seen:  # the same file named twice in one run
            continue
        seen.add(item.key)
        earlier = current_landing(settings.lake_dir, item)
        report.files.append(FileReport(item.source, item.entity, item.location, skipped=True, records_path=earlier))
        if earlier is None:
            todo.append((len(report.files) - 1, item))
        else:  # tidy up after an interrupted replacement, if any
            for old in superseded(settings.lake_dir, settings.quarantine_dir, item, keep=earlier):
                old.unlink()

    staged: list[_Staged] = []
    try:
        for index, entry in _stage_all(todo, settings, ingest_date, on_records, staged):
            report.files[index] = entry.report
        if gate is not None:
            try:
                gate([s.report for s in staged])
            except QualityGateError:
                for entry in staged:
                    entry.publish_quarantine(settings.lake_dir, settings.quarantine_dir)
                raise
        for entry in staged:
            entry.publish(settings.lake_dir, settings.quarantine_dir)
    except BaseException:
        for entry in staged:
            entry.discard()
        raise
    return report


def _stage_all(todo, settings: Settings, ingest_date: date, on_records: Progress | None, staged: list[_Staged]):
    """Yield (report index, staged file); every staged file is also appended to
    ``staged`` as soon as it exists, so the caller can discard it on failure."""
    total_bytes = sum(item.path.stat().st_size for _, item in todo)
    workers = min(settings.workers, len(todo))
    if workers <= 1 or total_bytes < settings.parallel_min_bytes:
        for index, item in todo:
            entry = _stage_file(item, settings, ingest_date, on_records)
            staged.append(entry)
            yield index, entry
        return

    # Spawned (not forked) workers: the parent may hold threads (DuckDB, Airflow).
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {
            pool.submit(_stage_file, item, settings, ingest_date, None): index
            for index, item in sorted(todo, key=lambda t: -t[1].path.stat().st_size)
        }
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            failed = None
            for future in done:
                if future.exception() is not None:
                    failed = failed or future.exception()
                    continue
                entry = future.result()
                staged.append(entry)
                if on_records is not None:
                    on_records(entry.report.records)
                yield futures[future], entry
            if failed is not None:
                for future in pending:
                    future.cancel()
                for future in wait(pending).done:  # let running workers finish so nothing leaks
                    if not future.cancelled() and future.exception() is None:
                        staged.append(future.result())
                raise failed


def _read(item: InputFile, report: FileReport):
    """The input's records; a read failure (truncated or corrupt file) stops the
    batch with the file's name, while write failures keep their own message."""
    records = item.records()
    while True:
        try:
            yield next(records)
        except StopIteration:
            return
        except (OSError, EOFError, zlib.error) as exc:
            raise SnapshotError(
                f"{item.location}: cannot read past record {report.records} ({exc}); re-download it"
            ) from exc


def _stage_file(item: InputFile, settings: Settings, ingest_date: date, on_records: Progress | None) -> _Staged:
    spec = ENTITIES[item.entity]
    report = FileReport(item.source, item.entity, item.location, expected_records=item.expected_records)
    records = StagedParquet(
        records_path(settings.lake_dir, item, ingest_date),
        arrow_schema(spec.row_model),
        settings.batch_rows,
        metadata={VERSION_KEY: item.version.encode()},
    )
    quarantine: StagedParquet | None = None
    q_path = quarantine_path(settings.quarantine_dir, item, ingest_date)
    parse, source = spec.parse, item.source
    try:
        pending = 0
        for line_number, raw in _read(item, report):
            report.records += 1
            location = f"{report.location}:{line_number}"  # resolved once, not per record
            try:
                row = parse(raw, source, location)
            except RecordError as exc:
                if quarantine is None:
                    quarantine = StagedParquet(q_path, arrow_schema(QuarantineRow), settings.batch_rows)
                text = raw.decode("utf-8", errors="backslashreplace")
                quarantine.append(
                    {"source": source, "entity": item.entity, "location": location, "raw": text, "error": str(exc)}
                )
                report.quarantined += 1
            else:
                records.append(row)
                report.valid += 1
            pending += 1
            if on_records is not None and pending >= 1_000:
                on_records(pending)
                pending = 0
        if on_records is not None and pending:
            on_records(pending)
        records.close()
        if quarantine is not None:
            quarantine.close()
    except BaseException:
        records.abort()
        if quarantine is not None:
            quarantine.abort()
        raise
    # The counting rule is an invariant, not a hope: fail loudly if it ever breaks.
    if report.valid + report.quarantined != report.records:
        raise AssertionError(f"counting rule broken for {item.location}: {report}")
    if report.count_mismatch:
        log.warning("%s: manifest says %s records, read %s", item.location, report.expected_records, report.records)
    report.records_path = records.final_path
    report.staged_path = records.tmp_path
    report.quarantine_path = q_path if quarantine is not None else None
    return _Staged(item, report, quarantine.tmp_path if quarantine is not None else None)
