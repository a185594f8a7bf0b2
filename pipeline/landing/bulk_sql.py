"""Compile a pydantic input model into one DuckDB expression that checks a JSON line against the
model and yields the validated values, for the bulk landing path (:mod:`pipeline.landing.bulk`).

Everything here is generated from the model: its fields (names, aliases, defaults, nullability),
their types (str, int, float, bool, date, datetime, nested models, lists, ``dict[str, T]``), the
constraints in their metadata (``ge``/``le``) and their validators, each of which must have an SQL
twin in :data:`VALIDATORS` (the id and DOI/ORCID normalisers of :mod:`pipeline.schemas.ids`, the
``null -> []`` of the OpenAlex lists). A model with anything else (another validator, a constraint
or type not listed here, a model validator, ``extra`` other than ignore, strict mode, alias paths)
is not compiled: :class:`NotCompilable`, and its table lands record by record as before.

The check is conservative by construction: every value must be in the one canonical JSON form
whose pydantic result is certain (a JSON string for ``str``, a plain JSON integer for ``int``, a
finite number for ``float``, ``true``/``false``, ISO ``YYYY-MM-DD[THH:MM:SS[.ffffff]]`` dates, no
duplicate keys in any declared object); pydantic accepts more (``"2020"`` for an int, ``3.0``,
``"yes"``, time zones ...), and those lines simply take the per-record path, which decides.

DuckDB's ``json_transform`` cannot tell a JSON ``null`` from a missing key, so a field for which
the two mean different things (``cited_by_count: int = 0``: missing is 0, null is an error, or a
required field) accepts neither here.

The result is a chain of CTEs, one per object level (a nested model read from its JSON text as a
MAP, a list of models unnested to one row per element and aggregated back in order), ending in one
with ``i``, ``ok`` and ``v``: ``v`` mirrors the validated model (field names, nested models as
STRUCTs, lists, dicts as lists of ``{k, v}`` in key order), and is meaningful only where ``ok``.
"""

from __future__ import annotations

import inspect
import itertools
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import annotated_types
from pydantic import AliasChoices, AliasPath, BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from pipeline.schemas import ids


class NotCompilable(Exception):
    """The model uses something without an exact SQL twin here: land its records one by one."""


def _string(y: str) -> str:
    return f"(left({y}, 1) = '\"')"


def _text(y: str) -> str:
    return f"({y} ->> '$')"


def _openalex_id(letter: str) -> Callable[[str], tuple[str, str]]:
    def sql(y: str) -> tuple[str, str]:
        pattern = f"(https://openalex\\.org/)?[{letter}{letter.lower()}][0-9]+"
        ok = f"{_string(y)} AND regexp_full_match({_text(y)}, '{pattern}')"
        return ok, f"'{letter}' || regexp_extract({_text(y)}, '[0-9]+$')"

    return sql


def _short_id(y: str) -> tuple[str, str]:
    # No whitespace at all (str.strip() is a no-op then); the first matching URL prefix is cut.
    ok = f"{_string(y)} AND regexp_full_match({_text(y)}, '[!-~]+')"
    return ok, f"regexp_replace({_text(y)}, '^(https://openalex\\.org/|http://openalex\\.org/|openalex\\.org/)', '')"


def _orcid(y: str) -> tuple[str, str]:
    pattern = "(https://orcid\\.org/)?[0-9]{4}-[0-9]{4}-[0-9]{4}-[0-9]{3}[0-9X]"
    ok = f"{_string(y)} AND ({_text(y)} = '' OR regexp_full_match({_text(y)}, '{pattern}'))"
    return ok, f"CASE WHEN {_text(y)} = '' THEN NULL ELSE right({_text(y)}, 19) END"


def _doi(y: str) -> tuple[str, str]:
    # Printable ASCII without surrounding spaces: str.strip() and str.lower() agree with SQL's.
    prefixes = "|".join(p.replace(".", "\\.") for p in ids._DOI_PREFIXES)
    ok = f"{_string(y)} AND ({_text(y)} = '' OR regexp_full_match({_text(y)}, '[!-~]([ -~]*[!-~])?'))"
    return ok, f"nullif(lower(regexp_replace({_text(y)}, '^({prefixes})', '', 'i')), '')"


