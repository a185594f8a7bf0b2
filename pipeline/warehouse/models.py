"""The warehouse's SQL models and macros: where they are, what each reads, and
the order they build in (derived from the SQL by :mod:`pipeline.warehouse.graph`).

Layout under ``warehouse/``::

    staging/<model>.sql + .yml       renames, casts and resolves ids of ONE raw input
    intermediate/<model>.sql + .yml  reads staging and intermediate models
    marts/<model>.sql + .yml         the published tables; a table reads staging and
                                     intermediate models, a view reads marts
    macros/<macro>.sql + .yml        SQL written once and called by models: an expression
                                     (``kind: scalar``, the default) or a query
                                     (``kind: table``, called in a FROM clause)

Every model has a ``.yml``: its grain, materialisation (``table``, ``view`` or
``temp``, which is built but not kept in the warehouse file), a one-line
description per column, and the checks the quality gate runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import yaml

from pipeline.schemas.contracts import TableContract
from pipeline.warehouse.graph import GraphError, build_order, functions, references

_PACKAGED = Path(__file__).resolve().parent.parent / "_sql"  # wheel installs (force-included)
_REPO = Path(__file__).resolve().parents[2] / "warehouse"  # editable installs / the repo

LAYERS = ("staging", "intermediate", "marts")
MATERIALIZATIONS = ("table", "view", "temp")


def sql_dir() -> Path:
    return _PACKAGED if _PACKAGED.is_dir() else _REPO


@dataclass(frozen=True)
class Model:
    """One SQL model: ``warehouse/<layer>/<name>.sql`` and its ``.yml``."""

    key: str  # e.g. "marts/works"
    root: Path | None = None  # default: sql_dir()

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[1]

    @property
    def layer(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def path(self) -> Path:
        return (self.root or sql_dir()) / f"{self.key}.sql"

    @cached_property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8").strip().rstrip(";")

    @cached_property
    def contract(self) -> TableContract:
        contract = load_contract(self.path.with_suffix(".yml"))
        if contract.materialized not in MATERIALIZATIONS:
            raise GraphError(f"{self.key}.yml: materialized must be one of {', '.join(MATERIALIZATIONS)}")
        return contract

    @property
    def materialized(self) -> str:
        return self.contract.materialized

    @property
    def persisted(self) -> bool:
        """Kept in the published warehouse file (tables and views of the marts)."""
        return self.materialized != "temp"

    @property
    def reads(self) -> frozenset[str]:
        return references(self.sql)

    @property
    def calls(self) -> frozenset[str]:
        return functions(self.sql)


@dataclass(frozen=True)
class Macro:
    """A SQL macro written once: ``warehouse/macros/<name>.sql`` holds its body,
    ``<name>.yml`` its parameters and description."""

    name: str
    root: Path | None = None

    @property
    def path(self) -> Path:
        return (self.root or sql_dir()) / "macros" / f"{self.name}.sql"

    @cached_property
    def spec(self) -> dict:
        return yaml.safe_load(self.path.with_suffix(".yml").read_text(encoding="utf-8"))

    @cached_property
    def body(self) -> str:
        return self.path.read_text(encoding="utf-8").strip().rstrip(";")

    @property
    def kind(self) -> str:
        kind = self.spec.get("kind", "scalar")
        if kind not in ("scalar", "table"):
            raise GraphError(f"macros/{self.name}.yml: kind must be scalar or table, not {kind!r}")
        return kind

    @property
    def reads(self) -> frozenset[str]:
        return references(self.body if self.kind == "table" else f"select {self.body}")

    def create_sql(self) -> str:
        parameters = ", ".join(self.spec["parameters"])
        table = "table " if self.kind == "table" else ""
        return f"create or replace temp macro {self.name}({parameters}) as {table}\n{self.body}"


@cache
def load_contract(path: Path) -> TableContract:
    if not path.exists():
        raise GraphError(f"{path.name} is missing: every model needs a .yml with its grain and columns")
    return TableContract(**yaml.safe_load(path.read_text(encoding="utf-8")))


def discover(root: Path | None = None) -> tuple[dict[str, Model], dict[str, Macro]]:
    """Every model and macro under ``root`` (default: the project's warehouse/)."""
    base = root or sql_dir()
    found: dict[str, Model] = {}
    for layer in LAYERS:
        for path in _sql_files(base / layer):
            model = Model(f"{layer}/{path.stem}", root)
            if model.name in found:
                raise GraphError(f"two models are named {model.name}: {found[model.name].key} and {model.key}")
            found[model.name] = model
    macros = {p.stem: Macro(p.stem, root) for p in _sql_files(base / "macros")}
    return found, macros


def _sql_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix == ".sql") if folder.is_dir() else []


def plan(raw_inputs: frozenset[str] | set[str], root: Path | None = None) -> list[Model | Macro]:
    """Models and macros in build order, each after everything it reads or calls.
    Checks the layering rules too."""
    found, macros = discover(root)
    dependencies: dict[str, set[str]] = {name: set(m.reads) for name, m in macros.items()}
    for name, model in found.items():
        dependencies[name] = set(model.reads) | (set(model.calls) & set(macros))
    order = build_order(dependencies, raw_inputs)
    check_layers(found, raw_inputs)
    return [found[name] if name in found else macros[name] for name in order]


def models(raw_inputs: frozenset[str] | set[str] | None = None, root: Path | None = None) -> list[Model]:
    """The models alone, in build order."""
    if raw_inputs is None:
        from pipeline.warehouse.inputs import raw_input_names

        raw_inputs = raw_input_names()
    return [step for step in plan(raw_inputs, root) if isinstance(step, Model)]


def check_layers(found: dict[str, Model], raw_inputs: frozenset[str] | set[str]) -> None:
    """Layers mean what they say; see the module docstring."""
    layer_of = {name: model.layer for name, model in found.items()}
    for model in found.values():
        reads = set(model.reads)
        layers = {layer_of.get(name, "raw") for name in reads}
        if model.layer == "staging":
            ok = len(reads) == 1 and layers == {"raw"}
            rule = "a staging model reads exactly one raw input"
        elif model.layer == "intermediate":
            ok = layers <= {"staging", "intermediate"}
            rule = "an intermediate model reads staging and intermediate models"
        elif model.materialized == "view":
            ok = layers <= {"marts"}
            rule = "a mart view reads marts"
        else:
            ok = layers <= {"staging", "intermediate"}
            rule = "a mart table reads staging and intermediate models"
        if not ok:
            raise GraphError(f"{model.key} reads {', '.join(sorted(reads))}: {rule}")
