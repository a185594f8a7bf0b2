"""The export of the marts runs under its own DuckDB memory limit, ``Settings.export_memory_limit``
(``PIPELINE_EXPORT_MEMORY_LIMIT``), applied to the export's connection by the publish step."""

from __future__ import annotations

import duckdb
import pytest

import pipeline.warehouse.build as build_mod
from pipeline.config import Settings
from pipeline.run import build, collect_inputs, land_sources


def _spelled(limit: str) -> str:
    """How DuckDB reports a memory limit once set (e.g. "77MB" -> "73.4 MiB")."""
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit = '{limit}'")
        return con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def landed(tmp_path_factory) -> Settings:
    settings = Settings(data_dir=tmp_path_factory.mktemp("export") / "data")
    land_sources(collect_inputs(["sample"]), settings)
    return settings


def _limits_seen_by_the_export(settings: Settings, monkeypatch) -> list[str]:
    seen: list[str] = []
    original = build_mod.export_profiles

    def recording(con, *args, **kwargs):
        seen.append(con.execute("select current_setting('memory_limit')").fetchall()[0][0])
        return original(con, *args, **kwargs)

    monkeypatch.setattr(build_mod, "export_profiles", recording)
    build(settings, rebuild=True)
    return seen


def test_the_export_memory_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PIPELINE_EXPORT_MEMORY_LIMIT", "77MB")
    assert Settings().export_memory_limit == "77MB"
    monkeypatch.delenv("PIPELINE_EXPORT_MEMORY_LIMIT")
    assert Settings().export_memory_limit == "384MB"  # fixed, not a share of the machine's RAM


@pytest.mark.parametrize("limit", ["77MB", "300MB"])
def test_the_publish_step_applies_the_export_memory_limit(landed, monkeypatch, limit):
    settings = landed.model_copy(update={"export_memory_limit": limit})
    assert _limits_seen_by_the_export(settings, monkeypatch) == [_spelled(limit)]
    assert _spelled("77MB") != _spelled("300MB")


def test_the_documents_memory_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("PIPELINE_DOCUMENTS_MEMORY_LIMIT", "99MB")
    assert Settings().documents_memory_limit == "99MB"
    monkeypatch.setenv("PIPELINE_DOCUMENTS_MEMORY_LIMIT", "")
    assert Settings().documents_memory_limit == ""  # empty: the export's limit throughout (as None)
    monkeypatch.delenv("PIPELINE_DOCUMENTS_MEMORY_LIMIT")
    assert Settings().documents_memory_limit == "160MB"


@pytest.mark.parametrize(
    ("export_limit", "documents_limit", "rendered_under"),
    [("300MB", "64MB", "64MB"), ("300MB", "", "300MB"), ("300MB", None, "300MB"), ("77MB", "160MB", "77MB")],
)
def test_the_documents_render_under_their_own_limit_after_the_preparation(
    landed, monkeypatch, export_limit, documents_limit, rendered_under
):
    """The tables the documents read are prepared, and the works' texts written, under the export's
    limit; the chunks render under ``documents_memory_limit`` when it is lower (empty or None: the
    export's limit throughout; a higher one does not raise the export's)."""
    import pipeline.warehouse.profile_documents as documents

    settings = landed.model_copy(
        update={"export_memory_limit": export_limit, "documents_memory_limit": documents_limit}
    )
    prepared, rendered = [], []
    original_texts, original_batch = documents._WorkTexts.__init__, documents._batch

    def texts(self, cursor, *args, **kwargs):
        prepared.append(cursor.execute("select current_setting('memory_limit')").fetchall()[0][0])
        original_texts(self, cursor, *args, **kwargs)

    def batch(cursor, *args, **kwargs):
        rendered.append(cursor.execute("select current_setting('memory_limit')").fetchall()[0][0])
        return original_batch(cursor, *args, **kwargs)

    monkeypatch.setattr(documents._WorkTexts, "__init__", texts)
    monkeypatch.setattr(documents, "_batch", batch)
    build(settings, rebuild=True)
    assert prepared == [_spelled(export_limit)]
    assert rendered and set(rendered) == {_spelled(rendered_under)}