def _validator_sql(func: Callable) -> Callable[[str], tuple[str, str]]:
    """The SQL twin of a before-validator: (JSON leaf text) -> (accept, value)."""
    if func is ids.short_id:
        return _short_id
    if func is ids.normalize_orcid:
        return _orcid
    if func is ids.normalize_doi:
        return _doi
    if func.__qualname__ == f"{ids._openalex_id.__qualname__}.<locals>.check" and func.__module__ == ids.__name__:
        letter = inspect.getclosurevars(func).nonlocals.get("letter")
        if isinstance(letter, str) and len(letter) == 1 and letter.isalpha():
            return _openalex_id(letter)
    raise NotCompilable(f"no SQL twin for validator {func.__module__}.{func.__qualname__}")


def _null_is_empty_funcs() -> set[Callable]:
    from pipeline.schemas import openalex

    return {openalex._null_is_empty}


_SCALAR_TYPES = {str: "VARCHAR", int: "BIGINT", float: "DOUBLE", bool: "BOOLEAN", date: "DATE", datetime: "TIMESTAMP"}
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_DATETIME = _DATE + "(T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?)?"


@dataclass(frozen=True)
class _Type:
    """A field's type, unwrapped: the base annotation, nullable, before-validators, bounds."""

    base: object
    nullable: bool
    validators: tuple[Callable, ...]
    ge: int | None
    le: int | None


def _unwrap(annotation: object, metadata: list) -> _Type:
    nullable = False
    validators: list[Callable] = []
    ge = le = None
    pending = list(metadata)
    while True:
        origin = typing.get_origin(annotation)
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                raise NotCompilable(f"union {annotation!r}")
            nullable, annotation = True, args[0]
        elif origin is typing.Annotated:
            annotation, *extra = typing.get_args(annotation)
            pending.extend(extra)
        else:
            break
    for item in pending:
        if isinstance(item, FieldInfo):
            pending.extend(item.metadata)
        elif isinstance(item, BeforeValidator):
            validators.append(item.func)
        elif isinstance(item, annotated_types.Ge):
            ge = item.ge
        elif isinstance(item, annotated_types.Le):
            le = item.le
        else:
            raise NotCompilable(f"constraint {item!r}")
    if validators and len(validators) > 1:
        raise NotCompilable(f"several validators on {annotation!r}")
    return _Type(annotation, nullable, tuple(validators), ge, le)


