"""The gates' expectations run as DuckDB SQL reach GX's own verdicts and counts on pandas, on a
clean warehouse and on every broken copy of it that the expectation tests use, and on tables
made to hit the edge cases (nulls, non-ASCII and multi-line values, mostly)."""

from __future__ import annotations

import json

import duckdb
import pandas as pd
import pytest
from test_expectations import AS_OF, CASES, _broken_copy, good, project  # noqa: F401 - fixtures

from pipeline.quality.gate import _query, check_tables, warehouse_contract
from pipeline.quality.sql_checks import compile_suite
from pipeline.quality.suites import contract_expectations, gx_module
from pipeline.warehouse.models import models

FIGURES = ("element_count", "unexpected_count", "missing_count")


def _both(quality, con, relation: str, expectations: list, name: str):
    """(SQL result, GX-on-pandas result) of one suite on one relation."""
    sql = quality.validate_sql(name, f"test.sql.{name}", con, relation, expectations)
    assert sql is not None, f"{name}: the suite did not compile to SQL"
    gx = quality.validate(name, f"test.gx.{name}", con.execute(relation).df(), expectations)
    return sql, gx


def _same(sql, gx) -> list:
    """Differences between the two results: verdicts, labels and counts, per expectation."""
    differ = []
    if sql.success != gx.success:
        differ.append(("suite", sql.success, gx.success))

    def figures(result):  # GX orders its results its own way
        return sorted((e.label, e.success, e.element_count, e.unexpected_count) for e in result.expectations)

    differ += [(a, b) for a, b in zip(figures(sql), figures(gx), strict=True) if a != b]
    return differ


def _marts(db, quality):
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = []
        for model in models():
            if model.layer != "marts":
                continue
            contract = warehouse_contract(model.contract)
            sql, gx = _both(
                quality, con, _query(contract, contract.table), contract_expectations(contract, AS_OF), contract.table
            )
            out.append((contract.table, sql, gx))
        return out
    finally:
        con.close()


def test_every_mart_suite_runs_as_sql_with_gx_verdicts_and_counts(good, project):  # noqa: F811
    results = _marts(good, project)
    assert len(results) >= 10
    assert [(t, _same(s, g)) for t, s, g in results if _same(s, g)] == []
    assert all(s.success for _, s, _ in results)


@pytest.mark.parametrize(("table", "mutation", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_a_broken_warehouse_fails_the_same_way_in_sql_and_in_gx(good, project, tmp_path, table, mutation, expected):  # noqa: F811
    broken = _broken_copy(good, tmp_path, mutation)
    results = {t: (s, g) for t, s, g in _marts(broken, project)}
    sql, gx = results[table]
    assert not sql.success and not gx.success
    assert _same(sql, gx) == []
    assert any(f.startswith(expected) for f in sql.failures), sql.failures


def test_edge_cases_nulls_unicode_newlines_and_mostly(project):  # noqa: F811
    gxe = gx_module().expectations
    frame = pd.DataFrame(  # noqa: F841 - read by DuckDB below
        {
            "id": ["W1", "W2", "W2", None, "W\u0663", "W5\n", "w6", "W7"],
            "code": ["a", "b", None, "a", "c", "a", "b", None],
            "n": [1, 2, 3, None, 50, 6, 7, 8],
            "m": [0, 2, None, None, 1, 7, 1, 9],
            "flag": [True, True, None, False, True, True, True, True],
        }
    )
    con = duckdb.connect()
    con.execute("create table t as select * from frame")
    expectations = [
        gxe.ExpectColumnValuesToBeUnique(column="id"),
        gxe.ExpectColumnValuesToNotBeNull(column="code"),
        gxe.ExpectColumnValuesToMatchRegex(column="id", regex=r"^W\d+$"),
        gxe.ExpectColumnValuesToMatchRegex(column="id", regex=r"W"),
        gxe.ExpectColumnValuesToBeInSet(column="code", value_set=["a", "b"]),
        gxe.ExpectColumnValuesToBeInSet(column="flag", value_set=[True]),
        gxe.ExpectColumnValuesToBeBetween(column="n", min_value=0, max_value=10, mostly=0.8),
        gxe.ExpectColumnValuesToBeBetween(column="n", min_value=0, max_value=10, mostly=0.9),
        gxe.ExpectColumnValuesToBeBetween(column="n", min_value=2),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="n", column_B="m", or_equal=True),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="n", column_B="m", or_equal=False),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["code", "flag"]),
    ]
    sql, gx = _both(project, con, "select * from t", expectations, "edge")
    assert _same(sql, gx) == []
    assert [e.success for e in sql.expectations].count(False) >= 6  # the table breaks most of them
    regex = sql.expectations[2]
    # only w6: in Python's re (as in GX) \d matches an Arabic-Indic 3 and $ matches before a final newline
    assert regex.unexpected_count == 1 and "w6" in regex.examples


