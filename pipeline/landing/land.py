"""Land input files: validate every record, stream valid rows to Parquet and
rejects to quarantine, gate the batch, then publish it atomically.

Counting rule, checked for every file: ``valid + quarantined == records read``.
Re-landing an input that is already in the lake is a no-op; a new version of
an input (a corrected file) replaces its earlier landing. Large batches are
staged by several worker processes, one input file each.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date

from pipeline.catalog import CATALOG
from pipeline.config import Settings
from pipeline.errors import QualityGateError, SnapshotError
from pipeline.landing.parsers import RecordError
from pipeline.schemas.lake import QuarantineRow
from pipeline.schemas.types import arrow_schema
from pipeline.sources.base import READ_ERRORS, InputFile
from pipeline.storage.lake import VERSION_KEY, current_landing, part_path, superseded, twin
from pipeline.storage.layout import DataLayout
from pipeline.storage.parquet import StagedParquet

log = logging.getLogger(__name__)


@dataclass
class FileReport:
    """What happened to one input file."""

    source: str
    entity: str
    source_file: str
    records: int = 0
    valid: int = 0
    quarantined: int = 0
    expected_records: int | None = None
    skipped: bool = False  # landed by an earlier run
    records_path: str | None = None
    quarantine_path: str | None = None
    staged_path: str | None = None  # the unpublished records file, while the gate runs

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

    @property
    def no_op(self) -> bool:
        """Every input was already in the lake: nothing was landed."""
        return all(f.skipped for f in self.files)


@dataclass
class _Staged:
    """A finished but unpublished landing of one input file (plain values, so it
    can come back from a worker process)."""

    item: InputFile
    report: FileReport
    quarantine_tmp: str | None

    def publish(self, layout: DataLayout) -> None:
        # Quarantine first: the records file is the "landed" marker, so if we stop
        # between the two commits the input is landed again next time. Earlier
        # landings of the same input (an older version of the file) go last.
        lake, quarantine = layout.lake, layout.quarantine
        quarantine.remove(twin(lake, quarantine, self.report.records_path))
        self.publish_quarantine(layout)
        lake.commit(self.report.staged_path, self.report.records_path)
        for store, old in superseded(lake, quarantine, self.item, keep=self.report.records_path):
            store.remove(old)

    def publish_quarantine(self, layout: DataLayout) -> None:
        """Keep the rejects even when the batch is refused: they are facts about the input."""
        if self.quarantine_tmp is not None:
            layout.quarantine.commit(self.quarantine_tmp, self.report.quarantine_path)

    def discard(self, layout: DataLayout) -> None:
        if self.report.staged_path is not None:
            layout.lake.remove(self.report.staged_path)
        if self.quarantine_tmp is not None:
            layout.quarantine.remove(self.quarantine_tmp)


Gate = Callable[[list[FileReport]], None]
Progress = Callable[[int], None]
# The commit step's guard: a context manager (the lake's cross-host lock) whose value, if any, has check().
CommitGuard = Callable[[], AbstractContextManager]


def land(
    inputs: Iterable[InputFile],
    settings: Settings,
    *,
    ingest_date: date,
    gate: Gate | None = None,
    on_records: Progress | None = None,
    commit_guard: CommitGuard | None = None,
) -> LandingReport:
    """Land every input; publish nothing unless all files are written and the gate passes.

    With ``commit_guard`` (a lake shared by several hosts) the files are staged without it, and only the
    commit step runs under it: each input is checked again there, and one that another run landed in
    the meantime is dropped from this run (reported as skipped) instead of committed twice."""
    layout = DataLayout.of(settings)
    report = LandingReport(ingest_date=ingest_date)
    todo: list[tuple[int, InputFile]] = []
    tidy: list[tuple[InputFile, str]] = []
    seen: set[str] = set()
    for item in inputs:
        if item.key in seen:  # the same file named twice in one run
            continue
        seen.add(item.key)
        CATALOG.get(item.source, item.entity)  # an undeclared table fails before anything is written
        earlier = current_landing(layout.lake, item)
        report.files.append(FileReport(item.source, item.entity, item.source_file, skipped=True, records_path=earlier))
        if earlier is None:
            todo.append((len(report.files) - 1, item))
        elif commit_guard is None:  # tidy up after an interrupted replacement, if any
            for store, old in superseded(layout.lake, layout.quarantine, item, keep=earlier):
                store.remove(old)
        else:  # a shared lake: deletes happen only in the guarded commit step
            tidy.append((item, earlier))

    staged: list[_Staged] = []
    try:
        for index, entry in _stage_all(todo, settings, ingest_date, on_records, staged):
            report.files[index] = entry.report
        if gate is not None and staged:
            try:
                gate([s.report for s in staged])
            except QualityGateError:
                with (commit_guard or nullcontext)():
                    for entry in staged:
                        entry.publish_quarantine(layout)
                raise
        if commit_guard is None:
            for entry in staged:
                entry.publish(layout)
        elif staged or tidy:  # nothing to commit, no lock to wait for
            with commit_guard() as guard:
                _publish_guarded(staged, layout, report, guard)
                for item, earlier in tidy:
                    for store, old in superseded(layout.lake, layout.quarantine, item, keep=earlier):
                        store.remove(old)
    except BaseException:
        for entry in staged:
            entry.discard(layout)
        raise
    return report


def _publish_guarded(staged: list[_Staged], layout: DataLayout, report: LandingReport, guard) -> None:
    """The commit step under the lake's shared lock: skip inputs landed meanwhile by another run."""
    for entry in staged:
        if guard is not None:
            guard.check()
        earlier = current_landing(layout.lake, entry.item)
        if earlier is not None:
            log.info("%s was landed by another run meanwhile; dropping this run's copy", entry.item.source_file)
            entry.discard(layout)
            index = next(i for i, f in enumerate(report.files) if f is entry.report)
            report.files[index] = FileReport(
                entry.item.source, entry.item.entity, entry.item.source_file, skipped=True, records_path=earlier
            )
            continue
        entry.publish(layout)


