"""The two gates: a landed batch before it is published to the lake, and the
built warehouse before it replaces the published one."""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipeline.config import Settings
from pipeline.errors import QualityGateError
from pipeline.landing.land import FileReport
from pipeline.quality.suites import SuiteResult, contract_expectations, validate_frame
from pipeline.schemas.platform import EventType
from pipeline.storage.atomic import write_text_atomically
from pipeline.warehouse.models import Contract, models

# What every landed batch of an entity must satisfy, beyond per-record validation.
LANDED_CONTRACTS: dict[str, Contract] = {
    "works": Contract(
        table="works",
        grain="one row per work record",
        not_null=["work_id", "cited_by_count", "location"],
        patterns={"work_id": r"^W\d+$"},
        ranges={"cited_by_count": {"min": 0}, "publication_year": {"min": 1000, "max": 2100}},
        unique=[["location"]],
    ),
    "authors": Contract(
        table="authors",
        grain="one row per author record",
        not_null=["author_id", "location"],
        patterns={"author_id": r"^A\d+$"},
        unique=[["location"]],
    ),
    "merged_authors": Contract(
        table="merged_authors",
        grain="one row per merge",
        not_null=["merged_id", "merge_into_id"],
        patterns={"merged_id": r"^A\d+$", "merge_into_id": r"^A\d+$"},
    ),
    "events": Contract(
        table="events",
        grain="one row per event delivery",
        not_null=["event_id", "type", "author_id", "occurred_at"],
        accepted_values={"type": list(typing.get_args(EventType))},
    ),
}


def landing_gate(settings: Settings):
    """A gate for :func:`pipeline.landing.land.land`: quarantine ratio, then GX suites."""

    def gate(files: list[FileReport]) -> None:
        results: list[SuiteResult] = []
        for report in files:
            name = f"{report.entity}: {report.location}"
            if report.records and report.quarantined / report.records > settings.max_quarantine_ratio:
                results.append(
                    SuiteResult(
                        f"{name} (quarantine ratio)",
                        False,
                        [
                            f"{report.quarantined} of {report.records} records quarantined "
                            f"(limit {settings.max_quarantine_ratio:.0%})"
                        ],
                    )
                )
            if report.staged_path is None or report.valid == 0:
                continue
            contract = LANDED_CONTRACTS[report.entity]
            # Nested lists (authorships, topics) were checked by pydantic per record; read
            # only the columns this suite looks at.
            frame = pq.read_table(report.staged_path, columns=contract_columns(contract)).to_pandas()
            result = validate_frame(name, frame, contract_expectations(contract))
            results.append(result)
        write_quality_report(settings, "landing", results)
        failed = [r for r in results if not r.success]
        if failed:
            raise QualityGateError(
                f"landing gate failed, nothing added to the lake: {_summary(failed)}; "
                f"rejected records are kept in {settings.quarantine_dir} (`pipeline quarantine` lists them)"
            )

    return gate


def _summary(failed: list[SuiteResult]) -> str:
    return " | ".join(f"{r.name}: {'; '.join(r.failures[:2])}" for r in failed[:5])


def write_quality_report(settings: Settings, kind: str, results: list[SuiteResult]) -> Path:
    """``DIR/reports/quality-<kind>-latest.json``: every suite, passed or not, for operators."""
    document = {
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "success": all(r.success for r in results),
        "suites": [asdict(r) for r in results],
    }
    path = settings.data_dir / "reports" / f"quality-{kind}-latest.json"
    return write_text_atomically(path, json.dumps(document, indent=2))


def check_tables(db_path: Path, chunk_rows: int = 1_000_000) -> list[SuiteResult]:
    """Validate every mart with a contract: GX suites plus SQL relation checks.

    A table of up to ``chunk_rows`` rows is validated by GX in one frame. A larger
    one is streamed through GX ``chunk_rows`` at a time (memory stays bounded);
    since uniqueness cannot be judged chunk by chunk, its keys are then checked in SQL.
    """
    results = []
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        for model in models():
            contract = model.contract
            if contract is None:
                continue
            # Only the columns the contract names: GX runs on pandas, and wide text
            # columns (abstracts) would dominate the conversion for nothing.
            query = f"select {', '.join(repr_columns(contract_columns(contract)))} from {contract.table}"
            rows = con.execute(f"select count(*) from {contract.table}").fetchall()[0][0]
            if rows <= chunk_rows:
                result = validate_frame(contract.table, con.execute(query).df(), contract_expectations(contract))
                failures = list(result.failures)
            else:
                per_chunk = contract_expectations(dataclasses.replace(contract, unique=[]))
                failures = []
                for batch in con.sql(query).to_arrow_reader(chunk_rows):
                    chunk = validate_frame(contract.table, batch.to_pandas(), per_chunk)
                    failures += [f for f in chunk.failures if f not in failures]
                failures += _duplicate_failures(con, contract)
            failures += _relation_failures(con, contract)
            results.append(SuiteResult(contract.table, not failures, failures))
    finally:
        con.close()
    return results


def repr_columns(columns: list[str]) -> list[str]:
    return [f'"{c}"' for c in columns]


def _duplicate_failures(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[str]:
    failures = []
    for key in contract.unique:
        columns = ", ".join(repr_columns(key))
        duplicated = con.execute(
            f"select count(*) from (select {columns} from {contract.table} group by all having count(*) > 1)"
        ).fetchall()[0][0]
        if duplicated:
            failures.append(f"{duplicated} values of ({', '.join(key)}) are not unique in {contract.table}")
    return failures


def contract_columns(contract: Contract) -> list[str]:
    """Every column a contract's expectations look at, in first-mention order."""
    named = [c for key in contract.unique for c in key] + contract.not_null + list(contract.patterns)
    named += list(contract.accepted_values) + list(contract.ranges) + contract.ordered_pairs
    return list(dict.fromkeys(named))


def _relation_failures(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[str]:
    failures = []
    for column, target in contract.relations.items():
        table, target_column = target.split(".")
        orphans = con.execute(
            f"select count(*) from {contract.table} t where t.{column} is not null and not exists "
            f"(select 1 from {table} o where o.{target_column} = t.{column})"
        ).fetchall()[0][0]
        if orphans:
            failures.append(f"{orphans} {contract.table}.{column} values missing from {target}")
    return failures


def warehouse_gate(settings: Settings):
    """A gate for :func:`pipeline.warehouse.build.build_warehouse`."""

    def gate(db_path: Path) -> None:
        results = check_tables(db_path, chunk_rows=settings.gate_chunk_rows)
        write_quality_report(settings, "warehouse", results)
        failed = [r for r in results if not r.success]
        if failed:
            raise QualityGateError(f"warehouse gate failed, previous warehouse kept: {_summary(failed)}")

    return gate
