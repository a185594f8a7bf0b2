"""The two gates: a landed batch before it is published to the lake, and the
built warehouse before it replaces the published one.

pydantic checked every record's shape and types while landing. The gates check
what one record cannot show: keys across records, plausible values (a year in
1500..next year for at least 99% of works), formats, references between tables,
and that a build does not silently lose a large share of what was published.
Every rule comes from a contract: a landed table's row model plus its rules in
``warehouse/sources/<entity>.yml``, a warehouse table's ``warehouse/marts/<table>.yml``.
Analysts tune them there, not in code.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from pipeline.catalog import CATALOG, LandedTable
from pipeline.config import Settings
from pipeline.errors import QualityGateError
from pipeline.landing.land import FileReport
from pipeline.quality.suites import (
    ExpectationResult,
    QualityProject,
    SuiteResult,
    contract_expectations,
    gx_module,
)
from pipeline.schemas.contracts import TableContract
from pipeline.sql_text import sql_string
from pipeline.storage.layout import DataLayout
from pipeline.storage.reports import write_report
from pipeline.warehouse.models import models, sql_dir

RELATION_SUFFIX = "__exists_in_"


@dataclass
class GateRun:
    """One run of a gate: every suite's results, and where its Data Docs are."""

    kind: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))
    suites: list[SuiteResult] = field(default_factory=list)
    docs: Path | None = None

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    def summary(self) -> str:
        """One line naming the failing expectations."""
        failed = [s for s in self.suites if not s.success]
        return " | ".join(f"{s.name}: {'; '.join(s.failures[:3])}" for s in failed[:5])


def landing_contract(table: LandedTable) -> TableContract:
    """A landed table's checks: derived from its row model, plus its quality rules."""
    contract = table.contract()
    rules = sql_dir() / "sources" / f"{table.entity}.yml"
    if rules.exists():
        contract = contract.merged(yaml.safe_load(rules.read_text(encoding="utf-8")) or {})
    return contract


def warehouse_contract(contract: TableContract) -> TableContract:
    """A mart's checks: its ``.yml``, with each relation as a derived column GX checks."""
    derived = dict(contract.derived)
    accepted = dict(contract.accepted_values)
    for column, target in contract.relations.items():
        table, target_column = target.split(".")
        name = f"{column}{RELATION_SUFFIX}{table}"
        derived[name] = (
            f't."{column}" is null or exists (select 1 from {table} o where o."{target_column}" = t."{column}")'
        )
        accepted[name] = [True]
    return dataclasses.replace(contract, derived=derived, accepted_values=accepted)


def _query(contract: TableContract, relation: str) -> str:
    """Only the columns the suite looks at (GX runs on pandas, and wide text columns
    would dominate the copy for nothing), plus the derived columns."""
    columns = [f'"{c}"' for c in contract.checked_columns()]
    columns += [f'({expression}) as "{name}"' for name, expression in contract.derived.items()]
    return f"select {', '.join(columns) or '1 as one'} from {relation} as t"


def quality_project(settings: Settings) -> QualityProject:
    layout = DataLayout.of(settings)
    return QualityProject(layout.gx_project_dir, layout.quality_docs_dir)


