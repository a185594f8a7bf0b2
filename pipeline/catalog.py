"""The table catalog: every table the pipeline lands, one declaration each.

A landed table is keyed by ``(source, entity)`` and declares its input model
(the pydantic contract of one raw record), its row model (the contract of the
landed Parquet), its parser, its partitioning and the raw view the warehouse
reads it through. Several sources may land the same entity (OpenAlex snapshot
and API works both land ``works``) as long as they share its row model; the
warehouse sees them as one ``raw_<entity>`` view.

Adding a source table is one :class:`LandedTable` here plus its models: landing,
the landing gate (derived from the row model's constraints), the raw view and
the JSON Schema all follow from the declaration.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from pydantic import BaseModel

from pipeline.landing.parsers import Parser, csv_parser, json_parser
from pipeline.schemas.arxiv import ArxivEntry
from pipeline.schemas.contracts import TableContract, contract_from_row_model
from pipeline.schemas.lake import ArxivEntryRow, AuthorRow, MergedAuthorRow, PlatformEventRow, WorkRow
from pipeline.schemas.openalex import Author, Work
from pipeline.schemas.platform import MergedAuthorId, PlatformEvent
from pipeline.sources.arxiv.settings import ENTITY as ARXIV_ENTRIES
from pipeline.sources.arxiv.settings import SOURCE_NAME as ARXIV_API
from pipeline.sources.openalex.settings import API_SOURCE_NAME as OPENALEX_API
from pipeline.sources.openalex.settings import SOURCE_NAME as OPENALEX_SNAPSHOT
from pipeline.sources.platform.events_file import SOURCE_NAME as PLATFORM

PROVENANCE_KEY = ["source_file", "line_number"]


@dataclass(frozen=True)
class LandedTable:
    """One landed table: where its records come from and what they must be."""

    source: str
    entity: str
    input_model: type[BaseModel]
    row_model: type[BaseModel]
    parse: Parser | None = None  # default: the input model's JSON, flattened by its to_row()
    grain: str = "one row per input record"
    unique: list[list[str]] = field(default_factory=lambda: [PROVENANCE_KEY])
    partition: tuple[str, ...] = ("ingest_date",)

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.entity)

    @property
    def raw_view(self) -> str:
        """The view the warehouse's staging models read this entity through."""
        return f"raw_{self.entity}"

    @property
    def parser(self) -> Parser:
        return self.parse or json_parser(self.input_model)

    def contract(self) -> TableContract:
        """The landing gate's checks, derived from the row model."""
        return contract_from_row_model(
            self.row_model, table=f"{self.source}/{self.entity}", grain=self.grain, unique=self.unique
        )


class Catalog:
    """The declared landed tables, by ``(source, entity)``."""

    def __init__(self, tables: list[LandedTable]) -> None:
        self._tables: dict[tuple[str, str], LandedTable] = {}
        for table in tables:
            self.declare(table)

    def declare(self, table: LandedTable) -> LandedTable:
        same_entity = [t for t in self._tables.values() if t.entity == table.entity]
        if any(t.row_model is not table.row_model for t in same_entity):
            raise ValueError(f"entity {table.entity!r} is already landed with another row model")
        self._tables[table.key] = table
        return table

    def remove(self, source: str, entity: str) -> None:
        del self._tables[(source, entity)]

    def get(self, source: str, entity: str) -> LandedTable:
        try:
            return self._tables[(source, entity)]
        except KeyError:
            raise KeyError(f"no landed table declared for source {source!r}, entity {entity!r}") from None

    def __iter__(self) -> Iterator[LandedTable]:
        return iter(self._tables.values())

    def datasets(self) -> dict[str, type[BaseModel]]:
        """entity -> row model, one per raw view."""
        return {t.entity: t.row_model for t in self}


CATALOG = Catalog(
    [
        LandedTable(OPENALEX_SNAPSHOT, "works", Work, WorkRow, grain="one row per work record"),
        LandedTable(OPENALEX_SNAPSHOT, "authors", Author, AuthorRow, grain="one row per author record"),
        LandedTable(
            OPENALEX_SNAPSHOT,
            "merged_authors",
            MergedAuthorId,
            MergedAuthorRow,
            parse=csv_parser(MergedAuthorId, ("merge_date", "id", "merge_into_id")),
            grain="one row per merge",
        ),
        LandedTable(PLATFORM, "events", PlatformEvent, PlatformEventRow, grain="one row per event delivery"),
        # OpenAlex API responses (landed raw, then read record by record) land the snapshot's tables;
        # a 301 on a merged author id is one merged_authors record.
        LandedTable(OPENALEX_API, "works", Work, WorkRow, grain="one row per work record"),
        LandedTable(OPENALEX_API, "authors", Author, AuthorRow, grain="one row per author record"),
        LandedTable(OPENALEX_API, "merged_authors", MergedAuthorId, MergedAuthorRow, grain="one row per merge"),
        # arXiv entries: one row per entry of every landed Atom page; authors are a list column
        # (arXiv has only names). replay: lands the same pages under the same declaration.
        LandedTable(ARXIV_API, ARXIV_ENTRIES, ArxivEntry, ArxivEntryRow, grain="one row per arXiv entry record"),
    ]
)