class _Compiler:
    """Generates one CTE chain per object level: a nested model is read from its JSON text as a MAP
    (NULL when not an object or when a key repeats), a list of models is unnested to one row per
    element and aggregated back in order; scalars are checked in place."""

    def __init__(self) -> None:
        self._names = itertools.count()
        self.ctes: list[str] = []

    def name(self, kind: str) -> str:
        return f"{kind}{next(self._names)}"

    # -- types -------------------------------------------------------------------------------
    def duck_type(self, t: _Type) -> str:
        base = t.base
        if isinstance(base, type) and issubclass(base, BaseModel):
            return self.model_type(base)
        origin = typing.get_origin(base)
        if origin is list:
            (item,) = typing.get_args(base)
            return f"{self.duck_type(_unwrap(item, []))}[]"
        if origin is dict:
            key, value = typing.get_args(base)
            if key is not str:
                raise NotCompilable(f"dict key {key!r}")
            return f"STRUCT(k VARCHAR, v {self.duck_type(_unwrap(value, []))})[]"
        if base in _SCALAR_TYPES:
            return _SCALAR_TYPES[base]
        raise NotCompilable(f"type {base!r}")

    def model_type(self, model: type[BaseModel]) -> str:
        members = ", ".join(f'"{n}" {self.duck_type(_field_type(i))}' for n, i in model.model_fields.items())
        return f"STRUCT({members})"

    # -- scalars -------------------------------------------------------------------------------
    def leaf(self, t: _Type, y: str) -> tuple[str, str]:
        """(accept, value) of a non-null scalar JSON text ``y``."""
        base = t.base
        if t.validators:
            if base is not str:
                raise NotCompilable(f"validator on {base!r}")
            return _validator_sql(t.validators[0])(y)
        if (t.ge is not None or t.le is not None) and base is not int:
            raise NotCompilable(f"bounds on {base!r}")
        if base is str:
            return _string(y), _text(y)
        if base is int:
            value = f"TRY_CAST({y} AS BIGINT)"
            ge = _INT_MIN if t.ge is None else t.ge
            le = _INT_MAX if t.le is None else t.le
            if not (isinstance(ge, int) and isinstance(le, int)):
                raise NotCompilable(f"bounds {ge!r}, {le!r}")
            ok = f"{value} IS NOT NULL AND CAST({value} AS VARCHAR) = {y}"
            return f"{ok} AND {value} >= {max(ge, _INT_MIN)} AND {value} <= {min(le, _INT_MAX)}", value
        if base is float:
            value = f"TRY_CAST({y} AS DOUBLE)"
            number = f"regexp_full_match({y}, '-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?')"
            exact = f"(NOT regexp_full_match({y}, '-?[0-9]+') OR abs({value}) < 9007199254740992)"
            return f"{number} AND isfinite({value}) AND {exact}", value
        if base is bool:
            return f"{y} IN ('true', 'false')", f"({y} = 'true')"
        if base is date or base is datetime:
            pattern, cast = (_DATE, "DATE") if base is date else (_DATETIME, "TIMESTAMP")
            value = f"TRY_CAST({_text(y)} AS {cast})"
            ok = f"{_string(y)} AND regexp_full_match({_text(y)}, '{pattern}') AND {_text(y)} >= '0001'"
            return f"{ok} AND {value} IS NOT NULL", value
        raise NotCompilable(f"type {base!r}")

    # -- levels ----------------------------------------------------------------------------------
    def level(self, model: type[BaseModel], src: str, keys: list[str], *, top: bool = False) -> str:
        """Compile ``model`` over ``src`` (columns ``keys`` and ``x``, the object's JSON text, or at the
        top ``t``, the STRUCT of the line's declared keys, and ``unique_keys``); returns the name of a
        CTE with ``keys``, ``ok`` and ``v``."""
        _check_model(model)
        k = ", ".join(keys)
        if top:
            base_cte = src
            whole = "unique_keys"
            s = "t"
        else:
            m, base_cte = self.name("m"), self.name("lvl")
            declared = ", ".join(f"{_quote(key)}: {m}[{_quote(key)}]" for key in top_keys(model))
            self.ctes.append(
                f"{base_cte} AS MATERIALIZED (SELECT {k}, x, CASE WHEN {m} IS NOT NULL THEN {{{declared}}} END AS s FROM "
                f"(SELECT {k}, x, json_transform(x, '\"MAP(VARCHAR, JSON)\"') AS {m} FROM {src}))"
            )
            whole, s = "s IS NOT NULL", "s"
        # per-row columns computed once, before the children read them: arrays and maps of JSON texts
        extra: dict[str, str] = {}
        for name, info in model.model_fields.items():
            origin = typing.get_origin(_field_type(info).base)
            for key in _input_keys(model, name, info):
                y = f'{s}."{key}"'
                if origin is list:
                    extra[y] = f"json_transform({y}, '[\"JSON\"]')"
                elif origin is dict:
                    extra[y] = f"json_transform({y}, '\"MAP(VARCHAR, JSON)\"')"
        columns = {y: self.name("col") for y in extra}
        if extra:
            with_extra = self.name("x")
            listed = ", ".join(f"{expr} AS {columns[y]}" for y, expr in extra.items())
            self.ctes.append(f"{with_extra} AS MATERIALIZED (SELECT *, {listed} FROM {base_cte})")
            base_cte = with_extra
        joins: list[str] = []
        oks: list[str] = [whole]
        values: list[str] = []
        for name, info in model.model_fields.items():
            ok, value = self.field(model, name, info, s, keys, base_cte, columns, joins)
            oks.append(ok)
            values.append(f"{_quote(name)}: {value}")
        out = self.name("r")
        oks_sql = " AND ".join(f"coalesce({o}, false)" for o in oks)
        self.ctes.append(
            f"{out} AS MATERIALIZED (SELECT {', '.join(f'{base_cte}.{c}' for c in keys)}, {oks_sql} AS ok, "
            f"{{{', '.join(values)}}} AS v FROM {base_cte} {' '.join(joins)})"
        )
        return out

    def field(self, model, name, info, s, keys, base_cte, extra, joins) -> tuple[str, str]:
        t = _field_type(info)
        null_list = any(
            getattr(d.func, "__func__", d.func) in _null_is_empty_funcs()
            for d in model.__pydantic_decorators__.field_validators.values()
            if name in d.info.fields and d.info.mode == "before"
        )
        duck = self.duck_type(t)
        if null_list:  # null and missing are both []
            null_ok, null_value = "true", f"CAST([] AS {duck})"
        elif not info.is_required() and t.nullable and info.default is None and info.default_factory is None:
            null_ok, null_value = "true", f"CAST(NULL AS {duck})"
        else:  # required, or missing means the default and null an error: neither is sure
            null_ok, null_value = "false", f"CAST(NULL AS {duck})"
        input_keys = _input_keys(model, name, info)
        results = [self.value(t, f'{s}."{key}"', keys, base_cte, extra, joins) for key in input_keys]
        pairs = [
            (
                f'CASE WHEN {s}."{key}" IS NULL THEN {null_ok} ELSE {ok} END',
                f'CASE WHEN {s}."{key}" IS NULL THEN {null_value} ELSE {value} END',
            )
            for key, (ok, value) in zip(input_keys, results, strict=True)
        ]
        if len(pairs) == 1:
            return pairs[0]
        # alias first (pydantic reads it first), then the name: sure only when the alias is given
        # or neither is; every given value must be valid.
        given = " AND ".join(f'{s}."{key}" IS NULL' for key in input_keys[1:])
        ok = " AND ".join(f"coalesce({o}, false)" for o, _ in pairs)
        return f'({ok} AND ({s}."{input_keys[0]}" IS NOT NULL OR ({given})))', pairs[0][1]

    def value(self, t: _Type, y: str, keys, base_cte, extra, joins) -> tuple[str, str]:
        """(accept, value) of the non-null JSON text ``y`` of one field."""
        base = t.base
        origin = typing.get_origin(base)
        if isinstance(base, type) and issubclass(base, BaseModel):
            child_key = self.name("k")
            src = self.name("one")
            k = ", ".join(keys)
            self.ctes.append(
                f"{src} AS MATERIALIZED (SELECT {k}, 1 AS {child_key}, {y} AS x FROM {base_cte} WHERE {y} IS NOT NULL)"
            )
            child = self.level(base, src, [*keys, child_key])
            alias = self.name("j")
            joins.append(f"LEFT JOIN {child} AS {alias} USING ({k})")
            return f"coalesce({alias}.ok, false)", f"{alias}.v"
        if origin is list:
            (item_annotation,) = typing.get_args(base)
            item = _unwrap(item_annotation, [])
            arr = extra[y]
            if isinstance(item.base, type) and issubclass(item.base, BaseModel):
                child_key = self.name("k")
                src = self.name("each")
                k = ", ".join(keys)
                self.ctes.append(
                    f"{src} AS MATERIALIZED (SELECT {k}, unnest(range(len({arr}))) AS {child_key}, unnest({arr}) AS x "
                    f"FROM {base_cte} WHERE {arr} IS NOT NULL)"
                )
                child = self.level(item.base, src, [*keys, child_key])
                agg, alias = self.name("agg"), self.name("j")
                self.ctes.append(
                    f"{agg} AS MATERIALIZED (SELECT {k}, bool_and(ok) AS ok, list(v ORDER BY {child_key}) AS v "
                    f"FROM {child} GROUP BY {k})"
                )
                joins.append(f"LEFT JOIN {agg} AS {alias} USING ({k})")
                duck = self.duck_type(t)
                return (
                    f"({arr} IS NOT NULL AND coalesce({alias}.ok, true))",
                    f"coalesce({alias}.v, CAST([] AS {duck}))",
                )
            e = self.name("e")
            ok, value = self.leaf(item, e)
            null_ok = "true" if item.nullable else "false"
            item_duck = self.duck_type(item)
            return (
                f"({arr} IS NOT NULL AND NOT list_contains(list_transform({arr}, lambda {e}: "
                f"CASE WHEN {e} IS NULL THEN {null_ok} ELSE coalesce({ok}, false) END), false))",
                f"list_transform({arr}, lambda {e}: CAST({value} AS {item_duck}))",
            )
        if origin is dict:
            _, value_annotation = typing.get_args(base)
            inner = _unwrap(value_annotation, [])
            if not (
                typing.get_origin(inner.base) is list
                and _unwrap(typing.get_args(inner.base)[0], []) == _Type(int, False, (), None, None)
                and not inner.nullable
                and not inner.validators
            ):
                raise NotCompilable(f"dict of {value_annotation!r}")
            m, e = extra[y], self.name("e")
            # every value a JSON array of plain integers (minified by DuckDB: [0,5]), at most 18 digits
            ok = (
                f"({m} IS NOT NULL AND NOT list_contains(list_transform(map_values({m}), lambda {e}: "
                f"coalesce(regexp_full_match({e}, '\\[([0-9]{{1,18}}(,[0-9]{{1,18}})*)?\\]'), false)), false))"
            )
            value = (
                f"list_transform(map_entries({m}), lambda {e}: "
                f"{{'k': {e}.key, 'v': json_transform({e}.value, '[\"BIGINT\"]')}})"
            )
            return ok, value
        ok, value = self.leaf(t, y)
        return f"coalesce({ok}, false)", f"CAST({value} AS {self.duck_type(t)})"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _field_type(info: FieldInfo) -> _Type:
    return _unwrap(info.annotation, list(info.metadata))


