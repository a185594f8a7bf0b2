"""Read the Parquet variant of a 2026 OpenAlex snapshot (``data/parquet/``) row by row, never
through JSON text, and check every row with the same pydantic model as a JSON line.

What is known of the variant (OpenAlex's "Snapshot data format" page, 2026): each entity folder
holds ``updated_date=YYYY-MM-DD/part_NNNN.parquet`` files, snappy-compressed, one record per row,
up to 400,000 rows each, listed with their record counts in the format's combined
``data/parquet/manifest.json``; the records "match the API response format". The column-level
schema is not published, so this reader **assumes the columns mirror the JSON record**: the same
field names at every level, nested objects as STRUCT columns, arrays as LIST columns, ids, DOIs and
dates as the same strings as in the JSON. Deviations it tolerates, because they carry the same
record:

- a STRING column where the model expects an object or an array (a top-level field shipped as
  JSON text, as some Parquet exports do for deeply nested fields): the text is decoded as JSON
  before validation, and a value that is not JSON is a reject (``field: not JSON text``);
- a MAP column for a free-keyed object (``abstract_inverted_index``, ``{word: [positions]}``): read
  as a dict; a STRUCT column for it works too (null members are absent words);
- DATE / TIMESTAMP columns for the dates: pydantic accepts the date and datetime values as it
  accepts the strings (a time-zone-aware timestamp is the aware datetime a ``...Z`` string gives);
- extra columns (every field the contract does not declare): never read.

**Null is absent.** Parquet cannot tell a missing key from a null, so a null (at every level of
the declared models, and among the members of a free-keyed object) is read as a missing key: the
field's default applies, and a required field says ``Field required``. The one visible
consequence: a work whose ``cited_by_count`` is null lands with 0 (the JSON path rejects an
explicit ``null`` there, and lands 0 when the key is missing).

Reading: the columns to read are the contract's declared fields, derived from the pydantic model
(nested models too, down to their declared leaves, so e.g. ``authorships.institutions.lineage``
is never decoded); each file is read in row batches (:data:`BATCH_ROWS`); every row is handed to
landing as a dict, then validated with ``model.model_validate`` (the same model, the same checks,
the same ``to_row()`` as the JSON path) or quarantined with pydantic's reason. A model that looks
past its declared fields (a ``before``/``wrap`` model validator, a raw-value field validator not
marked ``__projection_safe__``, ``extra`` other than ``ignore``) gets that part read whole.

Row numbers: ``line_number`` of a landed or quarantined row is the row's position in its part
file, counting from 1 across row groups (the ``N``-th row is ``N``, as the ``N``-th line of a JSON
Lines part is). A quarantined row's ``raw`` is the row's declared columns rendered as JSON, for
reading only.

A file whose schema does not fit (a required column missing, a column of the wrong type) is not
refused as a whole: each of its rows goes through the model and is quarantined with pydantic's
reason (``id: Field required``, ``authorships: Input should be a valid list``), so nothing is lost
and the landing gate decides; a warning names the required columns that are missing. A file that
is not readable Parquet stops the batch with its name, as a corrupt ``.gz`` does.
"""

from __future__ import annotations

import json
import logging
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import AliasChoices, AliasPath, BaseModel, ValidationError

from pipeline.errors import SnapshotError
from pipeline.landing.fastpath import data_validator
from pipeline.landing.parsers import Parser, RecordError, describe
from pipeline.sources.base import InputFile

log = logging.getLogger(__name__)

BATCH_ROWS = 8_192
# A declared field read whole (a leaf, a free-keyed dict, or a nested model that cannot be projected).
WHOLE = None
Tree = dict[str, "Tree | None"]


@dataclass(frozen=True)
class ParquetPart(InputFile):
    """One ``part_NNNN.parquet`` of a snapshot entity: yields ``(row_number, row dict)`` and checks
    the rows with :meth:`parser` (landing asks the input for its parser when it has one)."""

    batch_rows: int = BATCH_ROWS

    def records(self) -> Iterator[tuple[int, ParquetRow]]:
        from pipeline.catalog import CATALOG  # the catalog imports the sources' settings

        yield from read_rows(self.path, CATALOG.get(self.source, self.entity).input_model, self.batch_rows)

    def parser(self, table) -> Parser:
        return row_parser(table.input_model)


class ParquetRow(dict):
    """One row as read (declared columns only); ``str()`` renders it as JSON for the quarantine."""

    def __str__(self) -> str:
        return json.dumps(self, default=str, ensure_ascii=False)


