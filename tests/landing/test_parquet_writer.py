"""Atomic writes: readers see the old file or the new one, never a partial one."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.storage.parquet import StagedParquet
from pipeline.storage.store import Store

SCHEMA = pa.schema([pa.field("x", pa.int64())])


def test_nothing_is_visible_until_commit(tmp_path):
    store = Store(tmp_path)
    final = store.join("a", "part.parquet")
    staged = StagedParquet(store, final, SCHEMA, batch_rows=2)
    for i in range(5):
        staged.append({"x": i})
    staged.close()
    assert not store.exists(final) and store.exists(staged.tmp_path)
    assert store.files("a/*") == []  # temp files are never listed as committed
    staged.commit()
    assert pq.read_table(final).column("x").to_pylist() == [0, 1, 2, 3, 4]
    assert not store.exists(staged.tmp_path)


def test_abort_leaves_the_previous_file_untouched(tmp_path):
    store = Store(tmp_path)
    final = store.join("part.parquet")
    pq.write_table(pa.table({"x": [42]}, schema=SCHEMA), final)
    staged = StagedParquet(store, final, SCHEMA)
    staged.append({"x": 1})
    staged.abort()
    assert pq.read_table(final).column("x").to_pylist() == [42]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part.parquet"]


def test_a_batch_is_the_table_from_pylist_gives(tmp_path):
    """Rows are converted as one struct array: the same table (and file) as ``Table.from_pylist``
    with the schema, nested lists of structs, nulls, missing keys and non-ASCII text included, and
    the same error for a value the column cannot hold."""
    from datetime import date, datetime

    from pipeline.schemas.lake import WorkRow
    from pipeline.schemas.types import arrow_schema

    schema = arrow_schema(WorkRow).with_metadata({b"k": b"v"})
    authorship = {
        "author_id": "A1",
        "display_name": "Zoë",
        "orcid": None,
        "author_position": "first",
        "position_index": 0,
        "is_corresponding": True,
        "institution_ids": ["I1", "I2"],
    }
    topic = {"topic_id": "T1", "display_name": None, "score": 1, "subfield": "s", "field": None, "domain": "d"}
    rows = [
        {
            "work_id": f"W{i}",
            "doi": None if i % 3 else "10.1/x",
            "title": "t" * i,
            "publication_year": 2000 + i if i % 2 else None,
            "publication_date": date(2020, 1, 1 + i % 28),
            "type": "article",
            "cited_by_count": i,
            "source_id": "S1",
            "source_display_name": "日本",
            "abstract": None if i % 2 else "an abstract",
            "is_retracted": [None, False, True][i % 3],
            "primary_topic_id": "T1",
            "authorships": [authorship] * (i % 4),
            "topics": [topic, {**topic, "score": 0.5}][: i % 3],
            "updated_date": datetime(2025, 1, 2, 3, 4, 5, i),
            "created_date": None,
            "record_source": "openalex-snapshot",
            "source_file": "/f.gz",
            "line_number": i + 1,
        }
        for i in range(11)
    ]
    del rows[3]["doi"], rows[4]["created_date"]  # a missing key is a null, as in from_pylist
    store = Store(tmp_path)
    final = store.join("part.parquet")
    staged = StagedParquet(store, final, schema, batch_rows=4)
    for row in rows:
        staged.append(row)
    staged.commit()
    reference = tmp_path / "reference.parquet"
    with pq.ParquetWriter(reference, schema, compression="zstd") as writer:
        for start in range(0, len(rows), 4):
            writer.write_table(pa.Table.from_pylist(rows[start : start + 4], schema=schema))
    assert pq.read_table(final).equals(pq.read_table(reference), check_metadata=True)
    assert (tmp_path / "part.parquet").read_bytes() == reference.read_bytes()

    for bad in (
        {"cited_by_count": "1"},
        {"cited_by_count": 2**64},
        {"title": 1},
        {"topics": [{**topic, "score": "x"}]},
    ):
        row = {**rows[0], **bad}
        with pytest.raises(Exception) as expected:  # noqa: PT011 - whatever pyarrow raises
            pa.Table.from_pylist([row], schema=schema)
        with pytest.raises(type(expected.value), match=re.escape(str(expected.value))):
            StagedParquet(store, store.join("bad.parquet"), schema, batch_rows=1).append(row)


def test_write_batches_streams_casts_and_commits(tmp_path):
    from pipeline.storage.parquet import write_batches

    store = Store(tmp_path)
    final = store.join("h", "part.parquet")
    narrow = pa.schema([pa.field("x", pa.int32())])
    batches = (pa.record_batch([pa.array([i, i + 1], pa.int32())], schema=narrow) for i in (0, 2, 4))
    write_batches(store, SCHEMA, batches, final)
    table = pq.read_table(final)
    assert table.schema == SCHEMA and table.column("x").to_pylist() == [0, 1, 2, 3, 4, 5]
    assert sorted(p.name for p in (tmp_path / "h").iterdir()) == ["part.parquet"]


def test_write_batches_failing_midway_leaves_the_previous_file(tmp_path):
    from pipeline.storage.parquet import write_batches

    store = Store(tmp_path)
    final = store.join("part.parquet")
    pq.write_table(pa.table({"x": [42]}, schema=SCHEMA), final)

    def batches():
        yield pa.record_batch([pa.array([1], pa.int64())], schema=SCHEMA)
        raise RuntimeError("the source went away")

    with pytest.raises(RuntimeError, match="went away"):
        write_batches(store, SCHEMA, batches(), final)
    assert pq.read_table(final).column("x").to_pylist() == [42]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["part.parquet"]
