"""Build the DuckDB warehouse from the lake, then (separately) publish it.

:func:`build_warehouse` runs the models in graph order into a new database file
beside the published one and returns a :class:`BuiltWarehouse`; nothing anyone
reads has changed yet. :func:`publish_warehouse` then writes the build date's
trust history, swaps the file in and exports the marts for downstream apps. The
caller gates in between (see :func:`pipeline.run.build`), so a failed gate leaves
the previous warehouse and outputs exactly as they were.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from pipeline.config import Settings
from pipeline.memory_limits import out_of_memory
from pipeline.schemas.lake import TrustSnapshotRow
from pipeline.schemas.types import arrow_schema
from pipeline.sql_text import sql_string
from pipeline.storage.layout import DataLayout
from pipeline.storage.parquet import write_batches
from pipeline.storage.publish import (
    discard_build,
    new_export_folder,
    pruning_in_background,
    swap_in,
    switch_publish,
    write_document_batches,
)
from pipeline.storage.publish_mirror import mirror_export
from pipeline.warehouse.inputs import create_raw_inputs, raw_input_names
from pipeline.warehouse.models import Macro, Model, plan
from pipeline.warehouse.profile_documents import ProfileExport, carry_over_documents, document_batches
from pipeline.warehouse.variables import model_variables, set_variables

StepCallback = Callable[[str], None]


@dataclass
class BuildReport:
    warehouse_path: Path
    as_of: date
    row_counts: dict[str, int] = field(default_factory=dict)
    published: list[Path] = field(default_factory=list)
    fingerprint: str | None = None
    up_to_date: bool = False  # nothing changed since the last build: skipped
    mode: str = "full"  # "full" or "incremental" (pipeline.warehouse.incremental)
    mode_reason: str = ""  # why this mode
    incremental: dict | None = None  # what an incremental build recomputed (records, works, authors, ...)
    code_fingerprint: str | None = None  # settings + SQL + contracts + code (incremental needs it unchanged)
    input_files: dict = field(default_factory=dict)  # every file the build read: "uri|path" -> [size, mtime]


@dataclass
class BuiltWarehouse:
    """A finished build that is not published yet."""

    path: Path
    as_of: date
    row_counts: dict[str, int]
    # An incremental build: the authors whose rows it replaced, and their collaborators before it (their
    # profile documents can change); the other documents are carried over. None: a full build.
    changed_authors: frozenset[str] | None = None


TRUST_BATCH_ROWS = 100_000


def todays_trust_rows(con: duckdb.DuckDBPyConnection, schema: str | None = None) -> pa.RecordBatchReader:
    """The trust snapshot rows of the build's as_of date (``schema``: an attached warehouse), which
    publishing appends to the trust history: a reader of batches (at 2M works the rows are ~210 MB
    in Arrow, held from the build to the export's end when they were one table)."""
    table = f"{schema}.trust_snapshots" if schema else "trust_snapshots"
    return con.sql(
        "select author_id, as_of, trust_score, trust_tier, verification_level, claim_status, "
        f"model_version, components::varchar as components from {table} "
        "where as_of = getvariable('as_of') order by author_id"
    ).to_arrow_reader(TRUST_BATCH_ROWS)


def write_trust_history(layout: DataLayout, built: BuiltWarehouse) -> str:
    """Append the build date's trust snapshot rows, read from the built file, to the trust history
    (streamed: one batch in memory at a time)."""
    con = duckdb.connect(str(built.path), read_only=True)
    try:
        con.execute(f"set temp_directory = {sql_string(layout.duckdb_temp_dir)}")
        set_variables(con, {"as_of": built.as_of})
        return write_batches(
            layout.history,
            arrow_schema(TrustSnapshotRow),
            todays_trust_rows(con),
            layout.trust_history_path(built.as_of),
        )
    finally:
        con.close()


def run_model(con: duckdb.DuckDBPyConnection, model: Model, scratch: str | None = None, *, empty: bool = False) -> None:
    """Materialise one SQL model as its ``.yml`` declares, with its descriptions
    as DuckDB comments on the table and every column. ``scratch``: an attached database that takes
    the ``temp`` models as tables (see :func:`scratch_database`) instead of DuckDB's temp catalog.
    ``empty``: its columns and no rows (DuckDB plans the query and runs none of it)."""
    kind = {"table": "table", "view": "view", "temp": "temp table"}[model.materialized]
    name = model.name
    if scratch is not None and model.materialized == "temp":
        kind, name = "table", f"{scratch}.{model.name}"
    sql = f"select * from (\n{model.sql}\n) where false" if empty else model.sql
    try:
        con.execute(f"create or replace {kind} {name} as\n{sql}")
        if model.persisted:  # a commit, which may checkpoint: it can run out of memory too
            comment_model(con, model)
    except duckdb.OutOfMemoryException as exc:
        raise out_of_memory(con, model.key, exc) from exc


def comment_model(con: duckdb.DuckDBPyConnection, model: Model) -> None:
    contract = model.contract
    text = f"{contract.description} (grain: {contract.grain})" if contract.description else f"Grain: {contract.grain}"
    kind = "view" if model.materialized == "view" else "table"
    con.execute(f"comment on {kind} {model.name} is {sql_string(text)}")
    columns = {row[0] for row in con.execute(f"select * from {model.name} limit 0").description}
    for column, description in contract.columns.items():
        if column in columns and description:
            con.execute(f'comment on column {model.name}."{column}" is {sql_string(description)}')


def run_macro(con: duckdb.DuckDBPyConnection, macro: Macro) -> None:
    con.execute(macro.create_sql())


SCRATCH = "build_scratch"


@contextmanager
def scratch_database(con: duckdb.DuckDBPyConnection, path: Path) -> Iterator[str]:
    """Attach a scratch database file at ``path`` for the build's ``temp`` models, found by name
    through the search path; detached and deleted on the way out. Temp tables live in DuckDB's
    buffer pool, and those still read by later models held it full under the memory limit (at 2M
    works the build ran out of memory under 600MB; now it builds under 500MB); a table in a
    database file is written to disk and read back through the pool like the marts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    discard_build(path)
    con.execute(f"attach {sql_string(str(path))} as {SCRATCH}")
    try:
        con.execute(f"set search_path = 'main,{SCRATCH}.main'")
        yield SCRATCH
    finally:
        try:
            con.execute("reset search_path")
            con.execute(f"detach {SCRATCH}")
        finally:
            discard_build(path)


def temp_models_done_after(steps: list[Model | Macro], keep: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """Model name -> the temp models nothing after it reads (its inputs read for the last time, or
    itself when nothing reads it), except ``keep``: a full build drops them then (from its scratch
    database, :func:`scratch_database`: dropped, their blocks are free for the later models' tables)."""
    models = [step for step in steps if isinstance(step, Model)]
    macros = {step.name: step for step in steps if isinstance(step, Macro)}
    last_reader = {m.name: m.name for m in models if m.materialized == "temp" and m.name not in keep}
    for model in models:
        # a macro's body reads its tables where a model calls it (plan() creates every macro after
        # the models it reads, before the models that call it)
        reads = set(model.reads).union(*(macros[name].reads for name in model.calls if name in macros))
        for name in reads:
            if name in last_reader:
                last_reader[name] = model.name
    done_after: dict[str, list[str]] = {}
    for name, reader in last_reader.items():
        done_after.setdefault(reader, []).append(name)
    return done_after


def build_warehouse(settings: Settings, *, as_of: date, on_step: StepCallback | None = None) -> BuiltWarehouse:
    """Build every model into a new database file; returns it unpublished."""
    from pipeline.warehouse.incremental import STATE_INPUTS, deferred_models, save_state

    layout = DataLayout.of(settings)
    layout.data_dir.mkdir(parents=True, exist_ok=True)
    building = layout.building_path()
    discard_build(building)
    row_counts: dict[str, int] = {}
    try:
        con = duckdb.connect(str(building))
        where = "the raw inputs"  # what ran when DuckDB ran out of memory, for the operator's error
        try:
            con.execute(f"set temp_directory = {sql_string(layout.duckdb_temp_dir)}")
            if settings.duckdb_memory_limit:  # spill instead of holding the collaborator pairs in memory
                con.execute(f"set memory_limit = {sql_string(settings.duckdb_memory_limit)}")
            set_variables(con, model_variables(settings, as_of))
            deferred = deferred_models(create_raw_inputs(con, layout))  # e.g. the arXiv evidence, no arXiv
            steps = plan(raw_input_names())
            done_after = temp_models_done_after(steps, keep=STATE_INPUTS)
            with scratch_database(con, layout.duckdb_temp_dir / f"scratch-{os.getpid()}.duckdb") as scratch:
                for step in steps:
                    if isinstance(step, Macro):
                        where = f"the macro {step.name}"
                        run_macro(con, step)
                        continue
                    where = step.key
                    if on_step is not None:
                        on_step(step.key)
                    run_model(con, step, scratch, empty=step.name in deferred)
                    if step.materialized == "table":
                        row_counts[step.name] = con.execute(f"select count(*) from {step.name}").fetchall()[0][0]
                    for name in done_after.get(step.name, ()):
                        where = f"{step.key} (dropping {name}, which nothing after it reads)"
                        con.execute(f"drop table {scratch}.{name}")
                # what the next incremental build needs (pipeline.warehouse.incremental)
                where = "saving the incremental build's state"
                save_state(con, deferred=deferred)
                where = "dropping the scratch database"
            where = "the final checkpoint"
            con.execute("checkpoint")
        except duckdb.OutOfMemoryException as exc:  # a model's own is a BuildOutOfMemoryError already
            raise out_of_memory(con, where, exc) from exc
        finally:
            con.close()
    except BaseException:
        discard_build(building)
        raise
    return BuiltWarehouse(building, as_of, row_counts)


def publish_warehouse(settings: Settings, built: BuiltWarehouse) -> list[Path]:
    """Make a (gated) build the published one: history first (the warehouse is
    derivable from it), then the file swap, then the Parquet exports."""
    layout = DataLayout.of(settings)
    write_trust_history(layout, built)
    swap_in(built.path, layout.warehouse_path)
    discard_build(built.path)
    return export_marts(
        layout,
        changed_authors=built.changed_authors,
        memory_limit=settings.export_memory_limit,
        documents_memory_limit=settings.documents_memory_limit,
    )


def export_marts(
    layout: DataLayout,
    changed_authors: frozenset[str] | None = None,
    *,
    memory_limit: str | None = Settings.model_fields["export_memory_limit"].default,
    documents_memory_limit: str | None = Settings.model_fields["documents_memory_limit"].default,
) -> list[Path]:
    """Export every mart table to a new folder, then point ``publish`` at it; the exports before the
    current one are deleted meanwhile, in a thread joined before this returns. ``changed_authors``
    (after an incremental build): only their profile documents are rebuilt, see :func:`export_profiles`.
    ``memory_limit``: DuckDB's share of the export (``Settings.export_memory_limit``; None: DuckDB's default);
    ``documents_memory_limit``: its share while the profile documents render (``Settings.documents_memory_limit``;
    None: ``memory_limit``)."""
    previous = layout.publish_dir.resolve() if layout.publish_dir.is_symlink() else None
    with pruning_in_background(layout):  # the old exports are deleted while this one is written
        folder = new_export_folder(layout)
        con = duckdb.connect(str(layout.warehouse_path), read_only=True)
        try:
            # DuckDB's buffer pool would otherwise keep what the export read (80% of RAM at most): a fixed
            # limit, and spill beyond it, keep the export's memory the same at any warehouse size
            if memory_limit:
                con.execute(f"set memory_limit = {sql_string(memory_limit)}")
            con.execute(f"set temp_directory = {sql_string(layout.duckdb_temp_dir)}")
            tables = [
                row[0]
                for row in con.execute(
                    "select table_name from information_schema.tables "
                    "where table_schema = 'main' and table_type = 'BASE TABLE' order by 1"
                ).fetchall()
            ]
            for table in tables:
                target = folder / f"{table}.parquet"
                con.execute(f"copy (select * from {table}) to {sql_string(target)} (format parquet, compression zstd)")
            export_profiles(
                con,
                layout,
                folder,
                changed_authors=changed_authors,
                previous=previous,
                memory_limit=documents_memory_limit,
            )
        finally:
            con.close()
        switch_publish(layout, folder)
        if layout.publish_store is not None:  # readers on other machines: the same export, behind a manifest
            mirror_export(layout.publish_store, folder)
    return [layout.publish_dir / f"{table}.parquet" for table in tables]


def export_profiles(
    con: duckdb.DuckDBPyConnection,
    layout: DataLayout,
    folder: Path,
    *,
    changed_authors: frozenset[str] | None = None,
    previous: Path | None = None,
    memory_limit: str | None = None,
) -> ProfileExport:
    """Every author's profile document (what ``pipeline profile --json`` prints) into the export folder.

    With ``changed_authors`` (an incremental build) and a ``previous`` export, only the documents that
    can differ are built: those of the changed authors and of everyone who has one of them as a
    collaborator now (names and ranks in the collaborator list); the others are hard-linked from the
    previous export (same bytes, same file). Removed authors have no document any more. ``memory_limit``:
    DuckDB's limit while the documents render (see :func:`document_batches`)."""
    carried = carry_over_documents(con, folder, changed_authors, previous) if changed_authors is not None else None
    if carried is None:
        written = write_document_batches(folder, document_batches(con, lake=layout.lake, memory_limit=memory_limit))
        return ProfileExport(written=written, carried=0)
    linked, rebuild = carried
    batches = document_batches(con, rebuild, lake=layout.lake, memory_limit=memory_limit)
    written = write_document_batches(folder, batches)
    return ProfileExport(written=written, carried=linked)
