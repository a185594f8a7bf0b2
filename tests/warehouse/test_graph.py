"""The build order comes from the SQL itself; a cycle, an unknown table or a
broken layering rule is a clear error before anything is built."""

from __future__ import annotations

import pytest

from pipeline.warehouse.graph import GraphError, build_order, references
from pipeline.warehouse.inputs import raw_input_names
from pipeline.warehouse.models import Macro, Model, models, plan


def _write(root, key, sql, materialized="temp"):
    path = root / f"{key}.sql"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sql)
    path.with_suffix(".yml").write_text(
        f"table: {key.rsplit('/', 1)[1]}\ngrain: one row per x\nmaterialized: {materialized}\n"
    )


def test_references_respect_cte_scoping():
    sql = """
        with authorships as (select * from authorships),  -- the CTE reads the table of the same name
        works as (select * from works join authorships using (work_id))
        select * from works, unnest(works.topics) as t(topic)
    """
    assert references(sql) == {"authorships", "works"}
    assert (
        references("with recursive walk(x) as (select 1 union all select x + 1 from walk) select * from walk") == set()
    )


def test_every_model_builds_after_what_it_reads():
    steps = plan(raw_input_names())
    position = {(s.name if isinstance(s, Model | Macro) else s): i for i, s in enumerate(steps)}
    for step in steps:
        for name in step.reads:
            assert name in raw_input_names() or position[name] < position[step.name], (step.name, name)
    names = [m.name for m in models()]
    assert names.index("int_works__latest") < names.index("int_authorships") < names.index("profiles")
    assert position["merged_author_ids"] < position["stg_openalex__authorships"]


def test_build_order_is_stable_and_follows_dependencies():
    order = build_order({"c": {"b"}, "b": {"raw_x"}, "a": {"raw_x"}, "d": {"a", "c"}}, {"raw_x"})
    assert order == ["a", "b", "c", "d"]


def test_a_cycle_is_an_error_naming_it():
    with pytest.raises(GraphError, match=r"cycle: (a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c)"):
        build_order({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"raw_x"}}, {"raw_x"})


def test_an_unknown_reference_is_an_error_naming_it():
    with pytest.raises(GraphError, match="model a reads nowhere, which is neither a model nor a raw input"):
        build_order({"a": {"raw_x", "nowhere"}}, {"raw_x"})


def test_a_cycle_in_sql_files_fails_the_plan(tmp_path):
    _write(tmp_path, "intermediate/int_a", "select * from int_b")
    _write(tmp_path, "intermediate/int_b", "select * from int_a")
    with pytest.raises(GraphError, match="cycle"):
        plan({"raw_works"}, tmp_path)


def test_layers_mean_what_they_say(tmp_path):
    _write(tmp_path, "staging/stg_a", "select * from raw_works join raw_authors using (x)")
    with pytest.raises(
        GraphError, match="staging/stg_a reads raw_authors, raw_works: a staging model reads exactly one"
    ):
        plan({"raw_works", "raw_authors"}, tmp_path)


def test_a_mart_table_may_not_read_another_mart(tmp_path):
    _write(tmp_path, "staging/stg_a", "select * from raw_works")
    _write(tmp_path, "marts/one", "select * from stg_a", materialized="table")
    _write(tmp_path, "marts/two", "select * from one", materialized="table")
    with pytest.raises(GraphError, match="marts/two reads one: a mart table reads staging and intermediate"):
        plan({"raw_works"}, tmp_path)


def test_every_model_has_a_contract_with_every_column_described():
    from pipeline.warehouse.dictionary import empty_schemas

    schemas = empty_schemas()
    for model in models():
        built = [column for column, _ in schemas[model.name]]
        assert list(model.contract.columns) == built, f"{model.key}.yml columns differ from the SQL's"
        assert all(model.contract.columns.values()), f"{model.key}.yml has a column without a description"
        assert model.contract.grain, model.key