def read_rows(path: Path, model: type[BaseModel], batch_rows: int = BATCH_ROWS) -> Iterator[tuple[int, ParquetRow]]:
    """Yield ``(row_number, row)`` for every row of the Parquet file, the declared columns only."""
    try:
        part = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as exc:
        raise SnapshotError(f"{path}: not a readable Parquet file ({exc}); re-download it") from exc
    with part:
        columns = selected_columns(part, declared_tree(model))
        missing = [k for k in required_keys(model) if k not in set(part.schema_arrow.names)]
        if missing:
            log.warning("%s has no column %s required by %s: its rows are quarantined", path, missing, model.__name__)
        number = 0
        batches = part.iter_batches(batch_size=batch_rows, columns=columns)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                return
            except (pa.ArrowException, OSError) as exc:
                raise SnapshotError(f"{path}: cannot read past row {number} ({exc}); re-download it") from exc
            names = batch.schema.names
            values = zip(*(_python_values(c) for c in batch.columns), strict=True) if names else [()] * batch.num_rows
            for row in values:
                number += 1
                yield number, ParquetRow(zip(names, row, strict=True))


def _holds_map(kind: pa.DataType) -> bool:
    if pa.types.is_map(kind):
        return True
    if pa.types.is_struct(kind):
        return any(_holds_map(kind.field(i).type) for i in range(kind.num_fields))
    return hasattr(kind, "value_type") and _holds_map(kind.value_type)


def _python_values(column: pa.Array) -> list:
    """A column's values as Python objects, MAPs as dicts. A top-level MAP (the inverted index) is
    converted column-wise: about ten times faster than ``to_pylist(maps_as_pydicts=...)``."""
    kind = column.type
    if pa.types.is_map(kind) and not _holds_map(kind.key_type) and not _holds_map(kind.item_type):
        offsets, keys, items = column.offsets.to_pylist(), column.keys.to_pylist(), column.items.to_pylist()
        return [
            dict(zip(keys[offsets[i] : offsets[i + 1]], items[offsets[i] : offsets[i + 1]], strict=True))
            if valid
            else None
            for i, valid in enumerate(column.is_valid().to_pylist())
        ]  # offsets index the unsliced keys and items, so a sliced batch works too; a repeated key: the last wins
    return column.to_pylist(maps_as_pydicts="lossy") if _holds_map(kind) else column.to_pylist()


def row_parser(model: type[BaseModel]) -> Parser:
    """One row dict -> the landed row dict (``model.to_row()``), or a :class:`RecordError` with
    pydantic's reason."""
    as_text, tree = structured_keys(model), declared_tree(model)
    validate = model.model_validate
    # The model's schema with typed dicts for its models (pipeline.landing.fastpath.data_validator),
    # when it has a row_from_data: the same checks without building the models; a reject is
    # validated again as the model for pydantic's own message.
    from_data = getattr(model, "row_from_data", None)
    validate_data = data_validator(model) if from_data is not None else None

    def parse(row: dict[str, Any]) -> dict[str, Any]:
        values = _without_nulls(row, tree)
        for key in as_text & values.keys():
            if isinstance(values[key], str):  # a JSON-text column for a nested field
                try:
                    values[key] = json.loads(values[key])
                except ValueError as exc:
                    raise RecordError(f"{key}: not JSON text ({exc})") from None
        if validate_data is not None:
            try:
                return from_data(validate_data(values))
            except ValidationError:
                pass
        try:
            return validate(values).to_row()
        except ValidationError as exc:
            raise RecordError(describe(exc)) from None

    return parse


def _without_nulls(row: dict[str, Any], tree: Tree | None) -> dict[str, Any]:
    """The row with its nulls dropped at every level of the declared models (``tree``); a dict read
    whole (a free-keyed STRUCT or MAP) loses its null members too."""
    out = {}
    for key, value in row.items():
        if value is None:
            continue
        sub = tree.get(key, WHOLE) if tree is not WHOLE else WHOLE
        if type(value) is dict:
            value = (
                _without_nulls(value, sub) if sub is not WHOLE else {k: v for k, v in value.items() if v is not None}
            )
        elif sub is not WHOLE and type(value) is list:
            value = [_without_nulls(item, sub) if type(item) is dict else item for item in value]
        out[key] = value
    return out


# -- the declared fields, from the model --------------------------------------------------------------


