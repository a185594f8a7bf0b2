"""Expectation suites, generated from contracts (never written by hand twice).

GX has no working DuckDB data source (its SQL source returns broken metrics on
DuckDB), so every suite here validates a pandas frame that DuckDB or pyarrow
produced; see reference notes on GX 1.x.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cache

import pandas as pd

from pipeline.schemas.contracts import TableContract


@dataclass(frozen=True)
class SuiteResult:
    name: str
    success: bool
    failures: list[str]


def contract_expectations(contract: TableContract) -> list:
    """GX expectations for a table contract."""
    gxe = _gx().expectations
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
            gxe.ExpectColumnValuesToBeBetween(column=column, min_value=bounds.get("min"), max_value=bounds.get("max"))
        )
    if contract.ordered_pairs:
        low, high = contract.ordered_pairs
        out.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=high, column_B=low, or_equal=False))
    return out


def validate_frame(name: str, frame: pd.DataFrame, expectations: list) -> SuiteResult:
    """Run expectations on a pandas frame with an ephemeral GX context."""
    gx = _gx()
    context = _context()
    suite = gx.ExpectationSuite(name=f"{name}_suite", expectations=[e.copy() for e in expectations])
    batch = _batch_definition(context).get_batch(batch_parameters={"dataframe": frame})
    result = batch.validate(suite, result_format="SUMMARY")
    failures = []
    for item in result.results:
        if not item.success:
            config = item.expectation_config
            details = item.result or {}
            unexpected = details.get("partial_unexpected_list") or details.get("observed_value")
            failures.append(f"{config.type}({_kwargs(config.kwargs)}) failed; e.g. {unexpected!r:.120}")
    return SuiteResult(name=name, success=bool(result.success), failures=failures)


def _kwargs(kwargs: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if k not in ("batch_id",) and v is not None)


@cache
def _gx():
    # Imported lazily: GX takes seconds to import and most CLI commands never need it.
    import great_expectations as gx
    import great_expectations.expectations  # noqa: F401  (registers gx.expectations)

    # GX announces every ephemeral context at INFO; operators only need its warnings.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return gx


@cache
def _context():
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


@cache
def _batch_definition(context):
    source = context.data_sources.add_pandas("pipeline_frames")
    return source.add_dataframe_asset("frame").add_batch_definition_whole_dataframe("whole")
