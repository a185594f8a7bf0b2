"""Adding a source table is one catalog declaration plus its models: landing, the
landing gate, the raw view and the JSON Schema follow from it."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import duckdb
import pyarrow.parquet as pq
import pytest
from pydantic import BaseModel, Field

from pipeline.catalog import CATALOG, LandedTable
from pipeline.errors import QualityGateError
from pipeline.landing.land import land
from pipeline.quality.gate import landing_gate
from pipeline.schemas.jsonschema import contracts
from pipeline.sources.base import InputFile, content_identity
from pipeline.storage.layout import DataLayout
from pipeline.warehouse.inputs import create_raw_inputs, raw_input_names


class Gadget(BaseModel):
    """A toy input record."""

    id: str
    size: int = Field(ge=0)

    def to_row(self) -> dict[str, Any]:
        return {"gadget_id": self.id, "size": self.size}


class GadgetRow(BaseModel):
    """A toy landed row."""

    gadget_id: Annotated[str, Field(pattern=r"^G\d+$")]
    size: Annotated[int, Field(ge=0, le=10)]
    record_source: str
    source_file: str
    line_number: int


@pytest.fixture
def toy_table():
    table = CATALOG.declare(LandedTable("toy-source", "gadgets", Gadget, GadgetRow, grain="one row per gadget"))
    try:
        yield table
    finally:
        CATALOG.remove("toy-source", "gadgets")


def _input(tmp_path, lines: list[str]) -> InputFile:
    path = tmp_path / "gadgets.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return InputFile(source="toy-source", entity="gadgets", path=path, identity=content_identity(path))


def test_a_declared_table_lands_end_to_end(toy_table, tmp_path, settings):
    item = _input(tmp_path, [json.dumps({"id": "G1", "size": 3}), "{oops", json.dumps({"id": "G2", "size": 5})])
    report = land([item], settings, ingest_date=date(2026, 1, 2), gate=landing_gate(settings))

    (file,) = report.files
    assert (file.records, file.valid, file.quarantined) == (3, 2, 1)
    assert "/source=toy-source/entity=gadgets/ingest_date=2026-01-02/" in file.records_path
    assert pq.read_table(file.records_path).column("gadget_id").to_pylist() == ["G1", "G2"]

    assert "raw_gadgets" in raw_input_names()
    con = duckdb.connect()
    counts = create_raw_inputs(con, DataLayout.of(settings))
    assert counts["raw_gadgets"] == 1
    assert con.execute("select gadget_id, size, line_number from raw_gadgets order by 1").fetchall() == [
        ("G1", 3, 1),
        ("G2", 5, 3),
    ]
    assert {"input_toy-source_gadgets", "lake_gadgets"} <= set(contracts())


def test_the_landing_gate_checks_the_row_models_own_constraints(toy_table, tmp_path, settings):
    contract = toy_table.contract()
    assert contract.patterns == {"gadget_id": r"^G\d+$"}
    assert contract.ranges == {"size": {"min": 0, "max": 10}}
    assert {"gadget_id", "size", "record_source", "source_file", "line_number"} <= set(contract.not_null)

    # valid input records whose rows break the row model (a size the lake does not accept) fail the gate
    item = _input(tmp_path, [json.dumps({"id": "G1", "size": 11})])
    with pytest.raises(QualityGateError, match=r"expect_column_values_to_be_between\(column='size'"):
        land([item], settings, ingest_date=date(2026, 1, 2), gate=landing_gate(settings))


def test_an_undeclared_table_is_refused_before_anything_is_written(tmp_path, settings):
    path = tmp_path / "x.jsonl"
    path.write_text("{}\n")
    item = InputFile(source="nowhere", entity="things", path=path, identity="x")
    with pytest.raises(KeyError, match="no landed table declared for source 'nowhere', entity 'things'"):
        land([item], settings, ingest_date=date(2026, 1, 2))
    assert not settings.data_dir.exists() or not any(settings.data_dir.rglob("*.parquet"))


def test_two_sources_may_share_an_entity_only_with_one_row_model(toy_table):
    with pytest.raises(ValueError, match="already landed with another row model"):
        CATALOG.declare(LandedTable("other-source", "gadgets", Gadget, Gadget))
