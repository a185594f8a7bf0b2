"""Expectation suites, generated from contracts (never written by hand twice),
and the Great Expectations project that runs them.

GX has no working DuckDB data source (its SQL source returns broken metrics on
DuckDB; see the reference notes on GX 1.x). So the suites are evaluated where the
data is, as DuckDB SQL (:mod:`pipeline.quality.sql_checks`), and the results are
handed to GX in its own result types (:meth:`QualityProject.validate_sql`); a suite
the SQL cannot express is validated by GX on a pandas frame of only the columns it
looks at (:meth:`QualityProject.validate`). Suites and results are stored in a GX
file project under ``DIR/quality/gx`` and rendered as Data Docs under ``DIR/quality/docs``.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path

import pandas as pd

from pipeline.schemas.contracts import TableContract


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation of one suite run: what it checked and what it saw."""

    expectation: str
    column: str | None
    arguments: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    observed_value: str | None = None
    examples: str | None = None

    @property
    def label(self) -> str:
        return f"{self.expectation}({self.arguments})"


@dataclass(frozen=True)
class SuiteResult:
    name: str
    success: bool
    failures: list[str]
    expectations: list[ExpectationResult] = field(default_factory=list)
    # what was checked: "table" (every row), or after an incremental build "changed rows" (row-level
    # expectations on the spliced rows, keys over the rows sharing a changed key, the rest on the table)
    scope: str = "table"


def _bound(value, today: date):
    """Range bounds may name a moving date: ``{next_year}`` is the year after ``today``."""
    if isinstance(value, str):
        return int(value.format(next_year=today.year + 1, this_year=today.year))
    return value


def contract_expectations(contract: TableContract, today: date) -> list:
    """GX expectations for a table contract."""
    gxe = gx_module().expectations
    out: list = []
    for key in contract.unique:
        if len(key) == 1:
            out.append(gxe.ExpectColumnValuesToBeUnique(column=key[0]))
        else:
            out.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(key)))
    out += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in contract.not_null]
    out += [gxe.ExpectColumnValuesToMatchRegex(column=c, regex=r) for c, r in contract.patterns.items()]
    out += [gxe.ExpectColumnValuesToBeInSet(column=c, value_set=v) for c, v in contract.accepted_values.items()]
    for column, bounds in contract.ranges.items():
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=_bound(bounds.get("min"), today),
                max_value=_bound(bounds.get("max"), today),
                mostly=bounds.get("mostly", 1.0),
            )
        )
    if contract.ordered_pairs:
        low, high = contract.ordered_pairs
        out.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=high, column_B=low, or_equal=False))
    for pair in contract.column_pairs:
        out.append(
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A=pair["a"], column_B=pair["b"], or_equal=bool(pair.get("or_equal", False))
            )
        )
    return out


