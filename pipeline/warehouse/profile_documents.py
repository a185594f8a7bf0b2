"""Profile documents (``publish/profiles/<author_id>.json``) built in DuckDB, many at a time.

One query assembles every wanted author's document as a DuckDB struct and turns it into JSON
text with ``to_json``: the header from ``profiles``, the trust components, topics, works,
the top collaborators and, when the lake holds arXiv entries, the arXiv listing, each list
ordered as :mod:`pipeline.profile_card` orders it. The struct's keys come from the pydantic
models in :mod:`pipeline.schemas.profile`, in their field order (a model field without an
expression here is an error), so the document contract stays in one place.

:func:`document_texts` yields ``(author_id, text)`` with the text exactly as
``ProfileDocument.model_dump_json(indent=2)`` writes it: DuckDB's compact JSON is re-serialised
by pydantic-core, the serialiser behind ``model_dump_json``, so indentation, float formatting
and string escapes are pydantic's own.

The labels profile pages show (venue without its qualifier, short arXiv category, short
affiliation) are Python functions, applied once per distinct value and joined in.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pydantic_core
from pydantic import BaseModel

from pipeline.schemas.profile import ArxivListing, ArxivPaper, Collaborator, ProfileDocument, Topic, Trust, Work
from pipeline.sql_text import sql_list, sql_string
from pipeline.storage.lake import dataset_files
from pipeline.storage.layout import PROFILES_DIR
from pipeline.storage.store import Store

# Words an arXiv listing drops when it shortens an affiliation ("Harvard University" -> "harvard").
_AFFILIATION_FILLER = {"university", "universität", "université", "universidad", "of", "the", "institute", "college"}
_BATCH_ROWS = 2_000  # documents per Arrow batch fetched from DuckDB (a few MB of JSON text)
CHUNK_AUTHORS = 20_000  # documents per query (bounds the memory of the per-author aggregates)


def venue_label(venue: str | None) -> str | None:
    """A venue as profile pages show it: OpenAlex's qualifier in brackets dropped
    ("arXiv (Cornell University)" -> "arXiv")."""
    if not venue:
        return venue
    return re.sub(r"\s*\([^()]*\)$", "", venue).strip() or venue


def category_label(category: str | None) -> str | None:
    """An arXiv category as listings show it: "cs.LG" -> "LG"."""
    return category.rsplit(".", 1)[-1] if category else category


def affiliation_label(name: str) -> str:
    """The first distinctive word of an affiliation, lower case ("Harvard University" -> "harvard")."""
    words = [w for w in re.findall(r"[^\W\d_]+", name) if w.lower() not in _AFFILIATION_FILLER]
    return (words[0] if words else name).lower()


def _pad(depth: int) -> str:
    """A newline and the indentation of a value ``depth`` levels deep, as SQL text."""
    return sql_string("\n" + "  " * depth)


def value_sql(expression: str) -> str:
    """The JSON text of a scalar (``null`` for NULL; strings escaped by DuckDB's JSON writer)."""
    return f"coalesce(to_json({expression})::varchar, 'null')"


def object_sql(model: type[BaseModel], fields: dict[str, str], depth: int) -> str:
    """The indented JSON text of one ``model`` object at ``depth``, its keys in the model's field
    order; ``fields`` maps every field to SQL giving the JSON text of its value."""
    names = list(model.model_fields)
    if set(names) != set(fields):
        missing, extra = sorted(set(names) - set(fields)), sorted(set(fields) - set(names))
        raise ValueError(f"{model.__name__}: no SQL for {missing}, SQL for unknown fields {extra}")
    inner = "\n" + "  " * (depth + 1)
    keys = [sql_string(("{" if i == 0 else ",") + inner + json.dumps(name) + ": ") for i, name in enumerate(names)]
    pieces = ", ".join(f"{key}, {fields[name]}" for key, name in zip(keys, names, strict=True))
    return f"concat({pieces}, {sql_string(chr(10) + '  ' * depth + '}')})"  # one concat: one copy of big values


def list_agg_sql(element: str, order_by: str, depth: int) -> str:
    """Aggregate: the JSON text of a list at ``depth`` of the group's ``element`` texts (NULL for no rows)."""
    separator = sql_string(",\n" + "  " * (depth + 1))
    body = f"string_agg({element}, {separator} order by {order_by})"
    return f"concat({sql_string('[' + chr(10) + '  ' * (depth + 1))}, {body}, {_pad(depth)}, ']')"


def list_value_sql(items: str, element, depth: int) -> str:
    """The JSON text of a list column ``items`` at ``depth``; ``element(x)`` gives one item's text."""
    body = f"array_to_string(list_transform({items}, lambda x: {_pad(depth + 1)} || {element('x')}), ',')"
    return f"(case when len({items}) = 0 then '[]' else '[' || {body} || {_pad(depth)} || ']' end)"


def map_value_sql(items: str, depth: int) -> str:
    """The JSON text of a MAP column ``items`` at ``depth`` (an object, keys in the map's order)."""
    entries = f"map_entries({items})"
    body = (
        f"array_to_string(list_transform({entries}, lambda e: {_pad(depth + 1)} || to_json(e.key)::varchar "
        f"|| ': ' || {value_sql('e.value')}), ',')"
    )
    return f"(case when cardinality({items}) = 0 then '{{}}' else '{{' || {body} || {_pad(depth)} || '}}' end)"


def document_sql(*, max_collaborators: int, with_arxiv: bool, wanted: str) -> str:
    """The query: ``(author_id, document)`` per author of ``wanted`` (a query of author ids),
    ordered by author id, ``document`` being the JSON text (without the final newline). Reads the
    temp tables ``doc_venue_labels`` and, ``with_arxiv``, ``doc_arxiv_entries``,
    ``doc_affiliation_labels`` and ``doc_category_labels`` (see :func:`document_texts`)."""
    v = value_sql
    topic = object_sql(
        Topic,
        {"topic_id": v("topic_id"), "display_name": v("topic_display_name"), "works_count": v("works_count")},
        depth=2,
    )
    work = object_sql(
        Work,
        {
            "work_id": v("w.work_id"),
            "title": v("w.title"),
            "type": v("w.type"),
            "publication_year": v("w.publication_year"),
            "publication_date": v("w.publication_date"),
            "venue": v("l.label"),
            "venue_name": v("w.source"),
            "cited_by_count": v("coalesce(w.cited_by_count, 0)"),
            "doi": v("w.doi"),
            "abstract": v("w.abstract"),
        },
        depth=2,
    )
    collaborator = object_sql(
        Collaborator,
        {
            "author_id": v("collaborator_id"),
            "display_name": v("display_name"),
            "shared_works": v("shared_works"),
            "first_year": v("first_year"),
            "last_year": v("last_year"),
            "is_close": v("is_close"),
        },
        depth=2,
    )
    trust = object_sql(
        Trust,
        {
            "score": v("p.trust_score"),
            "tier": v("p.trust_tier"),
            "model_version": v("p.trust_model_version"),
            "as_of": v("p.trust_as_of"),
            "components": f"coalesce({map_value_sql('c.components', depth=2)}, '{{}}')",
        },
        depth=1,
    )
    document = object_sql(
        ProfileDocument,
        {
            "schema_version": v(str(ProfileDocument.model_fields["schema_version"].default)),
            "author_id": v("p.author_id"),
            "display_name": v("p.display_name"),
            "orcid": v("p.orcid"),
            "claim_status": v("p.claim_status"),
            "verification_level": v("p.verification_level"),
            "trust": trust,
            "works_count": v("p.works_count"),
            "followers_count": v("coalesce(p.followers_count, 0)"),
            "topics_count": v("coalesce(p.topics_count, 0)"),
            "collaborators_count": v("coalesce(p.collaborators_count, 0)"),
            "close_collaborators_count": v("coalesce(p.close_collaborators_count, 0)"),
            "cited_by_count": v("coalesce(p.cited_by_count, 0)"),
            "topics": "coalesce(t.topics, '[]')",
            "works": "coalesce(w.works, '[]')",
            "collaborators": "coalesce(e.collaborators, '[]')",
            "arxiv": "coalesce(x.arxiv, 'null')" if with_arxiv else "'null'",
        },
        depth=0,
    )
    arxiv_ctes = ""
    arxiv_join = ""
    if with_arxiv:
        paper = object_sql(
            ArxivPaper,
            {
                "arxiv_id": v("arxiv_id"),
                "work_id": v("work_id"),
                "title": v("title"),
                "category": v("category"),
                "primary_category": v("primary_category"),
                "published_on": v("published_on"),
                "authors": list_value_sql("list_transform(authors, lambda a: a.name)", value_sql, depth=4),
                # short labels of every author's affiliations, in author order, first occurrence kept
                "affiliations": list_value_sql(
                    "list_filter(labels, lambda l, i: list_position(labels, l) = i)", value_sql, depth=4
                ),
                "cited_by_count": v("cited_by_count"),
                "abstract": v("abstract"),
            },
            depth=3,
        )
        listing = object_sql(
            ArxivListing,
            {
                "papers_count": v("count(*)"),
                "cited_by_count": v("sum(cited_by_count)"),
                "categories": "coalesce(any_value(k.categories), '[]')",
                "papers": list_agg_sql(paper, "published_at desc nulls last, arxiv_id", depth=2),
            },
            depth=1,
        )
        arxiv_ctes = f"""
        , arxiv_rows as (
            select a.author_id, s.work_id, e.arxiv_id, e.title, e.abstract, e.primary_category,
                   e.published_at, e.published_at::date as published_on,
                   list_sort(list_transform(e.authors, lambda a, i: {{'position_index': a.position_index, 'i': i,
                       'name': a.name, 'affiliations': coalesce(a.affiliations, [])}})) as authors,
                   coalesce(w.cited_by_count, 0) as cited_by_count
            from authorships a
            join wanted using (author_id)
            join work_sources s on s.work_id = a.work_id and s.source = 'arxiv'
            join doc_arxiv_entries e on e.arxiv_id = s.source_record_id
            join works w on w.work_id = a.work_id
            qualify row_number() over (partition by a.author_id, s.work_id order by e.published_at, e.arxiv_id) = 1
        ),
        affiliation_labels as (
            select map(coalesce(list(name), []::varchar[]), coalesce(list(label), []::varchar[])) as labels
            from doc_affiliation_labels
        ),
        arxiv_papers as (
            select r.*, c.label as category,
                   list_transform(flatten(list_transform(r.authors, lambda a: a.affiliations)),
                                  lambda n: f.labels[n]) as labels
            from arxiv_rows r cross join affiliation_labels f
            left join doc_category_labels c on c.name = r.primary_category
        ),
        arxiv_categories as (
            select author_id, {list_agg_sql(value_sql("category"), "papers desc, category", depth=2)} as categories
            from (select author_id, category, count(*) as papers from arxiv_papers
                  where category is not null and category <> '' group by all)
            group by author_id
        ),
        author_arxiv as (
            select author_id, {listing} as arxiv
            from arxiv_papers left join arxiv_categories k using (author_id)
            group by author_id
        )"""
        arxiv_join = "left join author_arxiv x using (author_id)"
    return f"""
    with wanted as ({wanted}),
    header as (select p.* from profiles p semi join wanted using (author_id)),
    author_components as (
        select t.author_id, t.components::map(varchar, double) as components
        from trust_snapshots t join header p on p.author_id = t.author_id and p.trust_as_of = t.as_of
    ),
    author_topics as (
        select author_id, {list_agg_sql(topic, "works_count desc, topic_display_name, topic_id", depth=1)} as topics
        from topic_counts semi join wanted using (author_id)
        group by author_id
    ),
    work_texts as (  -- a work's text is the same in every document that lists it: rendered once
        select w.work_id, w.publication_year, lower(w.title) as title_key, w.title, {work} as text
        from works w left join doc_venue_labels l on l.name = w.source
        where w.work_id in (select work_id from authorships semi join wanted using (author_id))
    ),
    author_works as (
        select a.author_id,
               {list_agg_sql("w.text", "w.publication_year desc nulls last, w.title_key, w.title, w.work_id", depth=1)}
                   as works
        from authorships a join wanted using (author_id) join work_texts w using (work_id)
        group by a.author_id
    ),
    top_collaborators as (
        select e.author_id, e.collaborator_id, p.display_name, e.shared_works, e.first_year, e.last_year, e.is_close
        from collaborator_edges_directed e join wanted using (author_id)
        join profiles p on p.author_id = e.collaborator_id
        qualify row_number() over (
            partition by e.author_id order by e.shared_works desc, e.last_year desc nulls last, p.display_name, e.collaborator_id
        ) <= {int(max_collaborators)}
    ),
    author_collaborators as (
        select author_id,
               {list_agg_sql(collaborator, "shared_works desc, last_year desc nulls last, display_name, collaborator_id", depth=1)}
                   as collaborators
        from top_collaborators group by author_id
    ){arxiv_ctes}
    , documents as (
    select p.author_id, {document} as document,
           -- where DuckDB's JSON writer and pydantic's could differ: upper-case \\u00XX escapes, floats
           -- written without an exponent (components far from 0-100)
           coalesce(list_bool_or(list_transform(map_values(c.components),
               lambda x: not (x = 0 or (abs(x) >= 1e-5 and abs(x) < 1e15)))), false) as odd_numbers
    from header p
    left join author_components c using (author_id)
    left join author_topics t using (author_id)
    left join author_works w using (author_id)
    left join author_collaborators e using (author_id)
    {arxiv_join}
    )
    select author_id, document,
           odd_numbers or (contains(document, '\\u00') and regexp_matches(document, '\\\\u00(0[BEF]|1[A-F])'))
               as reserialise
    from documents
    order by author_id
    """


def _labels(con: duckdb.DuckDBPyConnection, name: str, values_sql: str, label) -> None:
    """Register ``name(name, label)``: ``label`` applied to each distinct value of ``values_sql``."""
    values = [row[0] for row in con.execute(values_sql).fetchall() if row[0] is not None]
    con.register(name, pa.table({"name": pa.array(values, pa.string()), "label": [label(v) for v in values]}))


def _wanted_sql(con: duckdb.DuckDBPyConnection, author_ids: list[str] | None) -> str:
    if author_ids is None:
        return "select author_id from profiles"
    con.register("doc_wanted", pa.table({"author_id": pa.array(author_ids, pa.string())}))
    return "select distinct author_id from doc_wanted"


def _register_arxiv(con: duckdb.DuckDBPyConnection, lake: Store | None) -> bool:
    files = dataset_files(lake, "arxiv_entries") if lake is not None else []
    if not files:
        return False
    lake.attach(con)
    paths = sql_list([lake.for_duckdb(f) for f in files])
    con.execute(
        "create or replace temp view doc_arxiv_entries as "
        "select arxiv_id, title, abstract, authors, primary_category, published_at "
        f"from read_parquet({paths}, union_by_name = true, hive_partitioning = false) "
        "qualify row_number() over (partition by arxiv_id order by version desc, updated_at desc nulls last) = 1"
    )
    _labels(
        con,
        "doc_affiliation_labels",
        "select distinct unnest(a.affiliations) from (select unnest(authors) as a from doc_arxiv_entries)",
        affiliation_label,
    )
    _labels(con, "doc_category_labels", "select distinct primary_category from doc_arxiv_entries", category_label)
    return True


def document_texts(
    con: duckdb.DuckDBPyConnection,
    author_ids: list[str] | None = None,
    *,
    lake: Store | None = None,
    max_collaborators: int = 10,
) -> Iterator[tuple[str, str]]:
    """``(author_id, document text)`` of every author (``author_ids``: only those), by author id;
    the text is what ``ProfileDocument.model_dump_json(indent=2)`` gives, plus a newline."""
    cursor = con.cursor()  # its own result and registered tables: ``con`` stays free for the caller
    try:
        _labels(cursor, "doc_venue_labels", "select distinct source from works", venue_label)
        with_arxiv = _register_arxiv(cursor, lake)
        for chunk in _author_chunks(cursor, author_ids):
            # one query per range of author ids: the aggregates hold the text of one chunk's documents
            # only (all 333k documents of a 1M-works warehouse at once ran a 24 GB machine out of memory)
            wanted = _wanted_sql(cursor, chunk)
            sql = document_sql(max_collaborators=max_collaborators, with_arxiv=with_arxiv, wanted=wanted)
            for batch in cursor.sql(sql).to_arrow_reader(_BATCH_ROWS):
                columns = (batch.column(i).to_pylist() for i in range(3))
                for author_id, text, reserialise in zip(*columns, strict=True):
                    yield author_id, (reserialise_json(text) if reserialise else text + "\n")
    finally:
        cursor.close()


def _author_chunks(con: duckdb.DuckDBPyConnection, author_ids: list[str] | None) -> Iterator[list[str]]:
    """The wanted author ids (every profile when ``None``) in ascending ranges of ``CHUNK_AUTHORS``."""
    if author_ids is None:
        ids = [row[0] for row in con.execute("select author_id from profiles order by author_id").fetchall()]
    else:
        ids = sorted(set(author_ids))
    for start in range(0, len(ids), CHUNK_AUTHORS):
        yield ids[start : start + CHUNK_AUTHORS]


def reserialise_json(text: str) -> str:
    """JSON text as ``model_dump_json(indent=2)`` writes it: parsed and written again by
    pydantic-core, the serialiser behind ``model_dump_json`` (for the rare documents where
    DuckDB's JSON writer spells a value differently)."""
    return pydantic_core.to_json(pydantic_core.from_json(text), indent=2).decode() + "\n"


@dataclass(frozen=True)
class ProfileExport:
    written: int  # documents built and written
    carried: int  # documents hard-linked from the previous export (an incremental build)


def carry_over_documents(
    con: duckdb.DuckDBPyConnection, folder: Path, changed_authors: frozenset[str], previous: Path | None
) -> tuple[int, list[str]] | None:
    """Hard-link into ``folder`` the previous export's documents that cannot have changed; returns
    (how many, the author ids whose document must be built), or None without a previous export.

    A document reads the author's own rows and the names of their top collaborators, so it can change
    when the author changed or one of their collaborators did. ``changed_authors`` holds the first and,
    from before the build, the collaborators of the changed authors; the collaborators of now are added here.
    """
    source = previous / PROFILES_DIR if previous is not None else None
    if source is None or not source.is_dir():
        return None
    cursor = con.cursor()
    cursor.register("doc_changed", pa.table({"author_id": pa.array(sorted(changed_authors), pa.string())}))
    rows = cursor.execute(
        "select author_id, author_id in (select author_id from doc_changed) "
        "or author_id in (select e.author_id from collaborator_edges_directed e "
        "                 where e.collaborator_id in (select author_id from doc_changed)) "
        "from profiles order by author_id"
    ).fetchall()
    cursor.close()
    target = folder / PROFILES_DIR
    target.mkdir(exist_ok=True)
    rebuild: list[str] = []
    linked = 0
    for author_id, changed in rows:
        if not changed:
            try:
                os.link(source / f"{author_id}.json", target / f"{author_id}.json")
                linked += 1
                continue
            except FileNotFoundError:  # not in the previous export: build it
                pass
        rebuild.append(author_id)
    return linked, rebuild
