"""The landing fast path: project each JSON line to the fields the contract declares, then validate
the projection with the same pydantic model.

An OpenAlex work is ~12 KB of JSON of which the contract reads a small part (ids, titles,
authorships, topics, the abstract); ``model_validate_json`` parses all of it. Here a msgspec
decoder, generated from the pydantic model, keeps only the declared keys (at every level of nested
models) and skips the rest at C speed; pydantic then validates the small projected dict. The
pydantic models stay the single source of the contract: the projection is derived from
``model_fields`` and declares no type of its own (leaves are ``Any``), so every check is pydantic's.

Anything the fast path is not sure about goes to the plain path (``model_validate_json`` on the
whole line, exactly as before), which then accepts or rejects with pydantic's own message:

- the decoder rejects the line (bad JSON, NaN/Infinity, numbers out of float range, a value of the
  wrong shape for a nested model, ...), or pydantic rejects the projection;
- the line is not valid UTF-8 (msgspec does not check bytes it skips; pydantic does);
- the line nests deeper than :data:`MAX_DEPTH` (pydantic's JSON parser refuses depth 200, msgspec
  only stops at Python's recursion limit).

The projection is validated by pydantic-core with the model's own core schema in which every model
node is read as a typed dict (:func:`data_validator`): the same field schemas, validators, aliases,
defaults and constraints, without building ~30 model instances per work (2-3x faster). Its output
is what ``model_dump()`` of the validated model gives, and the model's ``row_from_data`` flattens it
(``to_row()`` is ``row_from_data(model_dump())``, one mapping for both paths). Only schemas made of
node types known to behave the same on dict input are converted (:data:`_DATA_NODES`); any other
model keeps model validation. Top-level container fields made only of ``str``/``int``/``list``/
``dict[str, ...]`` with no constraint or validator (the abstract's ``dict[str, list[int]]``, ~2/3 of
the validation of a work) are checked by the msgspec decoder with their declared type instead
(:func:`decoder_checked`: msgspec is the stricter, what it accepts pydantic accepts unchanged) and
taken as they are; a line the decoder refuses takes the plain path.

So a line is quarantined only when plain pydantic rejects it, with the same message as before; a
line accepted by the fast path is one pydantic accepts whole, with the same row
(``tests/landing/test_fastpath.py`` holds the two to the same verdict).

A model can be projected only if nothing in it looks past its declared fields: ``extra="ignore"``,
no ``model_validator(mode="before"|"wrap")``, and no before/wrap/plain validator on a field that
holds a nested model, unless the validator is marked :func:`projection_safe` (it looks at the value
as a whole, e.g. ``null -> []``). Otherwise that field (or the whole model) is decoded unprojected.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, TypedDict

import msgspec
from pydantic import AliasChoices, AliasPath, BaseModel
from pydantic_core import SchemaValidator

# pydantic's JSON parser stops at 200 levels of nesting; stay below (deeper lines take the plain path).
MAX_DEPTH = 180
_NOT_STRUCTURE = bytes(range(256)).translate(None, b'"[]{}')  # every byte but quotes and brackets
_NOT_OPENINGS = bytes(range(256)).translate(None, b"[{")


def _openings_counted(raw: bytes) -> int:
    """How many ``[`` and ``{`` the line holds, inside strings or not."""
    return len(raw.translate(None, _NOT_OPENINGS))


try:  # numpy (optional for pyarrow) counts them in a third of the time
    from numpy import count_nonzero, frombuffer, uint8
except ImportError:  # pragma: no cover - numpy comes with pandas here
    _openings = _openings_counted
else:

    def _openings(raw: bytes) -> int:
        """How many ``[`` and ``{`` the line holds: the bytes b with ``b | 32 == 123`` (91 and 123)."""
        return int(count_nonzero((frombuffer(raw, uint8) | 32) == 123))


F = typing.TypeVar("F", bound=Callable)


def projection_safe(func: F) -> F:
    """Mark a field validator as looking at the value as a whole (e.g. ``None -> []``), never at
    keys inside it, so the field's nested model can still be projected to its declared fields."""
    func.__projection_safe__ = True
    return func


class _NotProjectable(Exception):
    pass


def _contains_model(annotation: object) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_contains_model(a) for a in typing.get_args(annotation))


def _input_keys(name: str, info) -> list[str]:
    """Every key pydantic may read this field from (extra keys are harmless: pydantic ignores them)."""
    keys = [name]
    if info.alias:
        keys.append(info.alias)
    alias = info.validation_alias
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias] if alias is not None else []
    for choice in choices:
        if isinstance(choice, str):
            keys.append(choice)
        elif isinstance(choice, AliasPath):
            first = choice.path[0]
            if not isinstance(first, str):
                raise _NotProjectable(f"alias path {choice.path!r}")
            keys.append(first)  # the path's first key, unprojected below (see _field_types)
        else:
            raise _NotProjectable(f"alias {choice!r}")
    return list(dict.fromkeys(keys))


def _unsafe_validator_fields(model: type[BaseModel]) -> tuple[bool, set[str]]:
    """(a model-level validator sees the raw input, names of fields whose validators see raw values)."""
    decorators = model.__pydantic_decorators__
    whole = any(d.info.mode in ("before", "wrap") for d in decorators.model_validators.values())
    fields: set[str] = set()
    for d in decorators.field_validators.values():
        if d.info.mode in ("before", "wrap", "plain") and not getattr(d.func, "__projection_safe__", False):
            fields.update(model.model_fields if "*" in d.info.fields else d.info.fields)
    for name, info in model.model_fields.items():
        for item in info.metadata:
            if getattr(item, "strict", None):  # strict differs between Python and JSON input
                raise _NotProjectable(f"{model.__name__}.{name} is strict")
            kind = type(item).__name__
            if kind in ("BeforeValidator", "WrapValidator", "PlainValidator"):
                if not getattr(item.func, "__projection_safe__", False):
                    fields.add(name)
    return whole, fields


def _projected(annotation: object, stack: tuple[type, ...]) -> object:
    """The msgspec type that keeps only declared keys of the models in ``annotation``; ``Any`` for
    everything else (pydantic checks the value). Always nullable: null goes to pydantic unchanged."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _projected(args[0], stack) if len(args) == 1 else Any
    if origin is typing.Annotated:
        return _projected(typing.get_args(annotation)[0], stack)
    if origin is list:
        (item,) = typing.get_args(annotation) or (Any,)
        inner = _projected(item, stack)
        return Any if inner is Any else list[inner] | None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in stack:
        try:
            return projection(annotation, stack) | None
        except _NotProjectable:
            return Any
    return Any


def projection(model: type[BaseModel], stack: tuple[type, ...] = ()) -> type:
    """A ``TypedDict`` (total=False) of the keys ``model`` reads, nested models projected in turn."""
    config = model.model_config
    if config.get("extra", "ignore") != "ignore" or config.get("strict") or config.get("from_attributes"):
        raise _NotProjectable(f"{model.__name__}: config {config!r}")
    whole, raw_fields = _unsafe_validator_fields(model)
    if whole:
        raise _NotProjectable(f"{model.__name__} has a model validator that sees the raw input")
    members: dict[str, object] = {}
    for name, info in model.model_fields.items():
        keys = _input_keys(name, info)
        kind: object
        if name in raw_fields or not _contains_model(info.annotation):
            kind = Any
        else:
            kind = _projected(info.annotation, (*stack, model))
        for key in keys:
            path_alias = isinstance(info.validation_alias, AliasPath | AliasChoices) and key != name
            members[key] = Any if path_alias else kind
    return TypedDict(f"{model.__name__}Projection", members, total=False)  # type: ignore[operator]


def _deep(raw: bytes) -> bool:
    """Whether the line may nest :data:`MAX_DEPTH` levels or more, without parsing it: keep only
    quotes and brackets, drop the strings (a string without brackets is a ``""`` pair once its
    content is gone), then peel innermost bracket pairs off, one level per round."""
    if len(raw) < 2 * MAX_DEPTH or _openings(raw) < MAX_DEPTH:
        return False  # fewer openings than levels, even counting those inside strings
    if b"\\" in raw:  # escaped backslashes first, then escaped quotes: every other quote delimits a string
        raw = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    structure = raw.translate(None, _NOT_STRUCTURE)
    if structure.count(b'"') == 2 * structure.count(b'""'):  # every string is a "" pair: no bracket in one
        brackets = structure.translate(None, b'"')
    else:  # a string holds a bracket: drop the strings one by one
        brackets = b"".join(structure.replace(b'""', b"").split(b'"')[::2])
    # Each replace removes at most one level of every chain of nested brackets, so the number of
    # replaces that removed something bounds the levels peeled so far from above.
    peeled = 0
    while brackets:
        if peeled + len(brackets) // 2 < MAX_DEPTH:  # even nested all the way down, the rest is too shallow
            return False
        if peeled >= MAX_DEPTH:
            return True
        before = len(brackets)
        for pair in (b"[]", b"{}"):
            shorter = brackets.replace(pair, b"")
            if len(shorter) != len(brackets):
                peeled += 1
                brackets = shorter
        if len(brackets) == before:  # unbalanced: not JSON, let pydantic say why
            return True
    return peeled >= MAX_DEPTH


# Core-schema node types whose validation of JSON-decoded input (dicts, lists, str, int, float,
# bool, None) does not depend on whether the enclosing models are built as models or as typed dicts.
_DATA_NODES = frozenset(
    {
        "any",
        "bool",
        "date",
        "datetime",
        "default",
        "definition-ref",
        "definitions",
        "dict",
        "float",
        "function-before",
        "int",
        "list",
        "model",
        "model-field",
        "model-fields",
        "no-info",
        "nullable",
        "str",
    }
)
# Where those nodes hold schemas (everything else, e.g. a default value or metadata, is copied).
_SCHEMA_KEYS = frozenset({"schema", "definitions", "items_schema", "keys_schema", "values_schema", "function"})
_MODEL_KEYS = frozenset({"cls", "config", "custom_init", "metadata", "ref", "root_model", "schema", "type"})
_MODEL_FIELDS_KEYS = frozenset({"computed_fields", "fields", "model_name", "type"})
_FIELD_KEYS = frozenset({"metadata", "schema", "type", "validation_alias", "serialization_alias"})


def _as_data(node: object, checked: dict[type, frozenset[str]] | None = None) -> object:
    """``node`` (a core schema) with every ``model`` node turned into a ``typed-dict`` node with the
    same fields; raises :class:`_NotProjectable` on anything outside :data:`_DATA_NODES`. The fields
    ``checked[cls]`` of model ``cls`` take any value (the decoder has checked them)."""
    checked = checked or {}
    if isinstance(node, list):
        return [_as_data(item, checked) for item in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind not in _DATA_NODES:
        raise _NotProjectable(f"core schema node {kind!r}")
    if kind == "no-info":  # a validator function's info: the function itself is kept as is
        return node
    if kind != "model":
        return {key: _as_data(value, checked) if key in _SCHEMA_KEYS else value for key, value in node.items()}
    fields_node = node["schema"]
    config = node.get("config", {})
    if (
        set(node) - _MODEL_KEYS
        or node.get("custom_init")
        or node.get("root_model")
        or set(fields_node) - _MODEL_FIELDS_KEYS
        or fields_node.get("computed_fields")
        or config.get("extra_fields_behavior", "ignore") != "ignore"
        or config.get("strict")
        or config.get("from_attributes")
    ):
        raise _NotProjectable(f"model {node.get('cls')!r}")
    fields = {}
    decoded = checked.get(node.get("cls"), frozenset())
    for name, field in fields_node["fields"].items():
        if set(field) - _FIELD_KEYS:
            raise _NotProjectable(f"field {name!r} of {node.get('cls')!r}")
        inner = field["schema"]
        if name in decoded:  # keep the default (a missing key), take the decoded value as it is
            inner = {**inner, "schema": {"type": "any"}} if inner.get("type") == "default" else {"type": "any"}
        entry = {
            "type": "typed-dict-field",
            "schema": _as_data(inner, checked),
            "required": inner.get("type") != "default",
        }
        for key in ("validation_alias", "serialization_alias"):
            if key in field:
                entry[key] = field[key]
        fields[name] = entry
    out = {"type": "typed-dict", "fields": fields, "extra_behavior": "ignore", "config": config}
    if "ref" in node:
        out["ref"] = node["ref"]
    return out


@cache
def data_validator(
    model: type[BaseModel], decoded: frozenset[str] = frozenset()
) -> Callable[[object], dict[str, Any]] | None:
    """pydantic-core's validation of ``model`` on Python input (JSON-decoded values) that returns
    what ``model.model_validate(x).model_dump()`` returns, without building the models; None when
    the model's schema holds anything this is not known to be exact for. The top-level fields
    ``decoded`` are taken as they are: only for input decoded with :func:`decoder_checked`'s types."""
    schema = model.__pydantic_core_schema__
    if decoded and any(d.get("cls") is model for d in schema.get("definitions", ())):
        return None  # the model inside itself: its nested copies were not decoded with those types
    try:
        return SchemaValidator(_as_data(schema, {model: decoded})).validate_python
    except _NotProjectable:
        return None


def _exact_type(annotation: object) -> object | None:
    """``annotation`` if it is made of ``str``, ``int``, ``list[...]`` and ``dict[str, ...]`` only:
    for these, a value msgspec decodes is one pydantic accepts unchanged (msgspec is the stricter:
    no float or bool for an int, no string for a list, no lone surrogate), else None."""
    if annotation is str or annotation is int:
        return annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is list and len(args) == 1:
        inner = _exact_type(args[0])
        return None if inner is None else list[inner]
    if origin is dict and len(args) == 2 and args[0] is str:
        inner = _exact_type(args[1])
        return None if inner is None else dict[str, inner]
    return None


def decoder_checked(model: type[BaseModel]) -> dict[str, object]:
    """The top-level container fields of ``model`` that msgspec can check in full while decoding
    (:func:`_exact_type`, optionally ``| None`` with a ``None`` default), with no constraint, alias or
    validator: name -> the msgspec type. Validating them again in pydantic is most of the cost of a
    work (the abstract's ``dict[str, list[int]]``); a line msgspec refuses takes the plain path."""
    decorators = model.__pydantic_decorators__
    validated = {
        name
        for d in decorators.field_validators.values()
        for name in (model.model_fields if "*" in d.info.fields else d.info.fields)
    }
    out: dict[str, object] = {}
    for name, info in model.model_fields.items():
        if info.metadata or name in validated or _input_keys(name, info) != [name]:
            continue
        annotation, optional = info.annotation, False
        if typing.get_origin(annotation) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1 or info.default is not None or info.default_factory is not None:
                continue
            annotation, optional = args[0], True
        kind = _exact_type(annotation)
        if kind is None or kind is str or kind is int:  # scalars are cheap for pydantic: leave them to it
            continue
        out[name] = kind | None if optional else kind
    return out


_DECODE_ERRORS = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeDecodeError)


def _decode_line(raw: bytes, decode: Callable[[bytes], Any]) -> Any:
    """The line decoded to its projection, or None when it must take the plain path (not UTF-8,
    nested deeper than the guard allows, or refused by the typed decoder)."""
    if not raw.isascii():
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return None
    if _deep(raw):
        return None
    try:
        return decode(raw)
    except _DECODE_ERRORS:
        return None


@cache
def fast_row(model: type[BaseModel]) -> Callable[[bytes], dict[str, Any] | None] | None:
    """A function from one JSON line to its landed row (``model``'s ``to_row()``), or None when the
    line must take the plain path; None instead of a function when the line cannot be projected.
    With a ``row_from_data`` on the model the projection is validated as data
    (:func:`data_validator`), else as the model."""
    from_data = getattr(model, "row_from_data", None)
    checked = decoder_checked(model) if from_data is not None else {}
    validate_data = data_validator(model, frozenset(checked)) if from_data is not None else None
    if validate_data is None:
        fast = fast_validator(model)
        if fast is None:
            return None

        def row(raw: bytes) -> dict[str, Any] | None:
            record = fast(raw)
            return None if record is None else record.to_row()

        return row
    try:
        projected = projection(model)
    except _NotProjectable:
        return None
    members = {**projected.__annotations__, **checked}
    decode = msgspec.json.Decoder(TypedDict(projected.__name__, members, total=False)).decode  # type: ignore[operator]

    def row_from_line(raw: bytes) -> dict[str, Any] | None:
        projected = _decode_line(raw, decode)
        if projected is None:
            return None
        try:
            data = validate_data(projected)
        except Exception:  # noqa: BLE001 - pydantic's ValidationError or a validator's: the plain path says why
            return None
        return from_data(data)

    return row_from_line


@cache
def fast_validator(model: type[BaseModel]) -> Callable[[bytes], BaseModel | None] | None:
    """A function from one JSON line to the validated model, or None when the line must take the
    plain path; None instead of a function when ``model`` cannot be projected."""
    try:
        decoder = msgspec.json.Decoder(projection(model))
    except _NotProjectable:
        return None
    decode = decoder.decode
    validate = model.__pydantic_validator__.validate_python

    def fast(raw: bytes) -> BaseModel | None:
        projected = _decode_line(raw, decode)
        if projected is None:
            return None
        try:
            return validate(projected)
        except Exception:  # noqa: BLE001 - pydantic's ValidationError or a validator's: the plain path says why
            return None

    return fast
