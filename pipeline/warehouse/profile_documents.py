"""Profile documents (``publish/profiles/<author_id>.json``) built in DuckDB, many at a time.

The rows every document reads (profiles with their trust components, topics, authorships, top
collaborators) are first gathered once for every wanted author, keyed and sorted by the author's place
in author id order; then, per range of authors (``CHUNK_AUTHORS``), each reading its range of those
tables, a few queries render every document's JSON text in pieces: the header query the text around the document's lists (the header from ``profiles``, the
trust components and, when the lake holds arXiv entries, the arXiv listing), and one query per list
(topics, works, top collaborators) its elements' texts, sorted by author and then as
:mod:`pipeline.profile_card` orders the list, each element after its separator. A document is then a
few slices of those Arrow buffers (:meth:`DocumentBatch.pieces`), written with one ``writev`` per
file: no per-author aggregate in SQL and no copy of the text per document in Python. A work's text is
the same in every document that lists it: each listed work's is rendered once, after the preparation,
into a scratch file, and a chunk reads its works' texts back by rank (:class:`_WorkTexts`), so no chunk
scans ``works``. The keys come
from the pydantic models in :mod:`pipeline.schemas.profile`, in their field order (a model field
without an expression here is an error), so the document contract stays in one place.

The texts are exactly what ``ProfileDocument.model_dump_json(indent=2)`` writes: where DuckDB's JSON
writer could spell a value differently (upper-case ``\\u00XX`` escapes, floats far from 0-100) the
document is re-serialised by pydantic-core, the serialiser behind ``model_dump_json``.

The labels profile pages show (venue without its qualifier, short arXiv category, short
affiliation) are Python functions, applied once per distinct value and joined in.
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pydantic_core
from pydantic import BaseModel

from pipeline.memory_limits import limit_bytes, limit_parts
from pipeline.schemas.profile import ArxivListing, ArxivPaper, Collaborator, ProfileDocument, Topic, Trust, Work
from pipeline.sql_text import sql_list, sql_string
from pipeline.storage.lake import dataset_files
from pipeline.storage.layout import PROFILES_DIR
from pipeline.storage.store import Store

# Words an arXiv listing drops when it shortens an affiliation ("Harvard University" -> "harvard").
_AFFILIATION_FILLER = {"university", "universität", "université", "universidad", "of", "the", "institute", "college"}
log = logging.getLogger(__name__)
CHUNK_AUTHORS = 20_000  # documents per chunk at most (see _author_chunks)
CHUNK_WORKS = 50_000  # works listed by a chunk's documents at most (~75 MB of text on the bench snapshots)


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


class _Hole:
    """A field of :func:`object_segments` whose JSON text is put in later (a list assembled in Arrow)."""

    def __init__(self, name: str) -> None:
        self.name = name


def object_segments(model: type[BaseModel], fields: dict[str, str | _Hole], depth: int) -> list[str | _Hole]:
    """Like :func:`object_sql`, split at the ``_Hole`` fields: SQL texts of the pieces between them,
    and the holes, in order (``[sql, hole, sql, hole, ..., sql]``)."""
    names = list(model.model_fields)
    if set(names) != set(fields):
        missing, extra = sorted(set(names) - set(fields)), sorted(set(fields) - set(names))
        raise ValueError(f"{model.__name__}: no SQL for {missing}, SQL for unknown fields {extra}")
    inner = "\n" + "  " * (depth + 1)
    segments: list[str | _Hole] = []
    pieces: list[str] = []
    for i, name in enumerate(names):
        pieces.append(sql_string(("{" if i == 0 else ",") + inner + json.dumps(name) + ": "))
        if isinstance(fields[name], _Hole):
            segments += [f"concat({', '.join(pieces)})", fields[name]]
            pieces = []
        else:
            pieces.append(fields[name])
    pieces.append(sql_string("\n" + "  " * depth + "}\n"))  # the document's final newline
    return [*segments, f"concat({', '.join(pieces)})"]


@dataclass(frozen=True)
class DocumentQueries:
    """The queries of one chunk of documents: the range ``$lo``-``$hi`` of ``a_ord`` (the wanted
    authors' places in author id order) of the tables ``prepare`` made once, for every wanted
    author, keyed and sorted by ``a_ord`` (see :func:`_in_range`).

    ``header``: one row per author of the chunk, ordered by ``ord`` (``a_ord - $lo``): ``segments``
    (the document's text around its lists) and ``odd_numbers``; ``lists``: per hole, ``(ord, text)``
    rows of that list's elements, ordered by ``ord`` and then as the list is ordered, but for the works:
    ``(ord, w_rank)`` rows, in that order (a range scan of ``doc_authorships``), each the rank of a
    work whose text ``work_texts`` (``(w_rank, text)`` rows, run once after ``prepare``) rendered."""

    header: str
    segments: int
    holes: list[str]
    lists: dict[str, str]
    prepare: list[str] = field(default_factory=list)  # run once before the chunks (temp tables they read)
    work_texts: str = ""  # run once after prepare: every listed work's element text, by rank (see _WorkTexts)


LIST_DEPTH = 1  # the document's lists are fields of the top-level object
# the order of a document's works (pipeline.profile_card's), as the ranks of doc_work_ranks number them
WORK_ORDER = "publication_year desc nulls last, lower(title), title, work_id"


def document_queries(*, max_collaborators: int, with_arxiv: bool) -> DocumentQueries:
    """The queries behind the documents (see :class:`DocumentQueries`). ``prepare`` reads
    ``doc_all_wanted(author_id, a_ord)``; the chunk queries read the tables it made, ``doc_wanted``
    (the chunk's authors), ``doc_venue_labels`` and, ``with_arxiv``, ``doc_arxiv_entries``,
    ``doc_affiliation_labels`` and ``doc_category_labels`` (see :func:`document_batches`).

    Each list is sorted once by one ORDER BY of its chunk and joined in Arrow (ordered string
    aggregates per author cost several times more)."""
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
            "components": f"coalesce({map_value_sql('p.components', depth=2)}, '{{}}')",
        },
        depth=1,
    )
    segments = object_segments(
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
            "topics": _Hole("topics"),
            "works": _Hole("works"),
            "collaborators": _Hole("collaborators"),
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
            join doc_wanted using (author_id)
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
    texts = [s for s in segments if isinstance(s, str)]
    header = f"""
    with chunk_profiles as (select * from doc_profiles where a_ord between $lo and $hi){arxiv_ctes}
    select p.a_ord - $lo as ord, {", ".join(f"{text} as s{i}" for i, text in enumerate(texts))},
           -- where DuckDB's JSON writer and pydantic's could differ: floats written without an
           -- exponent (components far from 0-100); see also the \\u00XX check in _assemble
           coalesce(list_bool_or(list_transform(map_values(p.components),
               lambda x: not (x = 0 or (abs(x) >= 1e-5 and abs(x) < 1e15)))), false) as odd_numbers
    from chunk_profiles p
    {arxiv_join}
    order by p.a_ord
    """
    # the lists read the prepared tables (below), keyed and sorted by the author's place in
    # doc_all_wanted: a chunk is a range of a_ord, each list a range scan of its table
    chunk = "a_ord between $lo and $hi"
    lists = {
        "topics": f"""
        select a_ord - $lo as ord, {_element(topic)} as text
        from doc_topics where {chunk}
        order by a_ord, works_count desc, topic_display_name, topic_id
        """,
        # a work's text is the same in every document that lists it: rendered once, in prepare order
        # (see work_texts), and read back by its rank; doc_authorships is sorted by (a_ord, w_rank), the
        # list's order, so a chunk's rows are a range scan, in order, and no chunk reads works
        "works": f"""
        select a_ord - $lo as ord, w_rank
        from doc_authorships where {chunk}
        """,
        "collaborators": f"""
        select a_ord - $lo as ord, {_element(collaborator)} as text
        from doc_top_collaborators where {chunk}
        order by a_ord, shared_works desc, last_year desc nulls last, name_rank
        """,
    }
    # run once before the chunks, with doc_all_wanted(author_id, a_ord): every wanted author's rows
    # of each list's table, sorted by a_ord (a table of every author read once, not once per chunk);
    # the top collaborators ranked once, their last sort keys (display name, id) as one integer
    prepare = [
        """
        create or replace temp table doc_profiles as
        select w.a_ord, p.*, t.components::map(varchar, double) as components
        from profiles p join doc_all_wanted w using (author_id)
        left join trust_snapshots t on t.author_id = p.author_id and t.as_of = p.trust_as_of
        order by w.a_ord
        """,
        """
        create or replace temp table doc_topics as
        select w.a_ord, t.topic_id, t.topic_display_name, t.works_count
        from topic_counts t join doc_all_wanted w using (author_id)
        order by w.a_ord
        """,
        # the works the wanted authors list (only those: an incremental export wants few authors),
        # ranked once as every works list is ordered: an author's works by rank are their list's order
        f"""
        create or replace temp table doc_work_ranks as
        select work_id, row_number() over (order by {WORK_ORDER}) - 1 as w_rank
        from works
        where work_id in (select a.work_id from authorships a join doc_all_wanted w using (author_id))
        """,
        """
        create or replace temp table doc_authorships as
        select w.a_ord, r.w_rank from authorships a join doc_all_wanted w using (author_id)
        join doc_work_ranks r using (work_id)
        order by w.a_ord, r.w_rank
        """,
        # ranked on narrow rows (ids as integers, no names): the sort behind the window is most of the
        # prepare's time at 2M works (43M directed edges); names and ids are joined to the top rows only
        f"""
        create or replace temp table doc_top_collaborators as
        with names as (
            select author_id, display_name, row_number() over (order by display_name, author_id) as name_rank
            from profiles
        ),
        top as (
            select w.a_ord, e.shared_works, e.first_year, e.last_year, e.is_close, n.name_rank
            from collaborator_edges_directed e join doc_all_wanted w on w.author_id = e.author_id
            join names n on n.author_id = e.collaborator_id
            qualify row_number() over (
                partition by w.a_ord order by e.shared_works desc, e.last_year desc nulls last, n.name_rank
            ) <= {int(max_collaborators)}
        )
        select t.a_ord, n.author_id as collaborator_id, t.shared_works, t.first_year, t.last_year, t.is_close,
               n.display_name, t.name_rank
        from top t join names n using (name_rank)
        order by t.a_ord
        """,
    ]
    # run once after prepare: every ranked work's element text, in whatever order the scan gives
    work_texts = f"""
    select r.w_rank, {_element(work)} as text
    from doc_work_ranks r join works w using (work_id)
    left join doc_venue_labels l on l.name = w.source
    """
    holes = [s.name for s in segments if isinstance(s, _Hole)]
    return DocumentQueries(
        header=header, segments=len(texts), holes=holes, lists=lists, prepare=prepare, work_texts=work_texts
    )


ELEMENT_SEPARATOR = ",\n" + "  " * (LIST_DEPTH + 1)


def _element(sql: str) -> str:
    """SQL of a list element's text with the separator before it (``,\n    {...}``): an author's
    elements, in order, are then the list's text from its second byte on (see :class:`DocumentBatch`)."""
    head = "concat("
    if sql.startswith(head):  # one concat: one copy of big values
        return f"{head}{sql_string(ELEMENT_SEPARATOR)}, {sql[len(head) :]}"
    return f"concat({sql_string(ELEMENT_SEPARATOR)}, {sql})"


def _labels(con: duckdb.DuckDBPyConnection, name: str, values_sql: str, label) -> None:
    """Register ``name(name, label)``: ``label`` applied to each distinct value of ``values_sql``."""
    values = [row[0] for row in con.execute(values_sql).fetchall() if row[0] is not None]
    con.register(name, pa.table({"name": pa.array(values, pa.string()), "label": [label(v) for v in values]}))


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


def string_buffers(array: pa.Array, what: str) -> tuple[np.ndarray, pa.Buffer | None]:
    """A string array's offsets (numpy, no copy) and UTF-8 data buffer; ``what`` names a value in the
    errors (a non-string column, a NULL)."""
    if array.type not in (pa.string(), pa.large_string()):
        raise TypeError(f"not a string column: {array.type}")
    if array.null_count:
        raise ValueError(f"{what} is NULL")
    width = np.int64 if array.type == pa.large_string() else np.int32
    _, offsets, data = array.buffers()
    return np.frombuffer(offsets, width, len(array) + 1, array.offset * np.dtype(width).itemsize), data


class _Texts:
    """A string column as its offsets and its UTF-8 bytes (one buffer, no copy per value)."""

    def __init__(self, column: pa.ChunkedArray | pa.Array) -> None:
        if isinstance(column, pa.ChunkedArray):  # one chunk (the usual case): its buffers as they are, no copy
            array = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
        else:
            array = column
        offsets, data = string_buffers(array, "a document part")
        self.offsets = offsets.tolist()
        self.data = memoryview(data if data is not None else b"")
        self.array = array

    def flagged(self) -> np.ndarray:
        """Rows whose text has an escape DuckDB's JSON writer spells as pydantic's does not: control
        characters in upper-case hex (``\\u001F``; pydantic writes ``\\u001f``). One search of the whole
        buffer (a match counts for the row it lies in, whole)."""
        odd = np.zeros(len(self.array), bool)
        offsets = self.offsets
        first, last = offsets[0], offsets[-1]
        for match in _ODD_ESCAPE.finditer(self.data, first, last):
            row = bisect.bisect_right(offsets, match.start()) - 1
            if match.end() <= offsets[row + 1]:
                odd[row] = True
        return odd


_ODD_ESCAPE = re.compile(rb"\\u00(?:0[BEF]|1[A-F])")


_OPEN, _CLOSE, _EMPTY = b"[", ("\n" + "  " * LIST_DEPTH + "]").encode(), b"[]"


class DocumentBatch:
    """The documents of one chunk of authors, kept as the parts DuckDB rendered: the header's
    segments and, between them, each list's elements (contiguous per author, in order, each after
    its separator). :meth:`pieces` gives one document as a few slices of those buffers, to write
    (``os.writev``) or join without assembling every document first."""

    def __init__(self, author_ids: list[str], segments: list[_Texts], lists: list[tuple[list[int], _Texts]]):
        self.author_ids = author_ids
        self.segments = segments
        self.lists = lists  # per list: (first element of author i: bounds[i], one past its last: bounds[i+1]), texts
        self.replaced: dict[int, bytes] = {}

    def __len__(self) -> int:
        return len(self.author_ids)

    def pieces(self, i: int) -> list:
        """The bytes of document ``i`` (final newline included), as a list of buffers."""
        if i in self.replaced:
            return [self.replaced[i]]
        segments, lists = self.segments, self.lists
        first = segments[0]
        out = [first.data[first.offsets[i] : first.offsets[i + 1]]]
        for k, (bounds, texts) in enumerate(lists):
            start, end = bounds[i], bounds[i + 1]
            if start == end:
                out.append(_EMPTY)
            else:  # "[" + the elements without the first separator's comma + "\n  ]"
                out += [_OPEN, texts.data[texts.offsets[start] + 1 : texts.offsets[end]], _CLOSE]
            segment = segments[k + 1]
            out.append(segment.data[segment.offsets[i] : segment.offsets[i + 1]])
        return out

    def document(self, i: int) -> bytes:
        return b"".join(self.pieces(i))


class _WorkTexts:
    """Every listed work's element text, rendered once (``DocumentQueries.work_texts``) and kept in one
    scratch file, in the order the scan gave them (the big texts are not sorted): per ``w_rank`` the
    byte start and length of its text. :meth:`texts` reads a chunk's texts back with ``os.preadv``, not
    a memory map (mapped pages would count in the process's resident memory); :meth:`close` deletes
    the file."""

    BATCH_ROWS = 8_192

    def __init__(self, cursor: duckdb.DuckDBPyConnection, sql: str, folder: str | os.PathLike) -> None:
        self.fd: int | None
        self.fd, self.path = tempfile.mkstemp(prefix="profile-work-texts-", suffix=".bin", dir=folder)
        try:
            count = cursor.execute("select count(*) from doc_work_ranks").fetchall()[0][0]
            self.starts = np.full(count, -1, np.int64)
            self.lengths = np.zeros(count, np.int64)
            self._write(cursor.sql(sql).to_arrow_reader(self.BATCH_ROWS))
            if count and self.starts.min() < 0:
                raise RuntimeError(f"{int((self.starts < 0).sum())} ranked works have no text")
        except BaseException:
            self.close()
            raise

    def _write(self, reader: pa.RecordBatchReader) -> None:
        position = 0
        for batch in reader:
            ranks = batch.column(0).to_numpy()
            array = batch.column(1)
            offsets, data = string_buffers(array, "a work's text")
            first, last = int(offsets[0]), int(offsets[-1])
            self.starts[ranks] = position + (offsets[:-1] - first)
            self.lengths[ranks] = np.diff(offsets)
            rest = memoryview(data)[first:last] if data is not None else memoryview(b"")
            while rest:  # the batch's texts as they are in Arrow's buffer: no copy
                rest = rest[os.write(self.fd, rest) :]
            position += last - first

    def texts(self, ranks: np.ndarray) -> pa.Array:
        """The texts of works ``ranks`` (a work may come more than once), in that order, as one
        contiguous ``large_string`` array: each distinct text read once, in file order, into the place
        of its first row; its other rows copied from there."""
        count = len(ranks)
        lengths = self.lengths[ranks]
        offsets = np.zeros(count + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        data = np.empty(int(offsets[-1]), np.uint8)
        view = memoryview(data)
        needed, first, inverse = np.unique(ranks, return_index=True, return_inverse=True)
        starts = self.starts[needed]
        order = np.argsort(starts, kind="stable")  # in file order
        rows = first[order]
        fd, preadv = self.fd, os.preadv
        for at, lo, hi in zip(starts[order].tolist(), offsets[rows].tolist(), offsets[rows + 1].tolist(), strict=True):
            done = preadv(fd, [view[lo:hi]], at)
            while done < hi - lo:  # a short read (not at the end of a regular file, but possible)
                more = preadv(fd, [view[lo + done : hi]], at + done)
                if more == 0:
                    raise EOFError(f"{self.path} ends before byte {at + done}")
                done += more
        origin = first[inverse.reshape(-1)]  # each row's first row of the same work
        copies = np.flatnonzero(origin != np.arange(count))
        sources = offsets[origin[copies]].tolist()
        for source, lo, hi in zip(sources, offsets[copies].tolist(), offsets[copies + 1].tolist(), strict=True):
            view[lo:hi] = view[source : source + hi - lo]
        return pa.Array.from_buffers(pa.large_string(), count, [None, pa.py_buffer(offsets), pa.py_buffer(data)])

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def _scratch_folder(cursor: duckdb.DuckDBPyConnection) -> tuple[Path, bool]:
    """Where the works' texts go by default: DuckDB's temp directory (the export sets it to the data
    dir's spill folder; a file database's default is next to the file), made if missing (the second
    value: made here), else the system's temp folder (an in-memory database's relative default, or a
    folder that cannot be made)."""
    setting = cursor.execute("select current_setting('temp_directory')").fetchall()[0][0]
    if setting and os.path.isabs(setting):
        folder = Path(setting)
        try:
            made = not folder.is_dir()
            folder.mkdir(parents=True, exist_ok=True)
            return folder, made
        except OSError:
            pass
    return Path(tempfile.gettempdir()), False


def document_batches(
    con: duckdb.DuckDBPyConnection,
    author_ids: list[str] | None = None,
    *,
    lake: Store | None = None,
    max_collaborators: int = 10,
    scratch_dir: str | os.PathLike | None = None,
    memory_limit: str | None = None,
) -> Iterator[DocumentBatch]:
    """The documents of every author (``author_ids``: only those) in batches of ascending author
    ids, each text what ``ProfileDocument.model_dump_json(indent=2)`` gives, plus a newline.

    The works' texts are rendered once into a scratch file in ``scratch_dir`` (default: DuckDB's temp
    directory, see :func:`_scratch_folder`), deleted when the batches end (exhausted, closed or failed).

    ``memory_limit``: DuckDB's limit while the chunks render, set once the tables they read are prepared
    and the works' texts written (which run under the connection's own limit), and set back when the
    batches end. The chunks read small ranges of those tables: under a lower limit the tables spill to
    DuckDB's temp directory instead of holding the connection's whole limit (at 2M works ~350 MB of them
    would stay in memory). It only lowers: a limit above the connection's is not applied. A limit DuckDB
    cannot lower to (it cannot evict enough) is logged and skipped; a misspelt one raises. A chunk that runs
    out of memory under it is rendered again under the connection's limit, as are the chunks after it."""
    cursor = con.cursor()  # its own result and registered tables: ``con`` stays free for the caller
    work_texts: _WorkTexts | None = None
    folder, made = None, False
    restore: str | None = None
    try:
        _labels(cursor, "doc_venue_labels", "select distinct source from works", venue_label)
        queries = document_queries(max_collaborators=max_collaborators, with_arxiv=_register_arxiv(cursor, lake))
        everyone, bounds = _author_chunks(cursor, author_ids)
        cursor.register(
            "doc_all_wanted",
            pa.table({"author_id": everyone, "a_ord": pa.array(np.arange(len(everyone), dtype=np.int64))}),
        )
        for sql in queries.prepare:
            cursor.execute(sql)
        cursor.unregister("doc_all_wanted")
        folder, made = _scratch_folder(cursor) if scratch_dir is None else (Path(scratch_dir), False)
        work_texts = _WorkTexts(cursor, queries.work_texts, folder)
        if memory_limit:
            restore = _lower_memory_limit(cursor, memory_limit)
        for lo, hi in bounds:
            # one range of author ids at a time: memory holds one chunk's documents only
            chunk = everyone.slice(lo, hi - lo)
            # the chunk's authors, for the header's arXiv listing (the rest reads the a_ord range)
            cursor.register("doc_wanted", pa.table({"author_id": chunk}))
            try:
                batch = _batch(cursor, queries, chunk.to_pylist(), lo=lo, hi=hi - 1, work_texts=work_texts)
            except duckdb.OutOfMemoryException as error:
                if restore is None:  # already under the connection's own limit: nothing left to give
                    raise
                log.warning(
                    "profile documents: out of memory under %s, the rest render under %s: %s",
                    memory_limit,
                    restore,
                    str(error).split("\n", 1)[0],
                )
                cursor.execute(f"set memory_limit = {sql_string(restore)}")
                restore = None
                batch = _batch(cursor, queries, chunk.to_pylist(), lo=lo, hi=hi - 1, work_texts=work_texts)
            yield batch
            cursor.unregister("doc_wanted")
    finally:
        if restore is not None:
            try:
                cursor.execute(f"set memory_limit = {sql_string(restore)}")
            except duckdb.Error as error:  # keep the error that ended the batches, if any
                log.warning("profile documents: could not set the memory limit back to %s: %s", restore, error)
        if work_texts is not None:
            work_texts.close()
        if made:
            try:
                folder.rmdir()  # made here and left empty (DuckDB spilled nothing there)
            except OSError:
                pass
        cursor.close()


def _lower_memory_limit(cursor: duckdb.DuckDBPyConnection, limit: str) -> str | None:
    """Set DuckDB's memory limit to ``limit`` if that is lower than the one it has; returns the limit it
    had (to set back), or None when it was kept: ``limit`` is not lower, or DuckDB refused (it could not
    evict enough to fit: the chunks then render under the limit it had)."""
    before = cursor.execute("select current_setting('memory_limit')").fetchall()[0][0]
    now, wanted = limit_bytes(before), limit_bytes(limit)
    if now is not None and wanted is not None and wanted >= now:
        return None
    try:
        cursor.execute(f"set memory_limit = {sql_string(limit)}")
    except duckdb.OutOfMemoryException as error:  # a misspelt limit still raises
        first_line = str(error).split("\n", 1)[0]
        log.warning(
            "profile documents: memory limit kept at %s, could not lower it to %s: %s", before, limit, first_line
        )
        return None
    # DuckDB spells the limit cut to one decimal ("300MB" -> "286.1 MiB", 286.102...): set back as spelled, it
    # would read "286.0 MiB"; half a decimal more sets it back within 0.05 of a unit and spelled as before
    parts = limit_parts(before)
    return f"{float(parts[0]) + 0.05:.2f} {parts[1]}" if parts and "." in parts[0] else before


def _in_range(sql: str, lo: int, hi: int) -> str:
    """A chunk's query: the range ``$lo``-``$hi`` of a_ord (the chunk's authors) filled in."""
    return sql.replace("$lo", str(int(lo))).replace("$hi", str(int(hi)))


def _batch(
    cursor: duckdb.DuckDBPyConnection,
    queries: DocumentQueries,
    chunk: list[str],
    *,
    lo: int,
    hi: int,
    work_texts: _WorkTexts,
) -> DocumentBatch:
    count = len(chunk)
    header = cursor.sql(_in_range(queries.header, lo, hi)).to_arrow_table()
    if header.num_rows != count:
        raise RuntimeError(f"{count - header.num_rows} wanted authors have no profile row")
    segments = [_Texts(header.column(f"s{i}")) for i in range(queries.segments)]
    odd = header.column("odd_numbers").to_numpy().astype(bool)  # floats DuckDB writes as pydantic does not
    for texts in segments:
        odd |= texts.flagged()
    lists = []
    for hole in queries.holes:
        rows = cursor.sql(_in_range(queries.lists[hole], lo, hi)).to_arrow_table()
        ords = rows.column("ord").to_numpy()
        if hole == "works":  # (ord, w_rank) rows: the texts rendered once, read back in row order
            ranks = rows.column("w_rank").to_numpy()
            if len(ords) > 1 and not _ascending(ords, ranks):  # a scan out of insertion order
                order = np.lexsort((ranks, ords))
                ords, ranks = ords[order], ranks[order]
            texts = _Texts(work_texts.texts(ranks))
        else:
            texts = _Texts(rows.column("text"))
        bounds = np.zeros(count + 1, np.int64)
        if len(ords):
            np.cumsum(np.bincount(ords, minlength=count), out=bounds[1:])
        flagged = texts.flagged()
        if flagged.any():
            odd[np.unique(ords[flagged])] = True
        lists.append((bounds.tolist(), texts))
    batch = DocumentBatch(chunk, segments, lists)
    for i in np.flatnonzero(odd).tolist():
        batch.replaced[i] = reserialise_json(batch.document(i).decode()).encode()
    return batch


def _ascending(ords: np.ndarray, ranks: np.ndarray) -> bool:
    """Whether the ``(ord, rank)`` pairs are in ascending order (as doc_authorships holds them)."""
    step_ord, step_rank = np.diff(ords), np.diff(ranks)
    return bool(np.all((step_ord > 0) | ((step_ord == 0) & (step_rank >= 0))))


def document_texts(
    con: duckdb.DuckDBPyConnection,
    author_ids: list[str] | None = None,
    *,
    lake: Store | None = None,
    max_collaborators: int = 10,
) -> Iterator[tuple[str, str]]:
    """``(author_id, document text)`` of every author (``author_ids``: only those), by author id;
    the text is what ``ProfileDocument.model_dump_json(indent=2)`` gives, plus a newline."""
    for batch in document_batches(con, author_ids, lake=lake, max_collaborators=max_collaborators):
        for i, author_id in enumerate(batch.author_ids):
            yield author_id, batch.document(i).decode()


def _author_chunks(
    con: duckdb.DuckDBPyConnection, author_ids: list[str] | None
) -> tuple[pa.Array, list[tuple[int, int]]]:
    """The wanted author ids (every profile when ``None``) in ascending order, as one Arrow array, and
    the chunks to render them in: ``[lo, hi)`` ranges of it of at most ``CHUNK_AUTHORS`` authors and, but
    for a single author, ``CHUNK_WORKS`` authorships (their works are most of a document's text: a
    chunk's memory stays the same whatever the warehouse's size). The ids stay in Arrow (no Python
    tuple per author: a million of them at 2M works)."""
    filter_sql = ""
    if author_ids is not None:
        con.register("doc_subset", pa.table({"author_id": pa.array(list(author_ids), pa.string())}))
        filter_sql = "where p.author_id in (select author_id from doc_subset)"
    try:
        table = con.sql(
            "select p.author_id, count(a.work_id) as works from profiles p left join authorships a using (author_id) "
            f"{filter_sql} group by p.author_id order by p.author_id"
        ).to_arrow_table()
    finally:
        if author_ids is not None:
            con.unregister("doc_subset")
    ids = table.column("author_id")
    ids = ids.combine_chunks() if ids.num_chunks != 1 else ids.chunk(0)
    bounds: list[tuple[int, int]] = []
    lo = works = 0
    for i, count in enumerate(table.column("works").to_numpy().tolist()):
        if i > lo and (i - lo >= CHUNK_AUTHORS or works + count > CHUNK_WORKS):
            bounds.append((lo, i))
            lo, works = i, 0
        works += count
    if len(ids) > lo:
        bounds.append((lo, len(ids)))
    return ids.cast(pa.string()), bounds


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
