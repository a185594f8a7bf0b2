"""The two gates: a landed batch before it is published to the lake, and the
built warehouse before it replaces the published one."""

from __future__ import annotations

import dataclasses
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from pipeline.catalog import CATALOG
from pipeline.config import Settings
from pipeline.errors import QualityGateError
from pipeline.landing.land import FileReport
from pipeline.quality.suites import SuiteResult, contract_expectations, validate_frame
from pipeline.schemas.contracts import TableContract
from pipeline.storage.layout import DataLayout
from pipeline.storage.reports import write_report
from pipeline.warehouse.models import models


def landing_gate(settings: Settings):
    """A gate for :func:`pipeline.landing.land.land`: quarantine ratio, then GX suites."""
    layout = DataLayout.of(settings)

    def gate(files: list[FileReport]) -> None:
        results: list[SuiteResult] = []
        for report in files:
            name = f"{report.entity}: {report.source_file}"
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
            contract = CATALOG.get(report.source, report.entity).contract()
            # Nested lists (authorships, topics) were checked by pydantic per record; read
            # only the columns this suite looks at.
            frame = pq.read_table(
                report.staged_path, columns=contract.checked_columns(), filesystem=layout.lake.arrow_fs
            ).to_pandas()
            result = validate_frame(name, frame, contract_expectations(contract))
            results.append(result)
        write_quality_report(settings, "landing", results)
        failed = [r for r in results if not r.success]
        if failed:
            raise QualityGateError(
                f"landing gate failed, nothing added to the lake: {_summary(failed)}; "
                f"rejected records are kept in {layout.quarantine_uri} (`pipeline quarantine` lists them)"
            )

    return gate


def _summary(failed: list[SuiteResult]) -> str:
    return " | ".join(f"{r.name}: {'; '.join(r.failures[:2])}" for r in failed[:5])


def write_quality_report(settings: Settings, kind: str, results: list[SuiteResult]) -> Path:
    """``DIR/reports/quality-<kind>-latest.json`` (plus a timestamped copy): every
    suite, passed or not, for operators."""
    document = {
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "success": all(r.success for r in results),
        "suites": [asdict(r) for r in results],
    }
    return write_report(DataLayout.of(settings), f"quality-{kind}", document)


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
            if model.layer != "marts":
                continue
            contract = model.contract
            # Only the columns the contract names: GX runs on pandas, and wide text
            # columns (abstracts) would dominate the conversion for nothing.
            query = f"select {', '.join(repr_columns(contract.checked_columns()))} from {contract.table}"
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


def _duplicate_failures(con: duckdb.DuckDBPyConnection, contract: TableContract) -> list[str]:
    failures = []
    for key in contract.unique:
        columns = ", ".join(repr_columns(key))
        duplicated = con.execute(
            f"select count(*) from (select {columns} from {contract.table} group by all having count(*) > 1)"
        ).fetchall()[0][0]
        if duplicated:
            failures.append(f"{duplicated} values of ({', '.join(key)}) are not unique in {contract.table}")
    return failures


def _relation_failures(con: duckdb.DuckDBPyConnection, contract: TableContract) -> list[str]:
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