def landing_gate(settings: Settings, project: QualityProject | None = None):
    """A gate for :func:`pipeline.landing.land.land`: quarantine ratio, then GX suites."""
    layout = DataLayout.of(settings)

    def gate(files: list[FileReport]) -> None:
        run = GateRun("landing")
        quality = project or quality_project(settings)
        con = duckdb.connect()
        try:
            layout.lake.attach(con)
            for report in files:
                name = f"{report.entity}: {report.source_file}"
                if report.records and report.quarantined / report.records > settings.max_quarantine_ratio:
                    run.suites.append(_ratio_failure(name, report, settings.max_quarantine_ratio))
                if report.staged_path is None or report.valid == 0:
                    continue
                contract = landing_contract(CATALOG.get(report.source, report.entity))
                # read_parquet names the staged temp file explicitly: it is not visible in the lake yet
                relation = f"read_parquet({sql_string(layout.lake.for_duckdb(report.staged_path))})"
                suite = f"landing.{report.source}.{report.entity}"
                expectations = contract_expectations(contract, ingest_day(settings))
                query = _query(contract, relation)
                result = quality.validate_sql(name, suite, con, query, expectations)
                if result is None:  # not expressible as SQL: GX on a pandas copy of the checked columns
                    result = quality.validate(name, suite, con.execute(query).df(), expectations)
                run.suites.append(result)
        finally:
            con.close()
        finish(settings, run, quality)
        if not run.success:
            raise QualityGateError(
                f"landing gate failed, nothing added to the lake: {run.summary()}; "
                f"rejected records are kept in {layout.quarantine_uri} (`pipeline quarantine` lists them); "
                f"Data Docs: {run.docs}"
            )

    return gate


def ingest_day(settings: Settings) -> date:
    return settings.as_of or datetime.now(UTC).date()


def _ratio_failure(name: str, report: FileReport, limit: float) -> SuiteResult:
    message = f"{report.quarantined} of {report.records} records quarantined (limit {limit:.0%})"
    detail = ExpectationResult(
        expectation="quarantine_ratio_at_most",
        column=None,
        arguments=f"max_ratio={limit}",
        success=False,
        element_count=report.records,
        unexpected_count=report.quarantined,
        observed_value=f"{report.quarantined / report.records:.4f}",
    )
    return SuiteResult(f"{name} (quarantine ratio)", False, [message], [detail])


def check_tables(
    db_path: Path,
    chunk_rows: int = 1_000_000,
    *,
    today: date | None = None,
    project: QualityProject | None = None,
    previous: Path | None = None,
    max_drop_ratio: float = 0.2,
    memory_limit: str | None = None,
) -> list[SuiteResult]:
    """Validate every mart: its GX suite, and (given the previously published
    warehouse) that no watched table lost more than ``max_drop_ratio`` of its rows.

    Each suite runs as SQL in DuckDB, where the marts are (:mod:`pipeline.quality.sql_checks`), and
    its results are stored and rendered by GX; a table over ``chunk_rows`` rows also gets its key
    check spelled out in plain words. A suite the SQL cannot express is validated by GX on pandas:
    in one frame up to ``chunk_rows`` rows, otherwise streamed ``chunk_rows`` at a time (memory stays
    bounded), its keys then checked in SQL since uniqueness cannot be judged chunk by chunk.
    """
    today = today or datetime.now(UTC).date()
    project = project or QualityProject()
    results = []
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        if memory_limit:
            con.execute(f"set memory_limit = {sql_string(memory_limit)}")
        for model in models():
            if model.layer != "marts":
                continue
            contract = warehouse_contract(model.contract)
            query = _query(contract, contract.table)
            rows = con.execute(f"select count(*) from {contract.table}").fetchall()[0][0]
            expectations = contract_expectations(contract, today)
            result = project.validate_sql(contract.table, f"warehouse.{contract.table}", con, query, expectations)
            if result is not None:
                if rows > chunk_rows:
                    keys = [f for f in _duplicate_failures(con, contract) if f not in result.failures]
                    result = dataclasses.replace(result, success=result.success and not keys,
                                                 failures=[*result.failures, *keys])  # fmt: skip
                results.append(result)
                continue
            if rows <= chunk_rows:
                results.append(
                    project.validate(
                        contract.table, f"warehouse.{contract.table}", con.execute(query).df(), expectations
                    )
                )
                continue
            per_chunk = contract_expectations(dataclasses.replace(contract, unique=[]), today)
            failures: list[str] = []
            details: list[ExpectationResult] = []
            for number, batch in enumerate(con.sql(query).to_arrow_reader(chunk_rows)):
                chunk = project.validate(
                    contract.table, f"warehouse.{contract.table}.chunk{number}", batch.to_pandas(), per_chunk
                )
                failures += [f for f in chunk.failures if f not in failures]
                details += chunk.expectations
            failures += _duplicate_failures(con, contract)
            results.append(SuiteResult(contract.table, not failures, failures, details))
        if previous is not None and previous.exists():
            results.append(_run_over_run(con, previous, project, max_drop_ratio))
    finally:
        con.close()
    return results


