"""Arrow/Parquet and DuckDB types come from the row models, not inference."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from pipeline.schemas.lake import PlatformEventRow, WorkRow
from pipeline.schemas.types import arrow_schema, duckdb_columns


def test_arrow_schema_follows_the_model():
    schema = arrow_schema(WorkRow)
    assert schema.names == list(WorkRow.model_fields)
    assert schema.field("work_id").type == pa.string() and not schema.field("work_id").nullable
    assert schema.field("publication_year").type == pa.int64() and schema.field("publication_year").nullable
    assert schema.field("updated_date").type == pa.timestamp("us")
    authorship = schema.field("authorships").type.value_type
    assert authorship.field("institution_ids").type == pa.list_(pa.string())


def test_all_null_batch_keeps_declared_types():
    row = {name: None for name in PlatformEventRow.model_fields}
    row.update(event_id="e1", type="author.followed", author_id="A1", record_source="s", source_file="f", line_number=1)
    row["occurred_at"] = __import__("datetime").datetime(2024, 1, 1)
    table = pa.Table.from_pylist([row], schema=arrow_schema(PlatformEventRow))
    assert table.schema.field("actor_id").type == pa.string()


def test_duckdb_ddl_matches_arrow_types():
    con = duckdb.connect()
    con.execute(f"create table t ({duckdb_columns(WorkRow)})")
    types = dict(
        con.execute("select column_name, data_type from information_schema.columns where table_name='t'").fetchall()
    )
    assert types["cited_by_count"] == "BIGINT"
    assert types["publication_date"] == "DATE"
    assert types["authorships"].startswith("STRUCT(author_id VARCHAR")
    assert types["authorships"].endswith("[]")
