"""Atomic writes: readers see the old file or the new one, never a partial one."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

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
