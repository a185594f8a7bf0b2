"""Read researchers' profiles out of the warehouse as :class:`ProfileDocument` s,
shaped like the seed pages: header figures, published works (newest year first,
then title), top collaborators and, for authors with arXiv papers, the arXiv listing.

The same documents are printed by ``pipeline profile`` (as a card or ``--json``),
exported per author under ``publish/profiles/`` and rendered by ``pipeline report``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import duckdb

from pipeline.errors import NotFoundError
from pipeline.schemas.ids import short_id
from pipeline.schemas.profile import ArxivListing, ArxivPaper, Collaborator, ProfileDocument, Topic, Trust, Work
from pipeline.sql_text import sql_list
from pipeline.storage.lake import dataset_files
from pipeline.storage.store import Store
from pipeline.warehouse.profile_documents import affiliation_label, category_label, venue_label


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> list[dict]:
    cursor = con.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def find_author_id(con: duckdb.DuckDBPyConnection, query: str) -> str:
    """Resolve an id (short or URL form) or a display name to one author id."""
    candidate = str(short_id(query.strip())).upper()
    if candidate.startswith("A") and candidate[1:].isdigit():
        hits = con.execute("select author_id from profiles where author_id = ?", [candidate]).fetchall()
        if hits:
            return hits[0][0]
        raise NotFoundError(f"no author {candidate} in the warehouse")
    matches = _rows(
        con,
        "select author_id, display_name, works_count from profiles "
        "where lower(display_name) = lower(?) order by works_count desc, author_id",
        [query.strip()],
    )
    if not matches:
        matches = _rows(
            con,
            "select author_id, display_name, works_count from profiles "
            "where display_name ilike ? order by works_count desc, author_id limit 10",
            [f"%{query.strip()}%"],
        )
    if len(matches) == 1:
        return matches[0]["author_id"]
    if not matches:
        raise NotFoundError(f"no author named {query!r}; try part of the name or an id like A5023888391")
    listed = ", ".join(f"{m['author_id']} ({m['display_name']}, {m['works_count']} works)" for m in matches[:5])
    raise NotFoundError(f"{query!r} matches {len(matches)} authors: {listed}; pass an id instead")


def open_warehouse(warehouse: Path) -> duckdb.DuckDBPyConnection:
    if not warehouse.exists():
        raise NotFoundError(f"no warehouse at {warehouse}; run `pipeline run` first")
    return duckdb.connect(str(warehouse), read_only=True)


def load_profile(
    warehouse: Path, query: str, *, lake: Store | None = None, max_collaborators: int = 10
) -> ProfileDocument:
    """The profile of the author matching ``query`` (id or name). ``lake`` adds the
    arXiv listing's categories and affiliations, which only the landed arXiv entries hold."""
    con = open_warehouse(warehouse)
    try:
        author_id = find_author_id(con, query)
        return next(profile_documents(con, [author_id], lake=lake, max_collaborators=max_collaborators))
    finally:
        con.close()


