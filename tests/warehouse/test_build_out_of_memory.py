"""DuckDB running out of memory anywhere in a full build, not only inside a model's query, gives the
operator's one-line error (where, the limit, the setting to raise) and leaves no half-built file.

A 1M-works `pipeline run` once failed with DuckDB's bare "failed to pin block" message and no step named
(BENCHMARKS.md, "2026-12-04"): the error came from outside the model's ``create ... as`` statement."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

import pipeline.warehouse.build as build_mod
import pipeline.warehouse.incremental as incremental_mod
from pipeline.config import Settings
from pipeline.errors import BuildOutOfMemoryError
from pipeline.run import collect_inputs, land_sources
from pipeline.storage.layout import DataLayout
from pipeline.warehouse.build import build_warehouse

AS_OF = date(2026, 1, 1)
PIN = "Out of Memory Error: failed to pin block of size 256.0 KiB (476.8 MiB/476.8 MiB used)"


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("oom") / "data", duckdb_memory_limit="500MB")
    land_sources(collect_inputs(["sample"]), settings)
    return settings


def _left_behind(settings: Settings) -> list:
    layout = DataLayout.of(settings)
    scratch = sorted(layout.duckdb_temp_dir.glob("scratch-*")) if layout.duckdb_temp_dir.exists() else []
    return layout.stale_builds() + scratch


def test_out_of_memory_while_commenting_a_model_names_the_model(landed, monkeypatch):
    original = build_mod.comment_model

    def commenting(con, model):
        if model.name == "works":
            raise duckdb.OutOfMemoryException(PIN)
        original(con, model)

    monkeypatch.setattr(build_mod, "comment_model", commenting)
    with pytest.raises(BuildOutOfMemoryError) as caught:
        build_warehouse(landed, as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith("the warehouse build ran out of memory in marts/works under DuckDB's memory limit of ")
    assert "(PIPELINE_DUCKDB_MEMORY_LIMIT; DuckDB: failed to pin block of size 256.0 KiB" in message
    assert message.endswith("nothing was published: raise PIPELINE_DUCKDB_MEMORY_LIMIT (e.g. 2GB) and run again")
    assert _left_behind(landed) == []


def test_out_of_memory_between_models_names_the_step(landed, monkeypatch):
    def saving(con, **kwargs):
        raise duckdb.OutOfMemoryException(PIN)

    monkeypatch.setattr(incremental_mod, "save_state", saving)
    with pytest.raises(BuildOutOfMemoryError, match=r"ran out of memory in saving the incremental build's state under"):
        build_warehouse(landed, as_of=AS_OF)
    assert _left_behind(landed) == []


def test_other_errors_are_not_taken_for_memory(landed, monkeypatch):
    def saving(con, **kwargs):
        raise duckdb.IOException("IO Error: disk full")

    monkeypatch.setattr(incremental_mod, "save_state", saving)
    with pytest.raises(duckdb.IOException, match="disk full"):
        build_warehouse(landed, as_of=AS_OF)
    assert _left_behind(landed) == []


def test_out_of_memory_in_the_warehouse_gate_names_the_table(landed, monkeypatch):
    from pipeline.quality.gate import check_tables
    from pipeline.quality.suites import QualityProject

    built = build_warehouse(landed, as_of=AS_OF)
    original = QualityProject.validate_sql
    checked: list[str] = []

    def validating(self, name, *args, **kwargs):
        checked.append(name)
        if name == "collaborator_edges_directed":
            raise duckdb.OutOfMemoryException(PIN)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(QualityProject, "validate_sql", validating)
    try:
        with pytest.raises(BuildOutOfMemoryError) as caught:
            check_tables(built.path, today=AS_OF, memory_limit="500MB")
        assert "collaborator_edges" in checked  # the tables before it were checked
        assert str(caught.value).startswith(
            "the warehouse gate ran out of memory in collaborator_edges_directed under DuckDB's memory limit of 476.8 MiB"
        )
        assert str(caught.value).endswith(
            "nothing was published: raise PIPELINE_DUCKDB_MEMORY_LIMIT (e.g. 2GB) and run again"
        )
        with pytest.raises(BuildOutOfMemoryError, match=r"; the published warehouse is as it was: raise "):
            check_tables(built.path, today=AS_OF, outcome="the published warehouse is as it was")
    finally:
        build_mod.discard_build(built.path)
