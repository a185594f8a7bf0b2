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
from pipeline.memory_limits import out_of_memory
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


def _plain_query(contract: TableContract, relation: str) -> str | None:
    """The checked columns without the derived ones (what a key check groups by), or None when a key
    is a derived column."""
    if any(column in contract.derived for key in contract.unique for column in key):
        return None
    columns = [f'"{c}"' for c in contract.checked_columns() if c not in contract.derived]
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
    changed_only: bool = False,
    outcome: str = "nothing was published",
) -> list[SuiteResult]:
    """Validate every mart: its GX suite, and (given the previously published
    warehouse) that no watched table lost more than ``max_drop_ratio`` of its rows.

    Each suite runs as SQL in DuckDB, where the marts are (:mod:`pipeline.quality.sql_checks`), and
    its results are stored and rendered by GX; a table over ``chunk_rows`` rows also gets its key
    check spelled out in plain words. A suite the SQL cannot express is validated by GX on pandas:
    in one frame up to ``chunk_rows`` rows, otherwise streamed ``chunk_rows`` at a time (memory stays
    bounded), its keys then checked in SQL since uniqueness cannot be judged chunk by chunk.

    ``changed_only`` (the gate of an incremental build): where the build recorded what it spliced
    in (:func:`changed_keys`), a table with a work or author key is checked on what changed only
    (:func:`_validate_changed`); its result's ``scope`` says so. Otherwise every row is checked.

    DuckDB running out of memory (under ``memory_limit``) raises the operator's
    :class:`~pipeline.errors.BuildOutOfMemoryError` naming the table being checked and ``outcome``
    (what became of the run).
    """
    today = today or datetime.now(UTC).date()
    project = project or QualityProject()
    results = []
    con = duckdb.connect(str(db_path), read_only=True)
    checking = "its setup"  # what the gate was checking when DuckDB ran out of memory
    try:
        if memory_limit:
            con.execute(f"set memory_limit = {sql_string(memory_limit)}")
        changes = changed_keys(con) if changed_only else None
        for model in models():
            if model.layer != "marts":
                continue
            contract = warehouse_contract(model.contract)
            checking = contract.table
            query = _query(contract, contract.table)
            expectations = contract_expectations(contract, today)
            scope = _changed_rows(con, contract, changes) if changes else None
            if scope is not None:
                result = _validate_changed(project, con, contract, expectations, scope)
                if result is not None:
                    results.append(result)
                    continue
            result = project.validate_sql(
                contract.table,
                f"warehouse.{contract.table}",
                con,
                query,
                expectations,
                keys_relation=_plain_query(contract, contract.table),
            )
            if result is not None:
                results.append(_in_plain_words(result, contract))
                continue
            rows = con.execute(f"select count(*) from {contract.table}").fetchall()[0][0]
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
            checking = "the row counts against the previous warehouse"
            results.append(_run_over_run(con, previous, project, max_drop_ratio))
    except duckdb.OutOfMemoryException as exc:
        raise out_of_memory(con, checking, exc, what="the warehouse gate", outcome=outcome) from exc
    finally:
        con.close()
    return results


def changed_keys(con: duckdb.DuckDBPyConnection) -> dict[str, str] | None:
    """What the incremental build that made this file spliced in: key column -> the table of its
    changed keys (every work id and author id whose rows were deleted or inserted). None after a
    full build (the file holds no such record)."""
    from pipeline.warehouse.incremental import CHANGED_KEYS

    found = {
        f"{schema}.{name}"
        for schema, name in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
    }
    return dict(CHANGED_KEYS) if set(CHANGED_KEYS.values()) <= found else None


_AUTHOR_COLUMNS = ("author_id", "collaborator_id", "author_a", "author_b")


def _changed_rows(con, contract: TableContract, changes: dict[str, str]) -> str | None:
    """A condition on ``t``: the rows an incremental build spliced into the table (by the key it
    splices on: ``work_id``, else its author columns), and the rows that refer to a changed key of
    another table (a relation: its target row may be gone). None: the table is checked whole."""
    columns = {row[0] for row in con.execute(f"select * from {contract.table} limit 0").description}
    if "work_id" in columns:
        own = ["work_id"]
    else:
        own = [c for c in _AUTHOR_COLUMNS if c in columns]
    if not own:
        return None
    parts = [f't."{c}" in (select work_id from {changes["work_id"]})' if c == "work_id"
             else f't."{c}" in (select author_id from {changes["author_id"]})' for c in own]  # fmt: skip
    for column, target in contract.relations.items():
        key = target.split(".")[1]
        if key not in changes:
            return None
        parts.append(f't."{column}" in (select {key} from {changes[key]})')
    return " or ".join(dict.fromkeys(parts))


def _expectation_columns(expectation) -> list[str]:
    get = expectation.__dict__.get
    return [c for c in [get("column"), get("column_A"), get("column_B"), *(get("column_list") or [])] if c]


def _validate_changed(project, con, contract: TableContract, expectations: list, scope: str) -> SuiteResult | None:
    """The suite after an incremental build: a row-level expectation on the changed rows; a key
    unique over the whole table, checked on the rows that share a key with a changed row; an
    expectation on a share of the rows (``mostly``) on the whole table. One GX validation, as usual.
    None if some part cannot be run as SQL (then the caller checks the whole table)."""
    from pipeline.quality.sql_checks import compile_suite, evaluate

    changed = f"{_query(contract, contract.table)} where {scope}"
    groups: dict[str, list[int]] = {}
    for index, expectation in enumerate(expectations):
        kind = type(expectation).__name__
        columns = ", ".join(f'"{c}"' for c in _expectation_columns(expectation))
        if kind in ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique"):
            matches = " and ".join(f'k."{c}" is not distinct from c."{c}"' for c in _expectation_columns(expectation))
            relation = (
                f"select {columns} from {contract.table} as k semi join "
                f"(select distinct {columns} from ({changed}) as c0) as c on {matches}"
            )
        elif float(expectation.__dict__.get("mostly") or 1.0) < 1.0:
            if any(c in contract.derived for c in _expectation_columns(expectation)):
                relation = _query(contract, contract.table)
            else:
                relation = f"select {columns} from {contract.table} as t"
        else:
            relation = changed
        groups.setdefault(relation, []).append(index)
    outcomes: list = [None] * len(expectations)
    for relation, indexes in groups.items():
        checks = compile_suite(con, relation, [expectations[i] for i in indexes])
        if checks is None:
            return None
        for i, outcome in zip(indexes, evaluate(con, relation, checks), strict=True):
            outcomes[i] = outcome
    where = f"changed rows of {contract.table}: {scope}"
    result = project.record(contract.table, f"warehouse.{contract.table}", expectations, outcomes, where)
    return dataclasses.replace(result, scope="changed rows")


def _in_plain_words(result: SuiteResult, contract: TableContract) -> SuiteResult:
    """A failed key check also spelled out in plain words (from its SQL result: no second scan)."""
    words = []
    for item in result.expectations:
        if item.success or item.expectation not in ("expect_column_values_to_be_unique",
                                                    "expect_compound_columns_to_be_unique"):  # fmt: skip
            continue
        key = next(
            (k for k in contract.unique if item.arguments in (f"column={k[0]!r}", f"column_list={list(k)!r}")), None
        )
        label = ", ".join(key) if key else item.arguments
        words.append(f"{item.unexpected_count} rows whose values of ({label}) are not unique in {contract.table}")
    return dataclasses.replace(result, failures=[*result.failures, *words]) if words else result


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
            changed_only=True,
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