def all_author_ids(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [row[0] for row in con.execute("select author_id from profiles order by author_id").fetchall()]


def profile_documents(
    con: duckdb.DuckDBPyConnection,
    author_ids: list[str],
    *,
    lake: Store | None = None,
    max_collaborators: int = 10,
    chunk: int = 20_000,  # each chunk scans the marts once: big chunks, few scans (memory stays bounded)
) -> Iterator[ProfileDocument]:
    """Documents of ``author_ids``, in that order, a few set-based queries per chunk of authors."""
    for start in range(0, len(author_ids), chunk):
        ids = author_ids[start : start + chunk]
        yield from _chunk_documents(con, ids, lake, max_collaborators)


def _by_author(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row.pop("for_author")].append(row)
    return grouped


def _chunk_documents(con, ids: list[str], lake: Store | None, max_collaborators: int) -> Iterator[ProfileDocument]:
    wanted = "(select unnest(?::varchar[]))"
    headers = {r["author_id"]: r for r in _rows(con, f"select * from profiles where author_id in {wanted}", [ids])}
    components = {
        r["author_id"]: json.loads(r["components"]) if r["components"] else {}
        for r in _rows(
            con,
            "select t.author_id, t.components::varchar as components from trust_snapshots t "
            f"join profiles p on p.author_id = t.author_id and p.trust_as_of = t.as_of where t.author_id in {wanted}",
            [ids],
        )
    }
    works = _by_author(
        _rows(
            con,
            f"""
            select a.author_id as for_author, w.work_id, w.title, w.type, w.publication_year, w.publication_date,
                   w.source, w.cited_by_count, w.doi, w.abstract
            from authorships a join works w using (work_id)
            where a.author_id in {wanted}
            order by a.author_id, w.publication_year desc nulls last, lower(w.title), w.title, w.work_id
            """,
            [ids],
        )
    )
    collaborators = _by_author(
        _rows(
            con,
            f"""
            select e.author_id as for_author, e.collaborator_id as author_id, p.display_name, e.shared_works,
                   e.first_year, e.last_year, e.is_close
            from collaborator_edges_directed e join profiles p on p.author_id = e.collaborator_id
            where e.author_id in {wanted}
            qualify row_number() over (
                partition by e.author_id order by e.shared_works desc, e.last_year desc nulls last, p.display_name, e.collaborator_id
            ) <= ?
            order by e.author_id, e.shared_works desc, e.last_year desc nulls last, p.display_name, e.collaborator_id
            """,
            [ids, max_collaborators],
        )
    )
    topics = _by_author(
        _rows(
            con,
            f"select author_id as for_author, topic_id, topic_display_name as display_name, works_count "
            f"from topic_counts where author_id in {wanted} order by author_id, works_count desc, topic_display_name, topic_id",
            [ids],
        )
    )
    papers = _arxiv_papers(con, ids, lake)
    for author_id in ids:
        h = headers[author_id]
        yield ProfileDocument(
            author_id=author_id,
            display_name=h["display_name"],
            orcid=h["orcid"],
            claim_status=h["claim_status"],
            verification_level=h["verification_level"],
            trust=Trust(
                score=h["trust_score"],
                tier=h["trust_tier"],
                model_version=h["trust_model_version"],
                as_of=h["trust_as_of"],
                components=components.get(author_id, {}),
            ),
            works_count=h["works_count"],
            followers_count=h["followers_count"] or 0,
            topics_count=h["topics_count"] or 0,
            collaborators_count=h["collaborators_count"] or 0,
            close_collaborators_count=h["close_collaborators_count"] or 0,
            cited_by_count=h["cited_by_count"] or 0,
            topics=[Topic(**t) for t in topics.get(author_id, [])],
            works=[
                Work(
                    **{k: v for k, v in w.items() if k not in ("source", "cited_by_count")},
                    cited_by_count=w["cited_by_count"] or 0,
                    venue=venue_label(w["source"]),
                    venue_name=w["source"],
                )
                for w in works.get(author_id, [])
            ],
            collaborators=[Collaborator(**c) for c in collaborators.get(author_id, [])],
            arxiv=_listing(papers.get(author_id, [])),
        )


def _arxiv_papers(con, ids: list[str], lake: Store | None) -> dict[str, list[ArxivPaper]]:
    """author -> their works' arXiv records, with categories and affiliations from the landed entries."""
    files = dataset_files(lake, "arxiv_entries") if lake is not None else []
    if not files:
        return {}
    lake.attach(con)
    paths = sql_list([lake.for_duckdb(f) for f in files])
    rows = _rows(
        con,
        f"""
        with entries as (
            select arxiv_id, title, abstract, authors, primary_category, published_at
            from read_parquet({paths}, union_by_name = true, hive_partitioning = false)
            qualify row_number() over (partition by arxiv_id order by version desc, updated_at desc nulls last) = 1
        )
        select a.author_id as for_author, s.work_id, e.arxiv_id, e.title, e.abstract, e.primary_category,
               e.published_at::date as published_on, e.authors, w.cited_by_count
        from authorships a
        join work_sources s on s.work_id = a.work_id and s.source = 'arxiv'
        join entries e on e.arxiv_id = s.source_record_id
        join works w on w.work_id = a.work_id
        where a.author_id in (select unnest(?::varchar[]))
        qualify row_number() over (partition by a.author_id, s.work_id order by e.published_at, e.arxiv_id) = 1
        order by a.author_id, e.published_at desc nulls last, e.arxiv_id
        """,
        [ids],
    )
    grouped: dict[str, list[ArxivPaper]] = defaultdict(list)
    for row in rows:
        authors = sorted(row["authors"] or [], key=lambda a: a["position_index"])
        labels = [affiliation_label(name) for a in authors for name in a["affiliations"] or []]
        grouped[row["for_author"]].append(
            ArxivPaper(
                arxiv_id=row["arxiv_id"],
                work_id=row["work_id"],
                title=row["title"],
                category=category_label(row["primary_category"]),
                primary_category=row["primary_category"],
                published_on=row["published_on"],
                authors=[a["name"] for a in authors],
                affiliations=list(dict.fromkeys(labels)),
                cited_by_count=row["cited_by_count"] or 0,
                abstract=row["abstract"],
            )
        )
    return grouped


def _listing(papers: list[ArxivPaper]) -> ArxivListing | None:
    if not papers:
        return None
    counts: dict[str, int] = defaultdict(int)
    for paper in papers:
        if paper.category:
            counts[paper.category] += 1
    return ArxivListing(
        papers_count=len(papers),
        cited_by_count=sum(p.cited_by_count for p in papers),
        categories=sorted(counts, key=lambda c: (-counts[c], c)),
        papers=papers,
    )