WATCHED_TABLES = ("profiles", "works")


def _run_over_run(
    con: duckdb.DuckDBPyConnection, previous: Path, project: QualityProject, max_drop: float
) -> SuiteResult:
    """A build may not drop more than ``max_drop`` of the published profiles or works."""
    old = duckdb.connect(str(previous), read_only=True)
    try:
        before = {t: old.execute(f"select count(*) from {t}").fetchall()[0][0] for t in WATCHED_TABLES}
    finally:
        old.close()
    after = {t: con.execute(f"select count(*) from {t}").fetchall()[0][0] for t in WATCHED_TABLES}
    frame = pd.DataFrame(
        {
            "table_name": list(WATCHED_TABLES),
            "published_rows": [before[t] for t in WATCHED_TABLES],
            "built_rows": [after[t] for t in WATCHED_TABLES],
            "kept_ratio": [after[t] / before[t] if before[t] else 1.0 for t in WATCHED_TABLES],
        }
    )
    gxe = gx_module().expectations
    expectation = gxe.ExpectColumnValuesToBeBetween(column="kept_ratio", min_value=round(1 - max_drop, 6))
    result = project.validate("run_over_run", "warehouse.run_over_run", frame, [expectation])
    drops = [
        f"{t} would drop from {before[t]} to {after[t]} rows ({1 - after[t] / before[t]:.0%}, limit {max_drop:.0%})"
        for t in WATCHED_TABLES
        if before[t] and after[t] / before[t] < 1 - max_drop
    ]
    return dataclasses.replace(result, failures=[*result.failures, *drops])


def _duplicate_failures(con: duckdb.DuckDBPyConnection, contract: TableContract) -> list[str]:
    failures = []
    for key in contract.unique:
        columns = ", ".join(f'"{c}"' for c in key)
        duplicated = con.execute(
            f"select count(*) from (select {columns} from {contract.table} group by all having count(*) > 1)"
        ).fetchall()[0][0]
        if duplicated:
            failures.append(f"{duplicated} values of ({', '.join(key)}) are not unique in {contract.table}")
    return failures


def warehouse_gate(settings: Settings, *, as_of: date | None = None):
    """A gate for a built warehouse file: raises :class:`QualityGateError` naming
    the failing expectations, after recording the run."""
    layout = DataLayout.of(settings)

    def gate(db_path: Path) -> GateRun:
        run = GateRun("warehouse")
        quality = quality_project(settings)
        run.suites = check_tables(
            db_path,
            chunk_rows=settings.gate_chunk_rows,
            today=as_of or ingest_day(settings),
            project=quality,
            previous=layout.warehouse_path if layout.warehouse_path != db_path else None,
            max_drop_ratio=settings.quality.max_drop_ratio,
            memory_limit=settings.duckdb_memory_limit,
        )
        finish(settings, run, quality)
        if not run.success:
            raise QualityGateError(
                f"warehouse gate failed, previous warehouse kept: {run.summary()}; Data Docs: {run.docs}"
            )
        return run

    return gate


def finish(settings: Settings, run: GateRun, quality: QualityProject) -> None:
    """Render Data Docs, write the JSON report and the quality history of a gate run."""
    from pipeline.quality.history import record_run

    run.docs = quality.build_docs()
    layout = DataLayout.of(settings)
    document = {
        "run_id": run.run_id,
        "checked_at": run.checked_at.isoformat(timespec="seconds"),
        "success": run.success,
        "data_docs": str(run.docs) if run.docs else None,
        "suites": [asdict(s) for s in run.suites],
    }
    write_report(layout, f"quality-{run.kind}", document)
    record_run(layout, run)