def _check_model(model: type[BaseModel]) -> None:
    config = model.model_config
    if config.get("extra", "ignore") != "ignore" or config.get("strict") or config.get("from_attributes"):
        raise NotCompilable(f"{model.__name__}: config {config!r}")
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.root_validators or decorators.validators:
        raise NotCompilable(f"{model.__name__} has model validators")
    for d in decorators.field_validators.values():
        if d.info.mode != "before" or getattr(d.func, "__func__", d.func) not in _null_is_empty_funcs():
            raise NotCompilable(f"{model.__name__}: field validator {d.cls_var_name}")
        for name in d.info.fields:
            if name == "*" or typing.get_origin(_field_type(model.model_fields[name]).base) is not list:
                raise NotCompilable(f"{model.__name__}: null -> [] on {name}")


def _input_keys(model: type[BaseModel], name: str, info: FieldInfo) -> list[str]:
    """The keys pydantic reads the field from, in the order it tries them."""
    if info.validation_alias is not None:
        if isinstance(info.validation_alias, AliasPath | AliasChoices):
            raise NotCompilable(f"{model.__name__}.{name}: alias {info.validation_alias!r}")
        alias = info.validation_alias
    else:
        alias = info.alias
    if alias is None or alias == name:
        return [name]
    if model.model_config.get("populate_by_name") or model.model_config.get("validate_by_name"):
        return [alias, name]
    return [alias]


def top_keys(model: type[BaseModel]) -> list[str]:
    """Every top-level key the model reads."""
    return list(dict.fromkeys(k for n, i in model.model_fields.items() for k in _input_keys(model, n, i)))


def compile_model(model: type[BaseModel], src: str) -> tuple[list[str], str]:
    """CTEs checking the lines of ``src`` (columns ``i``, ``t``: ``json_transform(line,
    top_structure(model))``, and ``unique_keys``) and the name of the last one, with ``i``,
    ``ok`` and ``v``."""
    compiler = _Compiler()
    out = compiler.level(model, src, ["i"], top=True)
    return compiler.ctes, out


def top_structure(model: type[BaseModel]) -> str:
    """The ``json_transform`` structure that keeps the model's top-level keys as JSON texts."""
    _check_model(model)
    return json.dumps(dict.fromkeys(top_keys(model), "JSON"))
