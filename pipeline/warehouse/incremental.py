"""Incremental warehouse builds: splice only what new lake files touch into a copy
of the previous warehouse.

:func:`choose_mode` decides. A build is incremental only when the previous build
recorded its inputs, the SQL, settings, contracts and code are unchanged (the
code fingerprint), the as_of date is the same, and every file the previous build
read is still there unchanged: only new lake files (and quarantine files) were
added. Anything else (no previous warehouse, ``--full-refresh``, a replaced or
removed file, new merged author ids, a changed trust history) is a full build,
and the report says why.

:func:`build_incremental` runs the *same* SQL models as a full build, over raw
inputs restricted to the rows that the affected keys need, then deletes the
affected keys from a copy of the previous warehouse and inserts the recomputed
rows, in one transaction. The keys:

* **records** (OpenAlex work ids, arXiv ids): those in the new files, closed
  under the cross-source work matching (every record a DOI, arXiv id or title+year
  could link them to, and the members of their previous works), plus the arXiv
  entries whose name matching may change because an author's names, works or
  co-authors changed (name keys of those authors);
* **works**: the previous and the new work ids of those records;
* **authors**: the previous and new authors of those works, the authors of new
  author records and of new platform events, and whoever the recomputation
  matches on them (checked after each pass; another pass if it grew).

The raw inputs then hold every record of every work of those authors, with its
whole cross-source component, and for every arXiv entry among them the name
candidates and all of their works, so each recomputed row sees what it sees in a
full build. A row of an affected author computed from a work outside that set
means the context was too small: that work joins the set and the pass repeats.

Tables are spliced by their key column, found from their columns: ``work_id``
(works, authorships, work_sources), ``author_id`` (profiles, topic_counts,
trust_snapshots), ``author_a``/``author_b`` (collaborator edges); a table with
none of them (quarantine, quality_runs) is rebuilt whole, which is allowed only
when it reads no restricted raw input (checked from the model graph).

Kept between builds in the warehouse's ``incremental`` schema (written by the full
build, spliced like the marts, never published): ``int_arxiv_name_evidence`` (per
author, what the arXiv name matching knows; the matching of the entries being
recomputed reads only the rows under their name keys and their candidates'
co-author rows) and ``record_keys`` (the link keys of every lake record version,
so the closure never normalises the titles of the whole lake).

The evidence is only ever read to match arXiv entries, so a full build of a lake
without any skips it (:func:`deferred_models`: the table is kept empty and
``arxiv_evidence_deferred`` marks it) and an incremental build that finds arXiv
entries in such a warehouse falls back to a full build, which computes it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date

import duckdb

from pipeline.catalog import CATALOG
from pipeline.config import Settings
from pipeline.sql_text import sql_string
from pipeline.storage.lake import dataset_files
from pipeline.storage.layout import DataLayout
from pipeline.storage.publish import discard_build
from pipeline.warehouse.inputs import create_lake_view, create_raw_inputs, raw_input_names
from pipeline.warehouse.models import Macro, Model, plan
from pipeline.warehouse.variables import model_variables, set_variables

FULL = "full"
INCREMENTAL = "incremental"

# Entities whose new files an incremental build knows how to trace to affected keys.
_TRACED = ("works", "authors", "arxiv_entries", "events")
# Raw inputs passed through whole (cheap, and only tables rebuilt whole read them).
_WHOLE = frozenset({"raw_merged_authors", "raw_quarantine", "raw_quality_runs"})
# Above this share of the previous profiles touched (in a warehouse of at least _SMALL authors), a full build
# is cheaper.
_MAX_AUTHOR_SHARE = 0.25
_SMALL = 10_000
_MAX_PASSES = 6
# Kept between builds beside the marts (not published): the arXiv matching's evidence per author.
_STATE_SCHEMA = "incremental"
_EVIDENCE = "int_arxiv_name_evidence"
# ... and the link keys of every lake record version (what the closure of the changed records follows).
_RECORD_KEYS = "record_keys"
# The temp models save_state reads after the last model (the full build keeps them until then).
STATE_INPUTS = frozenset({_EVIDENCE})
# Marks a warehouse whose full build had no arXiv entry to match and so skipped the evidence (kept empty):
# the first arXiv entries then need a full build (see deferred_models, _splice).
_EVIDENCE_DEFERRED = "arxiv_evidence_deferred"
# What an incremental build spliced in, for its gate (pipeline.quality.gate.changed_keys): key column ->
# the table of its deleted or inserted keys. Only in a warehouse file an incremental build made.
CHANGED_KEYS = {"work_id": f"{_STATE_SCHEMA}.changed_works", "author_id": f"{_STATE_SCHEMA}.changed_authors"}


class Fallback(Exception):
    """The change cannot be handled incrementally with certainty; the message says why."""


@dataclass
class BuildMode:
    mode: str
    reason: str
    new_files: dict[str, list[str]] = field(default_factory=dict)  # entity -> new lake files


def choose_mode(
    settings: Settings,
    *,
    as_of: date,
    previous: dict,
    listing: dict[str, tuple[int, float]],
    code_fingerprint: str,
    full_refresh: bool = False,
) -> BuildMode:
    """Incremental or full, and why (see the module docstring)."""
    layout = DataLayout.of(settings)
    if full_refresh:
        return BuildMode(FULL, "--full-refresh asked for a full rebuild")
    if not settings.incremental_builds:
        return BuildMode(FULL, "incremental builds are switched off (PIPELINE_INCREMENTAL_BUILDS=false)")
    if not layout.warehouse_path.exists() or not previous:
        return BuildMode(FULL, "no previous warehouse")
    before = previous.get("input_files")
    if before is None or previous.get("code_fingerprint") is None:
        return BuildMode(FULL, "the previous build recorded no input files")
    if previous["code_fingerprint"] != code_fingerprint:
        return BuildMode(FULL, "the SQL, the settings, the contracts or the code changed since the last build")
    if str(previous.get("as_of")) != as_of.isoformat():
        return BuildMode(
            FULL, f"a new as_of date ({previous.get('as_of')} -> {as_of}): every author gets a trust snapshot"
        )
    gone = [key for key, stat in before.items() if key not in listing or list(listing[key]) != list(stat)]
    if gone:
        return BuildMode(
            FULL,
            f"{len(gone)} file(s) the last build read were replaced or removed (e.g. {gone[0].split('|', 1)[-1]}): "
            "their earlier rows are not known",
        )
    added = {key for key in listing if key not in before}
    lake_prefix = f"{layout.lake.uri}|"
    quarantine_prefix = f"{layout.quarantine.uri}|"
    others = sorted(k for k in added if not k.startswith((lake_prefix, quarantine_prefix)))
    if others:
        return BuildMode(FULL, f"the trust history changed ({others[0].split('|', 1)[-1]})")
    new_files: dict[str, list[str]] = {}
    for entity in CATALOG.datasets():
        paths = [p for p in dataset_files(layout.lake, entity) if f"{lake_prefix}{layout.lake.relative(p)}" in added]
        if paths:
            new_files[entity] = paths
    if "merged_authors" in new_files:
        return BuildMode(FULL, "new merged author ids: any author id may resolve differently")
    untraced = sorted(set(new_files) - set(_TRACED))
    if untraced:
        return BuildMode(FULL, f"new {', '.join(untraced)} files: no incremental rule for them")
    summary = ", ".join(f"{len(paths)} {entity}" for entity, paths in new_files.items()) or "quarantine only"
    return BuildMode(INCREMENTAL, f"only new lake files since the last build ({summary})", new_files)


@dataclass
class IncrementalStats:
    records: int = 0  # OpenAlex and arXiv records whose work is recomputed
    works: int = 0  # work ids deleted or inserted
    authors: int = 0  # author ids deleted or inserted
    context_records: int = 0  # records read to recompute them
    arxiv_entries: int = 0  # arXiv entries recomputed (changed, or their name matching may change)
    passes: int = 0


def build_incremental(
    settings: Settings,
    *,
    as_of: date,
    new_files: dict[str, list[str]],
    on_step=None,
    max_author_share: float = _MAX_AUTHOR_SHARE,
):
    """Copy the published warehouse, splice in what ``new_files`` touch; returns
    ``(BuiltWarehouse, IncrementalStats)`` unpublished. Raises :class:`Fallback`."""
    from pipeline.warehouse.build import BuiltWarehouse

    layout = DataLayout.of(settings)
    building = layout.building_path()
    discard_build(building)
    shutil.copyfile(layout.warehouse_path, building)
    try:
        con = duckdb.connect()
        try:
            con.execute(f"set temp_directory = {sql_string(layout.duckdb_temp_dir)}")
            if getattr(settings, "duckdb_memory_limit", None):
                con.execute(f"set memory_limit = {sql_string(settings.duckdb_memory_limit)}")
            set_variables(con, model_variables(settings, as_of))
            con.execute(f"attach {sql_string(building)} as prev")
            stats, row_counts = _splice(con, layout, new_files, on_step, max_author_share)
            changed = frozenset(r[0] for r in con.execute("select author_id from inc_document_authors").fetchall())
            con.execute("detach prev")
        finally:
            con.close()
    except BaseException:
        discard_build(building)
        raise
    built = BuiltWarehouse(building, as_of, row_counts, changed_authors=changed)
    return built, stats


def _step(on_step, text: str) -> None:
    if on_step is not None:
        on_step(text)


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(f"select count(*) from ({sql})").fetchall()[0][0]


def _splice(con, layout, new_files, on_step, max_author_share):
    steps = plan(raw_input_names())
    models = [s for s in steps if isinstance(s, Model)]
    macros = [s for s in steps if isinstance(s, Macro)]
    create_raw_inputs(con, layout, prefix="lake_")
    for entity in CATALOG.datasets():
        create_lake_view(con, f"new_{entity}", layout, entity, new_files.get(entity, []))
    _check_whole_tables(models)
    if not con.execute(
        "select 1 from duckdb_tables() where database_name = 'prev' and schema_name = ? and table_name = ?",
        [_STATE_SCHEMA, _EVIDENCE],
    ).fetchall():
        raise Fallback("the previous warehouse keeps no arXiv name evidence (built before it was kept)")
    if not con.execute(
        "select 1 from duckdb_tables() where database_name = 'prev' and schema_name = ? and table_name = ?",
        [_STATE_SCHEMA, _RECORD_KEYS],
    ).fetchall():
        raise Fallback("the previous warehouse keeps no record link keys (built before they were kept)")

    # Merged-id resolution first: unchanged (new merged ids make a full build), read whole.
    by_name = {m.name: m for m in models}
    from pipeline.warehouse.build import run_macro, run_model

    con.execute("create or replace temp view raw_merged_authors as select * from lake_merged_authors")
    run_model(con, by_name["stg_openalex__merged_authors"])
    for macro in macros:
        run_macro(con, macro)

    _step(on_step, "incremental: affected keys")
    _seed(con)
    con.execute(f"create temp table inc_new_keys as {_record_keys_sql('new_works', 'new_arxiv_entries')}")
    con.execute(
        f"create temp view inc_record_keys as select * from prev.{_STATE_SCHEMA}.{_RECORD_KEYS} "
        "union all select * from inc_new_keys"
    )
    has_arxiv = _count(con, "select 1 from lake_arxiv_entries limit 1") > 0
    evidence_deferred = bool(
        con.execute(
            "select 1 from duckdb_tables() where database_name = 'prev' and schema_name = ? and table_name = ?",
            [_STATE_SCHEMA, _EVIDENCE_DEFERRED],
        ).fetchall()
    )
    if evidence_deferred and has_arxiv:
        raise Fallback(
            "the lake has arXiv entries now and the previous build, which had none, skipped the arXiv name "
            "evidence: a full build computes it"
        )
    if has_arxiv:
        con.execute(
            "create temp table inc_arxiv_names as select distinct arxiv_id, normalize_person_name(a.name) as name_key "
            "from (select arxiv_id, unnest(authors) as a from lake_arxiv_entries) where a.name is not null"
        )
    _close_records(con, has_arxiv)
    con.execute(
        "create temp table inc_tw_old as select distinct work_id from prev.work_sources where "
        "(source = 'openalex' and source_record_id in (select id from inc_r_open)) "
        "or (source = 'arxiv' and source_record_id in (select id from inc_r_arx))"
    )
    con.execute(
        "create temp table inc_ta as select author_id from prev.authorships where work_id in (select work_id from inc_tw_old) "
        "union select author_id from inc_ma union select author_id from inc_seed_authors"
    )
    con.execute("create temp table inc_l1_extra (id varchar, source varchar)")
    total_authors = _count(con, "select 1 from prev.profiles")

    stats = IncrementalStats()
    for stats.passes in range(1, _MAX_PASSES + 1):
        affected = _count(con, "select 1 from inc_ta")
        if total_authors >= _SMALL and affected > max_author_share * total_authors:
            raise Fallback(f"the change touches {affected} of {total_authors} authors: a full build is cheaper")
        _step(on_step, f"incremental: context (pass {stats.passes})")
        _context(con)
        _restricted_inputs(con)
        con.execute(f"drop table if exists {_EVIDENCE}")
        for model in models:
            _step(on_step, model.key)
            run_model(con, model, empty=evidence_deferred and model.name == _EVIDENCE)  # kept empty, see above
            if model.name == _EVIDENCE:
                _evidence_view(con)
        con.execute(
            "create or replace temp table inc_tw_new as select distinct work_id from work_sources where "
            "(source = 'openalex' and source_record_id in (select id from inc_r_open)) "
            "or (source = 'arxiv' and source_record_id in (select id from inc_r_arx))"
        )
        grew = con.execute(
            "insert into inc_ta select distinct author_id from authorships "
            "where work_id in (select work_id from inc_tw_new) and author_id not in (select author_id from inc_ta)"
        ).fetchall()[0][0]
        # A row of an affected author from a work outside its full context: widen the context.
        wider = con.execute(
            "insert into inc_l1_extra select distinct s.source_record_id, s.source from int_authorships as a "
            "join work_sources as s on s.work_id = a.work_id "
            "where a.author_id in (select author_id from inc_ta) "
            "and a.work_id not in (select work_id from work_sources where source || ':' || source_record_id in "
            "(select source || ':' || id from inc_l1)) "
            "and s.source || ':' || s.source_record_id not in (select source || ':' || id from inc_l1_extra)"
        ).fetchall()[0][0]
        if not grew and not wider:
            break
    else:
        raise Fallback(f"the affected keys did not settle after {_MAX_PASSES} passes")

    con.execute("create temp table inc_tw_all as select work_id from inc_tw_old union select work_id from inc_tw_new")
    stats.records = _count(con, "select id from inc_r_open union all select id from inc_r_arx")
    stats.works = _count(con, "select work_id from inc_tw_all")
    stats.authors = _count(con, "select author_id from inc_ta")
    stats.context_records = _count(con, "select 1 from inc_ctx_open") + _count(con, "select 1 from inc_ctx_arx")
    stats.arxiv_entries = _count(con, "select id from inc_r_arx")

    # Whose profile documents can change: the affected authors and their collaborators before the splice
    # (pipeline.warehouse.profile_documents adds those after it).
    con.execute(
        "create temp table inc_document_authors as select author_id from inc_ta "
        "union select author_b from prev.collaborator_edges where author_a in (select author_id from inc_ta) "
        "union select author_a from prev.collaborator_edges where author_b in (select author_id from inc_ta)"
    )
    _step(on_step, "incremental: splice")
    row_counts: dict[str, int] = {}
    con.execute("begin transaction")
    try:
        for model in models:
            if model.layer != "marts" or model.materialized != "table":
                continue
            _splice_table(con, model.name)
        con.execute(f"delete from prev.{_STATE_SCHEMA}.{_EVIDENCE} where author_id in (select author_id from inc_ta)")
        con.execute(f"insert into prev.{_STATE_SCHEMA}.{_EVIDENCE} select * from inc_evidence_new")
        con.execute(
            f"insert into prev.{_STATE_SCHEMA}.{_RECORD_KEYS} select * from inc_new_keys "
            f"except select * from prev.{_STATE_SCHEMA}.{_RECORD_KEYS} where id in (select id from inc_new_keys)"
        )
        con.execute(f"create or replace table prev.{CHANGED_KEYS['work_id']} as select work_id from inc_tw_all")
        con.execute(f"create or replace table prev.{CHANGED_KEYS['author_id']} as select author_id from inc_ta")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for model in models:
        if model.materialized == "table":
            row_counts[model.name] = con.execute(f"select count(*) from prev.{model.name}").fetchall()[0][0]
    con.execute("checkpoint prev")
    return stats, row_counts


def _check_whole_tables(models: list[Model]) -> None:
    """A mart table without a key column is rebuilt whole: it must read only whole raw inputs."""
    by_name = {m.name: m for m in models}

    def raw_reads(name: str, seen: set[str]) -> set[str]:
        if name in seen:
            return set()
        seen.add(name)
        if name not in by_name:
            return {name} if name.startswith("raw_") else set()
        found: set[str] = set()
        for read in by_name[name].reads:
            found |= raw_reads(read, seen)
        return found

    for model in models:
        if model.layer != "marts" or model.materialized != "table":
            continue
        columns = set(model.contract.columns)
        if columns & {"work_id", "author_id", "author_a"}:
            continue
        restricted = raw_reads(model.name, set()) - _WHOLE
        if restricted:
            raise Fallback(f"{model.key} has no key column and reads {', '.join(sorted(restricted))}")


def _record_keys_sql(works: str, arxiv_entries: str) -> str:
    """The keys a record links by (a superset of int_work_sources' links): one row per distinct
    (source, record id, doi, arXiv key, title key, year) of every version in the two inputs."""
    return (
        "select 'openalex' as source, work_id as id, doi, "
        "case when doi like '10.48550/arxiv.%' then substr(doi, 16) end as arxiv_key, "
        f"normalize_title(title) as title_key, publication_year::integer as year from {works} "
        "union select 'arxiv', arxiv_id, doi, lower(arxiv_id), normalize_title(title), "
        f"year(published_at)::integer from {arxiv_entries}"
    )


def _seed(con) -> None:
    con.execute("create temp table inc_r_open as select distinct work_id as id from new_works")
    con.execute("create temp table inc_r_arx as select distinct arxiv_id as id from new_arxiv_entries")
    con.execute(
        "create temp table inc_seed_authors as "
        "select distinct resolve_author_id(author_id) as author_id from new_authors "
        "union select distinct resolve_author_id(author_id) from lake_events "
        "where event_id in (select event_id from new_events)"
    )


def _listed(authors: str) -> str:
    """The listed author ids (own and merged-away) that resolve to an author of ``authors``."""
    return (
        f"select author_id from {authors} union select merged_id from stg_openalex__merged_authors "
        f"where surviving_id in (select author_id from {authors})"
    )


def _complete_components(con, open_table: str, arx_table: str) -> None:
    """Add every member of the previous works of the records in the two tables."""
    con.execute(
        f"create or replace temp table inc_tmp_works as select distinct work_id from prev.work_sources where "
        f"(source = 'openalex' and source_record_id in (select id from {open_table})) "
        f"or (source = 'arxiv' and source_record_id in (select id from {arx_table}))"
    )
    for table, source in ((open_table, "openalex"), (arx_table, "arxiv")):
        con.execute(
            f"insert into {table} select distinct source_record_id from prev.work_sources "
            f"where source = '{source}' and work_id in (select work_id from inc_tmp_works) "
            f"and source_record_id not in (select id from {table})"
        )


def _close_records(con, has_arxiv: bool) -> None:
    """Grow inc_r_open/inc_r_arx to a union of whole components of the new record graph
    (the changed records), then add the arXiv entries whose author matching may change
    and their components (recomputed, but unchanged themselves).

    inc_ma: the authors whose evidence for the arXiv matching (int_arxiv_name_evidence:
    their names, works and co-authors) may change, i.e. the authors listed on a changed
    record and those with a new author record. The entries to recompute are those
    listing one of their old or new name keys; their own authors' evidence does not
    change (it is computed from OpenAlex records only), so this does not cascade."""
    _link_closure(con)
    # the author entries of every version of the changed records: one scan of the lake
    con.execute(
        "create or replace temp table inc_r_entries as select e.author_id, e.display_name from "
        "(select unnest(authorships) as e from lake_works where work_id in (select id from inc_r_open))"
    )
    con.execute(
        "create or replace temp table inc_ma as "
        "select distinct resolve_author_id(author_id) as author_id from inc_r_entries "
        "where author_id is not null "
        "union select author_id from inc_seed_authors"
    )
    if not has_arxiv:
        return
    con.execute(f"create or replace temp table inc_ma_listed as {_listed('inc_ma')}")
    # old keys: the kept evidence; new keys: every version of their author records and of the changed records
    con.execute(
        f"create or replace temp table inc_names as select key as name_key from prev.{_STATE_SCHEMA}.{_EVIDENCE} "
        "where kind = 'name' and author_id in (select author_id from inc_ma) "
        "union select normalize_person_name(display_name) from lake_authors "
        "where author_id in (select author_id from inc_ma_listed) "
        "union select normalize_person_name(display_name) from inc_r_entries"
    )
    con.execute(
        "insert into inc_r_arx select distinct arxiv_id from inc_arxiv_names "
        "where name_key in (select name_key from inc_names) and arxiv_id not in (select id from inc_r_arx)"
    )
    _link_closure(con)


def _link_closure(con) -> None:
    """Grow inc_r_open/inc_r_arx until they are a union of whole components: every member of their
    previous works, and every record a DOI, arXiv id or title+year could link them to (looked up in
    inc_record_keys: the kept keys of every earlier lake record, and those of the new files)."""
    while True:
        before = _count(con, "select id from inc_r_open union all select id from inc_r_arx")
        _complete_components(con, "inc_r_open", "inc_r_arx")
        # Every key a version of these records links by (a superset of the model's links).
        con.execute(
            "create or replace temp table inc_keys as "
            "select doi, arxiv_key, title_key, year from inc_record_keys "
            "where source = 'openalex' and id in (select id from inc_r_open) "
            "union all select doi, arxiv_key, title_key, year from inc_record_keys "
            "where source = 'arxiv' and id in (select id from inc_r_arx)"
        )
        con.execute(
            "create or replace temp table inc_title_keys as select distinct title_key, year from inc_keys "
            "where length(title_key) >= 20 and year is not null"
        )
        # (a title match two years apart is a superset too: harmless, only more records)
        for table, source in (("inc_r_open", "openalex"), ("inc_r_arx", "arxiv")):
            con.execute(
                f"insert into {table} select distinct id from inc_record_keys where source = '{source}' and "
                "(doi in (select doi from inc_keys where doi is not null) "
                " or arxiv_key in (select arxiv_key from inc_keys where arxiv_key is not null) "
                " or (year in (select year + d from inc_title_keys, (values (-1), (0), (1)) t(d)) "
                "     and title_key in (select title_key from inc_title_keys))) "
                f"and id not in (select id from {table})"
            )
        after = _count(con, "select id from inc_r_open union all select id from inc_r_arx")
        if after == before:
            return


def _context(con) -> None:
    """inc_ctx_open / inc_ctx_arx (records to read) and inc_cu (authors whose records to read):
    the changed records, and every work of an affected author (whole components). The arXiv
    entries among them are matched against the kept evidence of every other author
    (:func:`_evidence_view`), so the works of their namesakes need not be read."""
    con.execute(
        "create or replace temp table inc_l1_open as select id from inc_r_open "
        "union select id from inc_l1_extra where source = 'openalex' "
        "union select source_record_id from prev.work_sources where source = 'openalex' and work_id in "
        "(select work_id from prev.authorships where author_id in (select author_id from inc_ta))"
    )
    con.execute(
        "create or replace temp table inc_l1_arx as select id from inc_r_arx "
        "union select id from inc_l1_extra where source = 'arxiv' "
        "union select source_record_id from prev.work_sources where source = 'arxiv' and work_id in "
        "(select work_id from prev.authorships where author_id in (select author_id from inc_ta))"
    )
    _complete_components(con, "inc_l1_open", "inc_l1_arx")
    con.execute(
        "create or replace temp table inc_l1 as select id, 'openalex' as source from inc_l1_open "
        "union all select id, 'arxiv' from inc_l1_arx"
    )
    con.execute("create or replace temp table inc_ctx_open as select id from inc_l1_open")
    con.execute("create or replace temp table inc_ctx_arx as select id from inc_l1_arx")
    con.execute("create or replace temp table inc_cu as select author_id from inc_ta")


def _evidence_view(con) -> None:
    """The evidence the arXiv matching reads: the kept rows of every author the change does not
    touch, and the rows just computed (from each one's whole context) of those it does; of
    those, only what int_arxiv_authorships can read for the entries being recomputed: the
    ``name`` rows under their name keys, and the ``coauthor`` rows of the authors those name
    rows are of. The kept table is ordered by (kind, key) for name rows and (kind, author_id)
    for coauthor rows (:func:`save_state`), so both lookups read a few row groups of it."""
    con.execute(
        f"create or replace temp table inc_evidence_new as select * from {_EVIDENCE} "
        "where author_id in (select author_id from inc_ta)"
    )
    con.execute(f"drop table {_EVIDENCE}")
    kept = f"prev.{_STATE_SCHEMA}.{_EVIDENCE}"
    con.execute(
        "create or replace temp table inc_entry_keys as select distinct name_key as key "
        "from stg_arxiv__authorships where name_key is not null"
    )
    con.execute(
        f"create or replace temp table inc_evidence_names as select * from {kept} "
        "where kind = 'name' and key in (select key from inc_entry_keys) "
        "and author_id not in (select author_id from inc_ta)"
    )
    con.execute(
        f"create temp table {_EVIDENCE} as select * from inc_evidence_names "
        f"union all select * from {kept} where kind = 'coauthor' "
        "and author_id in (select distinct author_id from inc_evidence_names) "
        "union all select * from inc_evidence_new"
    )


def deferred_models(raw_files: dict[str, int]) -> frozenset[str]:
    """The models a full build may leave empty, given how many lake files back each raw input
    (:func:`pipeline.warehouse.inputs.create_raw_inputs`): the arXiv name evidence when the lake has
    no arXiv entries (nothing reads it but the matching of arXiv entries; at 100k works it costs
    seconds). :func:`save_state` marks it, and :func:`_splice` falls back to a full build when
    arXiv entries arrive later."""
    return frozenset({_EVIDENCE}) if not raw_files.get("raw_arxiv_entries") else frozenset()


def save_state(con: duckdb.DuckDBPyConnection, *, deferred: frozenset[str] = frozenset()) -> None:
    """Keep what the next incremental build needs beyond the marts (schema ``incremental``, not
    published): the arXiv matching's evidence per author (empty and marked as deferred when it is
    in ``deferred``, see :func:`deferred_models`). Called by the full build."""
    con.execute(f"create schema if not exists {_STATE_SCHEMA}")
    if _EVIDENCE in deferred:
        con.execute(
            f"create or replace table {_STATE_SCHEMA}.{_EVIDENCE_DEFERRED} as "
            "select 'no arXiv entries in the lake at the full build' as reason"
        )
    # Ordered by (kind, author_id) for coauthor rows and (kind, key) for name rows (see _evidence_view):
    # one sort per kind, coauthor rows first as 'coauthor' < 'name'. The same order as one sort by
    # (kind, case kind when 'name' then key else author_id end), at half its CPU time (2.2M rows at
    # 100k works: 1.8 s -> 0.95 s): no computed sort key, and the kind column out of the comparison.
    kept = f"{_STATE_SCHEMA}.{_EVIDENCE}"
    con.execute(
        f"create or replace table {kept} as select * from {_EVIDENCE} where kind = 'coauthor' order by author_id"
    )
    con.execute(f"insert into {kept} select * from {_EVIDENCE} where kind = 'name' order by key")
    con.execute(
        f"create or replace table {_STATE_SCHEMA}.{_RECORD_KEYS} as "
        f"{_record_keys_sql('raw_works', 'raw_arxiv_entries')}"
    )


def _restricted_inputs(con) -> None:
    """The ``raw_*`` inputs the models read, restricted to the context."""
    con.execute(f"create or replace temp table inc_cu_listed as {_listed('inc_cu')}")
    con.execute(f"create or replace temp table inc_ta_listed as {_listed('inc_ta')}")
    filters = {
        "raw_works": "select * from lake_works where work_id in (select id from inc_ctx_open)",
        "raw_arxiv_entries": "select * from lake_arxiv_entries where arxiv_id in (select id from inc_ctx_arx)",
        "raw_authors": "select * from lake_authors where author_id in (select author_id from inc_cu_listed)",
        "raw_events": "select * from lake_events where event_id in "
        "(select event_id from lake_events where author_id in (select author_id from inc_ta_listed))",
        "raw_trust_history": "select * from lake_trust_history "
        "where author_id in (select author_id from inc_ta_listed)",
    }
    for name in sorted(raw_input_names()):
        if name in _WHOLE:
            con.execute(f"create or replace temp view {name} as select * from lake_{name[4:]}")
        elif name in filters:
            con.execute(f"create or replace temp table {name} as {filters[name]}")
        else:
            raise Fallback(f"no incremental rule for the raw input {name}")


def _splice_table(con, table: str) -> None:
    columns = {row[0] for row in con.execute(f"select * from {table} limit 0").description}
    if "work_id" in columns:
        where_old = "work_id in (select work_id from inc_tw_all)"
        where_new = "work_id in (select work_id from inc_tw_new)"
    elif "author_id" in columns:
        where_old = where_new = "author_id in (select author_id from inc_ta)"
    elif {"author_a", "author_b"} <= columns:
        where_old = where_new = (
            "(author_a in (select author_id from inc_ta) or author_b in (select author_id from inc_ta))"
        )
    else:  # rebuilt whole (checked by _check_whole_tables)
        where_old = where_new = "true"
    con.execute(f"delete from prev.{table} where {where_old}")
    con.execute(f"insert into prev.{table} by name select * from {table} where {where_new}")
