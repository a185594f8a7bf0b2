"""Land input files: validate every record, stream valid rows to Parquet and
rejects to quarantine, gate the batch, then publish it atomically.

Counting rule, checked for every file: ``valid + quarantined == records read``.
Re-landing an input that is already in the lake is a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipeline.config import Settings
from pipeline.landing.lake import landed_before, quarantine_path, records_path, stale_quarantine
from pipeline.landing.parquet_writer import StagedParquet
from pipeline.landing.records import ENTITIES, RecordError
from pipeline.sources.base import InputFile
from schemas.lake import QuarantineRow
from schemas.types import arrow_schema

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
    item: InputFile
    fingerprint: str
    report: FileReport
    records: StagedParquet
    quarantine: StagedParquet | None


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
    staged: list[_Staged] = []
    try:
        for item in inputs:
            fingerprint = item.fingerprint
            earlier = landed_before(settings.lake_dir, item, fingerprint)
            if earlier is not None:
                report.files.append(
                    FileReport(item.source, item.entity, item.location, skipped=True, records_path=earlier)
                )
                continue
            entry = _stage_file(item, fingerprint, settings, ingest_date, on_records)
            staged.append(entry)
            report.files.append(entry.report)
        if gate is not None:
            gate([s.report for s in staged])
        for entry in staged:
            _publish(entry, settings.quarantine_dir)
    except BaseException:
        for entry in staged:
            entry.records.abort()
            if entry.quarantine is not None:
                entry.quarantine.abort()
        raise
    return report


def _stage_file(
    item: InputFile, fingerprint: str, settings: Settings, ingest_date: date, on_records: Progress | None
) -> _Staged:
    spec = ENTITIES[item.entity]
    report = FileReport(item.source, item.entity, item.location, expected_records=item.expected_records)
    records = StagedParquet(
        records_path(settings.lake_dir, item, ingest_date, fingerprint), arrow_schema(spec.row_model), settings.batch_rows
    )
    quarantine: StagedParquet | None = None
    q_path = quarantine_path(settings.quarantine_dir, item, ingest_date, fingerprint)
    try:
        pending = 0
        for line_number, text in item.records():
            report.records += 1
            location = f"{item.location}:{line_number}"
            try:
                row = spec.parse(text, item.source, location)
            except RecordError as exc:
                if quarantine is None:
                    quarantine = StagedParquet(q_path, arrow_schema(QuarantineRow), settings.batch_rows)
                quarantine.append(
                    {"source": item.source, "entity": item.entity, "location": location, "raw": text, "error": str(exc)}
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
    assert report.valid + report.quarantined == report.records, report
    if report.count_mismatch:
        log.warning(
            "%s: manifest says %s records, read %s", item.location, report.expected_records, report.records
        )
    report.records_path = records.final_path
    report.staged_path = records.tmp_path
    report.quarantine_path = q_path if quarantine is not None else None
    return _Staged(item, fingerprint, report, records, quarantine)


def _publish(entry: _Staged, quarantine_dir: Path) -> None:
    # Quarantine first: the records file is the "landed" marker, so if we stop
    # between the two renames the input is landed again next time, and the
    # stale quarantine file of the same input is replaced, never doubled.
    for stale in stale_quarantine(quarantine_dir, entry.item, entry.fingerprint):
        stale.unlink()
    if entry.quarantine is not None:
        entry.quarantine.commit()
    entry.records.commit()