def _unwrap(annotation: object) -> object:
    """The type under Optional / Annotated / list: Parquet paths look through list levels too."""
    inner = _outer(annotation)
    if typing.get_origin(inner) is list:
        return _unwrap((typing.get_args(inner) or (Any,))[0])
    return inner


def _is_model(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _input_keys(name: str, info) -> list[str]:
    keys = [name, *([info.alias] if info.alias else [])]
    alias = info.validation_alias
    for choice in alias.choices if isinstance(alias, AliasChoices) else [alias] if alias is not None else []:
        if isinstance(choice, str):
            keys.append(choice)
        elif isinstance(choice, AliasPath) and isinstance(choice.path[0], str):
            keys.append(choice.path[0])
    return list(dict.fromkeys(keys))


def _raw_value_fields(model: type[BaseModel]) -> set[str] | None:
    """Fields whose validators see the raw value (read whole); None: the model sees the raw input."""
    if model.model_config.get("extra", "ignore") != "ignore":
        return None
    decorators = model.__pydantic_decorators__
    if any(d.info.mode in ("before", "wrap") for d in decorators.model_validators.values()):
        return None
    raw: set[str] = set()
    for d in decorators.field_validators.values():
        if d.info.mode in ("before", "wrap", "plain") and not getattr(d.func, "__projection_safe__", False):
            raw.update(model.model_fields if "*" in d.info.fields else d.info.fields)
    return raw


@cache
def declared_tree(model: type[BaseModel], stack: tuple[type, ...] = ()) -> Tree | None:
    """``{input key: subtree or WHOLE}`` for every key ``model`` reads, nested models in turn;
    WHOLE for the model itself when it may look past its declared fields."""
    raw = _raw_value_fields(model)
    if raw is None:
        return WHOLE
    tree: Tree = {}
    for name, info in model.model_fields.items():
        inner = _unwrap(info.annotation)
        nested = _is_model(inner) and inner not in stack and name not in raw
        sub = declared_tree(inner, (*stack, model)) if nested else WHOLE
        for key in _input_keys(name, info):
            tree[key] = sub
    return tree


def required_keys(model: type[BaseModel]) -> list[str]:
    """Top-level fields without a default (their column must exist)."""
    return [info.alias or name for name, info in model.model_fields.items() if info.is_required()]


def _outer(annotation: object) -> object:
    """The type under Optional / Annotated (not under list)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _outer(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _outer(args[0]) if len(args) == 1 else annotation
    return annotation


def structured_keys(model: type[BaseModel]) -> set[str]:
    """Top-level keys whose value is an object or an array (a STRING column there holds JSON text)."""
    keys: set[str] = set()
    for name, info in model.model_fields.items():
        outer = _outer(info.annotation)
        if typing.get_origin(outer) in (list, dict) or _is_model(outer):
            keys.update(_input_keys(name, info))
    return keys


def selected_columns(part: pq.ParquetFile, tree: Tree | None) -> list[str] | None:
    """The column paths to read: for every leaf column of the file, the prefix of its path down to
    the declared field it belongs to (all of it when that field is read whole), or nothing when no
    declared field holds it. None (read everything) when the model is read whole."""
    if tree is WHOLE:
        return None
    schema = part.schema_arrow
    selected: dict[str, None] = {}
    for i in range(part.metadata.num_columns):
        prefix = _declared_prefix(part.schema.column(i).path.split("."), schema, tree)
        if prefix is not None:
            selected[prefix] = None
    return list(selected)


def _declared_prefix(parts: list[str], schema: pa.Schema, tree: Tree) -> str | None:
    if parts[0] not in tree or schema.get_field_index(parts[0]) < 0:
        return None
    kind, node, used = schema.field(parts[0]).type, tree[parts[0]], 1
    while node is not WHOLE:
        while pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_fixed_size_list(kind):
            # 3-level lists are <name>.list.element, legacy 2-level ones <name>.<element>
            element = kind.value_field.name
            step = next((n for n in (1, 2) if parts[used + n - 1 : used + n] == [element]), None)
            if step is None:
                return ".".join(parts[:used])
            used, kind = used + step, kind.value_type
        if not pa.types.is_struct(kind) or used >= len(parts):
            break  # a MAP, a JSON string or a primitive where a model is declared: read it whole
        child = parts[used]
        if child not in node or kind.get_field_index(child) < 0:
            return None
        kind, node, used = kind.field(child).type, node[child], used + 1
    return ".".join(parts[:used])
