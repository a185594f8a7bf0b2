"""The warehouse build spills instead of running out of memory: under a DuckDB memory limit far
below what its tables need it builds, and gives exactly the tables of an unlimited build.

The lake is bench/incremental_bench.py's generator (works with 1-5 authors, one in 50 also an arXiv
entry with the same DOI, ~10% of the authors sharing a name), 60k works: about the ratio of data to
memory of a 1M-works build under the default limit. The limit is tight enough that the models that
held memory before (the lateral-join unnest of every work's authorships, the text-valued aggregate
of every (work, author) pair) ran out of it here."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipeline.config import Settings
from pipeline.storage.layout import DataLayout
from pipeline.warehouse.build import build_warehouse, run_macro, run_model
from pipeline.warehouse.inputs import create_raw_inputs, raw_input_names
from pipeline.warehouse.models import Macro, plan
from pipeline.warehouse.variables import model_variables, set_variables

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import incremental_bench  # noqa: E402

AS_OF = date(2026, 1, 1)
WORKS = 60_000
TIGHT = "96MB"


@pytest.fixture(scope="module")
def lake(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    layout = DataLayout.of(Settings(data_dir=root))
    names = incremental_bench.NAMES_PER_AUTHOR * (WORKS // 3)
    incremental_bench.generate(layout, WORKS, 20_000, lambda *_: None, 50, names)
    return Path(layout.lake_uri)


def _build(tmp_path: Path, lake: Path, memory_limit: str | None) -> Path:
    settings = Settings(data_dir=tmp_path, lake_uri=str(lake), as_of=AS_OF, duckdb_memory_limit=memory_limit)
    return build_warehouse(settings, as_of=AS_OF).path


def _differences(a: Path, b: Path) -> dict[str, tuple[int, int]]:
    con = duckdb.connect()
    try:
        con.execute(f"attach '{a}' as a (read_only)")
        con.execute(f"attach '{b}' as b (read_only)")
        tables = [
            row[0]
            for row in con.execute(
                "select schema_name || '.' || table_name from duckdb_tables() where database_name = 'a' order by 1"
            ).fetchall()
        ]
        assert "main.works" in tables and "main.collaborator_edges" in tables
        found = {}
        for table in tables:
            x, y = (
                con.execute(
                    f"select count(*) from (select * from {p}.{table} except all select * from {q}.{table})"
                ).fetchall()[0][0]
                for p, q in (("a", "b"), ("b", "a"))
            )
            if x or y:
                found[table] = (x, y)
        return found
    finally:
        con.close()


def test_a_build_under_a_tight_memory_limit_spills_and_gives_the_same_tables(lake, tmp_path):
    unlimited = _build(tmp_path / "unlimited", lake, None)
    tight = _build(tmp_path / "tight", lake, TIGHT)
    assert _differences(unlimited, tight) == {}
    con = duckdb.connect(str(tight), read_only=True)
    try:  # arXiv entries matched, merged works: the cross-source paths ran too
        assert con.execute("select count(*) from authorships").fetchall()[0][0] > 150_000
        assert con.execute("select count(*) from work_sources where source = 'arxiv'").fetchall()[0][0] > 0
    finally:
        con.close()


# One model at a time, the models before it built without a limit, under its limit (and two threads,
# so the memory a query needs does not depend on the machine's cores). int_profile_features: eight
# aggregates and joins whose hash tables were all held until its last join ran out of memory on this
# lake under 64MB; then its joins of one row per source and author (4 hash tables held at once: at 2M
# works it needed DuckDB's whole 500MB, out of memory under 450MB) ran out under 48MB here, and the
# grouped union of now builds under 32MB. int_work_topics (every (work, topic) pair in a text-valued
# aggregate before) ran out of memory only at scale (a 2M-works build under 400MB): here it guards
# the rewrite's rows.
MODEL_LIMITS = {"intermediate/int_profile_features": "40MB", "intermediate/int_work_topics": "64MB"}


def _model_under_limit(tmp_path: Path, lake: Path, key: str, memory_limit: str | None) -> list[tuple]:
    settings = Settings(data_dir=tmp_path, lake_uri=str(lake), as_of=AS_OF)
    layout = DataLayout.of(settings)
    tmp_path.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(tmp_path / "models.duckdb"))
    try:
        con.execute("set threads = 2")
        con.execute(f"set temp_directory = '{tmp_path / 'spill'}'")
        set_variables(con, model_variables(settings, AS_OF))
        create_raw_inputs(con, layout)
        for step in plan(raw_input_names()):
            if isinstance(step, Macro):
                run_macro(con, step)
                continue
            if step.key == key:
                if memory_limit:
                    con.execute(f"set memory_limit = '{memory_limit}'")
                run_model(con, step)
                return con.execute(f"select * from {step.name} order by all").fetchall()
            run_model(con, step)
        raise AssertionError(f"no model {key}")
    finally:
        con.close()


@pytest.mark.parametrize("key", sorted(MODEL_LIMITS))
def test_a_model_that_held_memory_builds_under_a_tight_limit_and_gives_the_same_rows(lake, tmp_path, key):
    unlimited = _model_under_limit(tmp_path / "unlimited", lake, key, None)
    tight = _model_under_limit(tmp_path / "tight", lake, key, MODEL_LIMITS[key])
    assert len(unlimited) > 10_000
    assert tight == unlimited


def test_the_default_memory_limit_is_fixed_not_a_share_of_the_machine():
    assert Settings().duckdb_memory_limit == "500MB"