def test_the_gate_stores_its_sql_results_as_gx_validations_with_data_docs(good, project, tmp_path):  # noqa: F811
    from pipeline.quality.suites import QualityProject

    quality = QualityProject(tmp_path / "gx", tmp_path / "docs")
    results = check_tables(good, today=AS_OF, project=quality)
    assert all(r.success for r in results)
    index = quality.build_docs()
    pages = sorted((tmp_path / "docs" / "validations" / "warehouse" / "works").rglob("*.html"))
    assert pages and any(str(p.relative_to(tmp_path / "docs")) in index.read_text() for p in pages)
    stored = sorted((tmp_path / "gx").rglob("*.json"))
    works = [json.loads(p.read_text()) for p in stored if "validations" in p.parts and "works" in p.parts]
    assert works and works[-1]["meta"]["batch_spec"]["evaluated_in"] == "duckdb"
    assert works[-1]["statistics"]["evaluated_expectations"] == len(works[-1]["results"]) > 3


def test_a_suite_sql_cannot_express_falls_back_to_gx(good, project):  # noqa: F811
    gxe = gx_module().expectations
    con = duckdb.connect(str(good), read_only=True)
    try:
        odd = [gxe.ExpectColumnValuesToBeBetween(column="publication_year", min_value=1500, strict_min=True)]
        assert compile_suite(con, "select * from works", odd) is None
        assert compile_suite(con, "select * from works", [gxe.ExpectColumnValuesToBeUnique(column="nope")]) is None
        # and the gate then runs it through GX on pandas, with GX's verdict
        frame = con.execute("select publication_year from works").df()
        result = project.validate("works", "test.fallback", frame, odd)
        assert result.success and result.expectations[0].element_count == len(frame)
    finally:
        con.close()


def test_key_checks_in_hash_partitions_count_the_same_duplicates(project, monkeypatch):  # noqa: F811
    from pipeline.quality import sql_checks

    gxe = gx_module().expectations
    frame = pd.DataFrame(  # noqa: F841 - read by DuckDB below
        {"id": ["W1", "W2", "W2", None, "W3", "W3", "W3", "W4", "W5", "W6"], "n": [1, 2, 2, 3, 4, 4, 5, 6, 6, None]}
    )
    con = duckdb.connect()
    con.execute("create table t as select * from frame")
    expectations = [
        gxe.ExpectColumnValuesToBeUnique(column="id"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["id", "n"]),
    ]
    whole = [
        (e.unexpected_count, e.success)
        for e in _both(project, con, "select * from t", expectations, "k")[0].expectations
    ]
    monkeypatch.setattr(sql_checks, "KEY_PARTITION_ROWS", 3)  # 10 rows: 4 partitions
    sql, gx = _both(project, con, "select * from t", expectations, "kp")
    assert _same(sql, gx) == []
    assert [(e.unexpected_count, e.success) for e in sql.expectations] == whole == [(5, False), (4, False)]


def test_key_partitions_follow_duckdbs_memory_limit(monkeypatch):
    from pipeline.quality import sql_checks

    con = duckdb.connect()
    con.execute("set memory_limit = '500MB'")
    at_500 = sql_checks.key_partition_rows(con)
    con.execute("set memory_limit = '96MB'")
    at_96 = sql_checks.key_partition_rows(con)
    # DuckDB keeps the limit as it spells it ("476.8 MiB"): within 0.1% of the bytes asked for
    assert at_500 == pytest.approx(500 * 10**6 / sql_checks.KEY_BYTES_PER_ROW, rel=1e-3)  # ~8.3M rows
    assert at_96 == pytest.approx(96 * 10**6 / sql_checks.KEY_BYTES_PER_ROW, rel=1e-3)  # lower limit, smaller
    monkeypatch.setattr(sql_checks, "KEY_PARTITION_ROWS", 1234)
    assert sql_checks.key_partition_rows(con) == 1234  # set by hand: whatever the limit

    # evaluate() groups in as many partitions as the limit gives
    monkeypatch.setattr(sql_checks, "KEY_PARTITION_ROWS", None)
    monkeypatch.setattr(sql_checks, "MIN_KEY_PARTITION_ROWS", 1)
    monkeypatch.setattr(sql_checks, "KEY_BYTES_PER_ROW", 30 * 10**6)  # 96MB / 30MB: 3 rows per partition
    con.execute("create table t as select * from range(10) r(id) union all select 4")  # 11 rows: 4 partitions
    seen: list[str] = []

    class Counting:
        def execute(self, sql, *args):
            seen.append(sql)
            return con.execute(sql, *args)

    from pipeline.quality.suites import gx_module

    checks = sql_checks.compile_suite(
        con, "select * from t", [gx_module().expectations.ExpectColumnValuesToBeUnique(column="id")]
    )
    [(success, result)] = sql_checks.evaluate(Counting(), "select * from t", checks)
    assert (success, result["unexpected_count"]) == (False, 2)
    assert sum("% 4 = " in sql for sql in seen) == 4
