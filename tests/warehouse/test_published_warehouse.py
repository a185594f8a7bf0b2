"""What analysts and apps see in the built warehouse: comments on every table and
column, honest column types, and a data dictionary that matches the contracts."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq
import pytest
from data_paths import publish_dir, warehouse_path

from pipeline.run import build, collect_inputs, land_sources
from pipeline.warehouse import dictionary
from pipeline.warehouse.models import models


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from pipeline.config import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("wh") / "data")
    land_sources(collect_inputs(["sample"]), settings)
    build(settings)
    return settings


def test_every_table_and_column_has_a_comment(built):
    con = duckdb.connect(str(warehouse_path(built)), read_only=True)
    try:
        persisted = {m.name: m for m in models() if m.persisted}
        relations = dict(
            con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'main' "
                "union all select view_name, comment from duckdb_views() where schema_name = 'main' and not internal"
            ).fetchall()
        )
        assert set(relations) == set(persisted)
        assert all(comment and comment.startswith("Grain: ") for comment in relations.values()), relations
        columns = con.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'main' and not internal"
        ).fetchall()
    finally:
        con.close()
    for table, column, comment in columns:
        assert comment == persisted[table].contract.columns[column], (table, column)


def test_counts_are_bigint_in_duckdb_and_int64_in_parquet(built):
    con = duckdb.connect(str(warehouse_path(built)), read_only=True)
    try:
        types = con.execute(
            "select table_name, column_name, data_type from duckdb_columns() where schema_name = 'main' "
            "and (column_name like '%_count' or column_name = 'shared_works')"
        ).fetchall()
    finally:
        con.close()
    assert types and {kind for _, _, kind in types} == {"BIGINT"}, types
    for path in publish_dir(built).glob("*.parquet"):
        schema = pq.read_schema(path)
        for name in schema.names:
            if name.endswith("_count") or name == "shared_works":
                assert str(schema.field(name).type) == "int64", (path.name, name)


def test_the_data_dictionary_is_up_to_date():
    assert dictionary.OUT.read_text(encoding="utf-8") == dictionary.render(), (
        "stale: run `python -m pipeline.warehouse.dictionary`"
    )