def _stage_all(todo, settings: Settings, ingest_date: date, on_records: Progress | None, staged: list[_Staged]):
    """Yield (report index, staged file); every staged file is also appended to
    ``staged`` as soon as it exists, so the caller can discard it on failure."""
    total_bytes = sum(item.size for _, item in todo)
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
            for index, item in sorted(todo, key=lambda t: -t[1].size)
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
        except READ_ERRORS as exc:
            raise SnapshotError(
                f"{item.source_file}: cannot read past record {report.records} ({exc}); re-download it"
            ) from exc


@contextmanager
def _collect_per_batch() -> Iterator[None]:
    """No automatic garbage collection while a file is staged; the loop collects the young
    generations itself once per Parquet batch (:func:`gc.collect` ``(1)``, right after a flush).

    The rows buffered for the next row group (~30 containers each, thousands of them) are what the
    automatic collections spend their time on: they traverse them again and again as they age, and
    a full collection every few thousand records traverses every object of the process. None of it
    finds anything: a landed record makes no reference cycle (a reject, a handful at most), so once
    per batch bounds whatever a cycle could hold. About a tenth of the landing's CPU."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _stage_file(item: InputFile, settings: Settings, ingest_date: date, on_records: Progress | None) -> _Staged:
    with _collect_per_batch():
        return _stage_file_body(item, settings, ingest_date, on_records)


def _stage_file_body(item: InputFile, settings: Settings, ingest_date: date, on_records: Progress | None) -> _Staged:
    table = CATALOG.get(item.source, item.entity)
    layout = DataLayout.of(settings)
    report = FileReport(item.source, item.entity, item.source_file, expected_records=item.expected_records)
    records = StagedParquet(
        layout.lake,
        part_path(layout.lake, item, ingest_date),
        arrow_schema(table.row_model),
        settings.batch_rows,
        metadata={VERSION_KEY: item.version.encode()},
    )
    quarantine: StagedParquet | None = None
    q_path = part_path(layout.quarantine, item, ingest_date)
    # An input that reads typed rows (a Parquet part) brings its own parser for them; lines take the table's.
    parse = item.parser(table) if hasattr(item, "parser") else table.parser
    source, source_file = item.source, item.source_file
    batch_rows = settings.batch_rows
    try:
        pending = since_collect = 0
        for line_number, raw in _read(item, report):
            report.records += 1
            try:
                row = parse(raw)
            except RecordError as exc:
                if quarantine is None:
                    quarantine = StagedParquet(
                        layout.quarantine, q_path, arrow_schema(QuarantineRow), settings.batch_rows
                    )
                quarantine.append(
                    {
                        "source": source,
                        "entity": item.entity,
                        "source_file": source_file,
                        "line_number": line_number,
                        "raw": raw.decode("utf-8", errors="backslashreplace") if isinstance(raw, bytes) else str(raw),
                        "error": str(exc),
                    }
                )
                report.quarantined += 1
            else:
                row["record_source"] = source
                row["source_file"] = source_file
                row["line_number"] = line_number
                records.append(row)
                report.valid += 1
                if report.valid % batch_rows == 0:  # the batch was just written: little is alive
                    gc.collect(1)
                    since_collect = 0
            pending += 1
            since_collect += 1
            if since_collect >= 2 * batch_rows:  # a file of rejects (or mostly): collect all the same
                gc.collect(1)
                since_collect = 0
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
        raise AssertionError(f"counting rule broken for {item.source_file}: {report}")
    if report.count_mismatch:
        log.warning("%s: manifest says %s records, read %s", item.source_file, report.expected_records, report.records)
    report.records_path = records.final_path
    report.staged_path = records.tmp_path
    report.quarantine_path = q_path if quarantine is not None else None
    return _Staged(item, report, quarantine.tmp_path if quarantine is not None else None)
