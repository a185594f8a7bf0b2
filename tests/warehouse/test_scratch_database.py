"""The full build keeps its ``temp`` models in a scratch database file (build.scratch_database), not in
DuckDB's temp catalog, whose tables held the buffer pool full under the memory limit; the scratch
file is gone after the build, also after a failed one, and the warehouse holds no temp model."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

import pipeline.warehouse.build as build_mod
from pipeline.config import Settings
from pipeline.run import collect_inputs, land_sources
from pipeline.storage.layout import DataLayout
from pipeline.warehouse.build import SCRATCH, build_warehouse
from pipeline.warehouse.inputs import raw_input_names
from pipeline.warehouse.models import Model, plan

AS_OF = date(2026, 1, 1)
TEMP_MODELS = {s.name for s in plan(raw_input_names()) if isinstance(s, Model) and s.materialized == "temp"}


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("scratch") / "data")
    land_sources(collect_inputs(["sample"]), settings)
    return settings


def _scratch_files(settings: Settings) -> list:
    folder = DataLayout.of(settings).duckdb_temp_dir
    return sorted(folder.glob("scratch-*")) if folder.exists() else []


def test_temp_models_are_tables_of_the_scratch_database_and_leave_nothing_behind(landed, monkeypatch):
    where: dict[str, list[str]] = {}
    original = build_mod.run_model

    def recording(con, model, scratch=None, **kwargs):
        original(con, model, scratch, **kwargs)
        if model.materialized == "temp":
            rows = con.execute(
                "select database_name from duckdb_tables() where table_name = ?", [model.name]
            ).fetchall()
            where[model.name] = sorted(row[0] for row in rows)

    monkeypatch.setattr(build_mod, "run_model", recording)
    built = build_warehouse(landed, as_of=AS_OF)
    try:
        assert TEMP_MODELS and set(where) == TEMP_MODELS
        assert all(databases == [SCRATCH] for databases in where.values()), where
        assert _scratch_files(landed) == []
        con = duckdb.connect(str(built.path), read_only=True)
        try:
            tables = {  # the incremental state (schema ``incremental``) keeps copies under the same names
                row[0]
                for row in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()
            }
            attached = {row[0] for row in con.execute("select database_name from duckdb_databases()").fetchall()}
        finally:
            con.close()
        assert "profiles" in tables and "works" in tables
        assert not tables & TEMP_MODELS
        assert SCRATCH not in attached
    finally:
        build_mod.discard_build(built.path)


def test_a_failed_build_removes_its_scratch_database(landed, monkeypatch):
    original = build_mod.run_model

    def failing(con, model, scratch=None, **kwargs):
        if model.name == "int_collaborator_edges":
            assert _scratch_files(landed), "the scratch database is not where the build keeps it"
            raise RuntimeError("model failed")
        original(con, model, scratch, **kwargs)

    monkeypatch.setattr(build_mod, "run_model", failing)
    with pytest.raises(RuntimeError, match="model failed"):
        build_warehouse(landed, as_of=AS_OF)
    assert _scratch_files(landed) == []
    assert DataLayout.of(landed).stale_builds() == []
