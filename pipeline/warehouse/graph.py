"""The model graph: which tables each SQL model reads, and the build order that
follows. Dependencies are read from the SQL itself (DuckDB's own parser, with
CTE scoping), never kept by hand, so a new model or a new join needs no edit
here. A cycle or a reference to a table that is neither a model nor a raw
input is a :class:`GraphError` before anything is built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache

import duckdb

from pipeline.errors import PipelineError


class GraphError(PipelineError):
    """The warehouse's SQL models do not form a buildable graph."""


@cache
def references(sql: str) -> frozenset[str]:
    """Names of the tables a query reads, excluding its own CTEs.

    A non-recursive CTE named like a table (``authorships as (select * from
    authorships)``) reads the table, as in SQL itself.
    """
    tables, _ = _names(sql)
    return tables


@cache
def functions(sql: str) -> frozenset[str]:
    """Names of the functions (and macros) a query calls."""
    _, called = _names(sql)
    return called


def _names(sql: str) -> tuple[frozenset[str], frozenset[str]]:
    try:
        text = duckdb.execute("select json_serialize_sql(?)", [sql]).fetchall()[0][0]
    except duckdb.Error as exc:  # pragma: no cover - json_serialize_sql reports errors in its JSON
        raise GraphError(f"cannot parse SQL: {exc}") from exc
    tree = json.loads(text)
    if tree.get("error"):
        raise GraphError(f"cannot parse SQL: {tree.get('error_message')}")
    found: set[str] = set()
    _visit(tree["statements"], frozenset(), found)
    called = {name for name in found if name.startswith("()")}
    return frozenset(found - called), frozenset(name[2:] for name in called)


def _visit(node: object, scope: frozenset[str], found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _visit(item, scope, found)
        return
    if not isinstance(node, dict):
        return
    entries = (node.get("cte_map") or {}).get("map") or []
    if entries:
        local = set(scope)
        for entry in entries:
            name = entry["key"]
            body = entry["value"]
            recursive = (body.get("query_node") or {}).get("type") == "RECURSIVE_CTE_NODE"
            _visit(body, frozenset(local | {name}) if recursive else frozenset(local), found)
            local.add(name)
        scope = frozenset(local)
    if node.get("class") == "FUNCTION" and node.get("function_name"):
        found.add("()" + node["function_name"])
    if node.get("type") == "BASE_TABLE" and node.get("table_name"):
        name = node["table_name"]
        if name not in scope:
            found.add(name)
    for key, value in node.items():
        if key != "cte_map":
            _visit(value, scope, found)


def build_order(dependencies: dict[str, Iterable[str]], inputs: Iterable[str]) -> list[str]:
    """Models in an order where each comes after everything it reads.

    ``dependencies`` maps each model to the names it reads; ``inputs`` are names
    that exist before the build (the raw views). Ties are broken by name, so the
    order is stable.
    """
    known_inputs = set(inputs)
    needs: dict[str, set[str]] = {}
    for model, reads in dependencies.items():
        unknown = sorted(set(reads) - set(dependencies) - known_inputs)
        if unknown:
            raise GraphError(
                f"model {model} reads {', '.join(unknown)}, which is neither a model nor a raw input "
                f"(models: warehouse/**/*.sql; raw inputs: {', '.join(sorted(known_inputs))})"
            )
        needs[model] = {name for name in reads if name in dependencies and name != model}
        if model in reads:
            raise GraphError(f"model {model} reads itself")
    order: list[str] = []
    ready = sorted(m for m, n in needs.items() if not n)
    while ready:
        model = ready.pop(0)
        order.append(model)
        for other in sorted(needs):
            if model in needs[other]:
                needs[other].discard(model)
                if not needs[other] and other not in order and other not in ready:
                    ready.append(other)
        ready.sort()
    left = sorted(m for m in needs if m not in order)
    if left:
        raise GraphError(f"the models form a cycle: {_cycle(left, dependencies)}")
    return order


def _cycle(left: list[str], dependencies: dict[str, Iterable[str]]) -> str:
    """One cycle among ``left``, as ``a -> b -> a``."""
    path = [left[0]]
    while True:
        step = next(n for n in sorted(set(dependencies[path[-1]])) if n in left)
        if step in path:
            return " -> ".join([*path[path.index(step) :], step])
        path.append(step)
