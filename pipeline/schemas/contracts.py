"""Table contracts: what every row of a table promises (keys, nulls, patterns,
ranges, accepted values, relations), in one type for landed and warehouse tables.

A landed table's contract is *derived* from its pydantic row model's own
constraints (:func:`contract_from_row_model`), never written a second time. A
warehouse table's contract is kept beside its SQL as ``<table>.yml``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field, replace

from pydantic import BaseModel


@dataclass(frozen=True)
class TableContract:
    """A table's contract. ``columns`` maps every column to a one-line description."""

    table: str
    grain: str
    materialized: str = "table"  # table | view
    description: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    unique: list[list[str]] = field(default_factory=list)
    not_null: list[str] = field(default_factory=list)
    patterns: dict[str, str] = field(default_factory=dict)
    accepted_values: dict[str, list[str]] = field(default_factory=dict)
    ranges: dict[str, dict[str, float]] = field(default_factory=dict)
    relations: dict[str, str] = field(default_factory=dict)
    ordered_pairs: list[str] = field(default_factory=list)
    # Checks that look past one value: a derived column is a SQL expression over the
    # table (it may read other tables), checked like any column; a column pair
    # {a, b, or_equal} expects a > b (or a >= b) on every row.
    derived: dict[str, str] = field(default_factory=dict)
    column_pairs: list[dict] = field(default_factory=list)

    def checked_columns(self) -> list[str]:
        """Every stored column the contract's checks look at, in first-mention order."""
        named = [c for key in self.unique for c in key] + self.not_null + list(self.patterns)
        named += list(self.accepted_values) + list(self.ranges) + self.ordered_pairs
        named += [c for pair in self.column_pairs for c in (pair["a"], pair["b"])]
        return [c for c in dict.fromkeys(named) if c not in self.derived]

    def merged(self, extra: dict) -> TableContract:
        """This contract with more checks on top (from a ``.yml`` of quality rules)."""
        updates = {}
        for name, value in extra.items():
            current = getattr(self, name)
            updates[name] = {**current, **value} if isinstance(current, dict) else current + list(value)
        return replace(self, **updates)


def _is_scalar(annotation: object) -> tuple[bool, bool]:
    """(scalar, nullable) for a field annotation; lists and nested models are not scalar."""
    nullable = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        annotation = args[0] if len(args) == 1 else annotation
        origin = typing.get_origin(annotation)
    if origin is list or (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
        return False, nullable
    return True, nullable


def contract_from_row_model(
    model: type[BaseModel], *, table: str, grain: str, unique: list[list[str]] | None = None
) -> TableContract:
    """The checks a landed table must pass, read off its row model: required scalar
    columns are not null, ``Field(pattern=…)`` gives a regex, ``ge``/``le`` a range and
    a ``Literal`` the accepted values. Nested columns were checked by pydantic per record."""
    not_null: list[str] = []
    patterns: dict[str, str] = {}
    ranges: dict[str, dict[str, float]] = {}
    accepted: dict[str, list[str]] = {}
    descriptions: dict[str, str] = {}
    for name, info in model.model_fields.items():
        descriptions[name] = info.description or ""
        scalar, nullable = _is_scalar(info.annotation)
        if not scalar:
            continue
        if not nullable:
            not_null.append(name)
        inner = info.annotation
        if typing.get_origin(inner) in (typing.Union, types.UnionType):
            inner = next(a for a in typing.get_args(inner) if a is not type(None))
        if typing.get_origin(inner) is typing.Literal:
            accepted[name] = [str(v) for v in typing.get_args(inner)]
        bounds: dict[str, float] = {}
        for item in info.metadata:
            if getattr(item, "pattern", None) is not None:
                patterns[name] = item.pattern
            for attr, key in (("ge", "min"), ("le", "max")):
                if getattr(item, attr, None) is not None:
                    bounds[key] = getattr(item, attr)
        if bounds:
            ranges[name] = bounds
    return TableContract(
        table=table,
        grain=grain,
        description=(model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
        columns=descriptions,
        unique=[list(k) for k in (unique or [])],
        not_null=not_null,
        patterns=patterns,
        accepted_values=accepted,
        ranges=ranges,
    )