class QualityProject:
    """Runs suites and keeps their results: a GX file project with Data Docs when
    ``project_dir`` is given, an ephemeral one otherwise."""

    def __init__(self, project_dir: Path | None = None, docs_dir: Path | None = None) -> None:
        gx = gx_module()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        if project_dir is None:
            self.context = gx.get_context(mode="ephemeral")
        else:
            project_dir.mkdir(parents=True, exist_ok=True)
            self.context = gx.get_context(mode="file", project_root_dir=str(project_dir))
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.docs_dir = docs_dir
        if docs_dir is not None:
            site = {
                "class_name": "SiteBuilder",
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
            if "pipeline" in self.context.get_config().data_docs_sites:
                self.context.update_data_docs_site(site_name="pipeline", site_config=site)
            else:
                self.context.add_data_docs_site(site_name="pipeline", site_config=site)
        self.source = self.context.data_sources.add_or_update_pandas("pipeline_frames")
        self._kept = set(self.context.validation_results_store.list_keys()) if docs_dir is not None else set()

    def validate(self, name: str, suite_name: str, frame: pd.DataFrame, expectations: list) -> SuiteResult:
        """Run ``expectations`` on ``frame`` as the stored suite ``suite_name``."""
        gx = gx_module()
        suite_name = _safe(suite_name)
        try:
            asset = self.source.get_asset(suite_name)
        except LookupError:
            asset = self.source.add_dataframe_asset(suite_name)
        try:
            batch_definition = asset.get_batch_definition("whole")
        except (KeyError, LookupError):
            batch_definition = asset.add_batch_definition_whole_dataframe("whole")
        suite = self.context.suites.add_or_update(
            gx.ExpectationSuite(name=suite_name, expectations=[e.copy() for e in expectations])
        )
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=suite_name, data=batch_definition, suite=suite)
        )
        result = definition.run(batch_parameters={"dataframe": frame}, result_format="SUMMARY")
        details = [_details(item) for item in result.results]
        failures = [f"{d.label} failed; e.g. {d.examples or d.observed_value}" for d in details if not d.success]
        return SuiteResult(name=name, success=bool(result.success), failures=failures, expectations=details)

    def validate_sql(
        self, name: str, suite_name: str, con, relation: str, expectations: list, *, keys_relation: str | None = None
    ) -> SuiteResult | None:
        """Run ``expectations`` on ``relation`` (a SELECT) in DuckDB and store the results as a GX
        validation of the stored suite ``suite_name``; None if the suite cannot be run as SQL.
        ``keys_relation``: the same rows with only the columns the key checks need (see
        :func:`pipeline.quality.sql_checks.evaluate`)."""
        from pipeline.quality.sql_checks import compile_suite, evaluate

        checks = compile_suite(con, relation, expectations)
        if checks is None:
            return None
        outcomes = evaluate(con, relation, checks, keys_relation=keys_relation)
        return self.record(name, suite_name, expectations, outcomes, relation)

    def record(self, name: str, suite_name: str, expectations: list, outcomes: list, where: str) -> SuiteResult:
        """Store (success, SUMMARY result) per expectation as a GX validation result of the suite."""
        gx = gx_module()
        from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        suite_name = _safe(suite_name)
        self.context.suites.add_or_update(
            gx.ExpectationSuite(name=suite_name, expectations=[e.copy() for e in expectations])
        )
        no_exception = {"raised_exception": False, "exception_traceback": None, "exception_message": None}
        items = [
            ExpectationValidationResult(
                success=success, expectation_config=e.configuration, result=result, exception_info=no_exception
            )
            for e, (success, result) in zip(expectations, outcomes, strict=True)
        ]
        run_id = RunIdentifier(run_time=datetime.now(UTC))
        passed = sum(item.success for item in items)
        batch = f"duckdb-{suite_name}"
        result = ExpectationSuiteValidationResult(
            success=passed == len(items),
            results=items,
            suite_name=suite_name,
            statistics={
                "evaluated_expectations": len(items),
                "successful_expectations": passed,
                "unsuccessful_expectations": len(items) - passed,
                "success_percent": passed / len(items) * 100 if items else None,
            },
            meta={
                "great_expectations_version": gx.__version__,
                "batch_spec": {"evaluated_in": "duckdb", "query": where},
                "active_batch_definition": {
                    "datasource_name": "duckdb",
                    "data_connector_name": "sql",
                    "data_asset_name": suite_name,
                    "batch_identifiers": {},
                },
                "run_id": run_id,
                "validation_time": run_id.run_time,
            },
            batch_id=batch,
        )
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
            run_id=run_id,
            batch_identifier=batch,
        )
        self.context.validation_results_store.store_validation_results(
            suite_validation_result=result,
            suite_validation_result_identifier=key,
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        )
        details = [_details(item) for item in items]
        failures = [f"{d.label} failed; e.g. {d.examples or d.observed_value}" for d in details if not d.success]
        return SuiteResult(name=name, success=result.success, failures=failures, expectations=details)

    def build_docs(self, *, everything: bool = False) -> Path | None:
        """Render Data Docs; returns the index page. Only the pages of the results stored since this
        project was opened, and the index (the pages of earlier runs are already rendered, and
        rendering every stored run again grows with the history): ``everything`` renders all."""
        if self.docs_dir is None:
            return None
        if everything or not (self.docs_dir / "index.html").exists():
            self.context.build_data_docs(site_names=["pipeline"])
        else:
            new = [k for k in self.context.validation_results_store.list_keys() if k not in self._kept]
            self.context.build_data_docs(site_names=["pipeline"], resource_identifiers=new)
        self._kept = set(self.context.validation_results_store.list_keys())
        return self.docs_dir / "index.html"


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)


def _details(item) -> ExpectationResult:
    config = item.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id" and v is not None}
    found = item.result or {}
    observed = found.get("observed_value")
    examples = found.get("partial_unexpected_list")
    return ExpectationResult(
        expectation=config.type,
        column=kwargs.get("column") or kwargs.get("column_A"),
        arguments=", ".join(f"{k}={v!r}" for k, v in kwargs.items()),
        success=bool(item.success),
        element_count=found.get("element_count"),
        unexpected_count=found.get("unexpected_count"),
        observed_value=None if observed is None else json.dumps(observed, default=str),
        examples=None if not examples else f"{examples[:5]!r:.120}",
    )


def import_gx_in_background() -> threading.Thread:
    """Start importing Great Expectations in a thread (it takes seconds, mostly Python bytecode and
    module set-up), so that it overlaps work that does not need the GIL much (the landing workers are
    processes); :func:`gx_module` then finds the module imported, or waits on the import lock for the
    rest of it. Only the import: the GX project (files in the data dir) is still opened by the gate,
    under the data-dir lock."""
    thread = threading.Thread(target=_import_quietly, name="import-great-expectations")
    thread.start()
    return thread


def _import_quietly() -> None:
    try:
        gx_module()
    except Exception:  # noqa: BLE001 - the gate imports it again and reports the error where it is needed
        logging.getLogger(__name__).debug("background import of great_expectations failed", exc_info=True)


@cache
def gx_module():
    # GX announces every registered function, context and metric at INFO (a hundred lines in
    # each Airflow task log, most of them while it is imported); operators only need its warnings.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # Imported lazily: GX takes seconds to import and most CLI commands never need it.
    import great_expectations as gx
    import great_expectations.expectations  # noqa: F401  (registers gx.expectations)

    return gx
