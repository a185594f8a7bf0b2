"""Read one researcher's profile back out of the warehouse, like a seed page:
header figures, published works, then top collaborators."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipeline.errors import NotFoundError
from pipeline.schemas.ids import short_id


@dataclass(frozen=True)
class ProfileCard:
    header: dict
    works: list[dict]
    collaborators: list[dict]


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


def load_profile(warehouse: Path, query: str, *, max_collaborators: int = 10) -> ProfileCard:
    """The card for the author matching ``query`` (id or name)."""
    if not warehouse.exists():
        raise NotFoundError(f"no warehouse at {warehouse}; run `pipeline run` first")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        author_id = find_author_id(con, query)
        header = _rows(con, "select * from profiles where author_id = ?", [author_id])[0]
        trust = _rows(
            con,
            "select components::varchar as components from trust_snapshots where author_id = ? and as_of = ?",
            [author_id, header["trust_as_of"]],
        )
        header["trust_components"] = json.loads(trust[0]["components"]) if trust else {}
        works = _rows(
            con,
            """
            select w.work_id, w.title, w.type, w.publication_year, w.publication_date, w.source,
                   w.cited_by_count, w.doi, w.abstract
            from authorships a join works w using (work_id)
            where a.author_id = ?
            order by w.publication_year desc nulls last, w.publication_date desc nulls last, w.title
            """,
            [author_id],
        )
        collaborators = _rows(
            con,
            """
            select e.collaborator_id as author_id, p.display_name, e.shared_works, e.first_year, e.last_year, e.is_close
            from collaborator_edges_directed e join profiles p on p.author_id = e.collaborator_id
            where e.author_id = ?
            order by e.shared_works desc, e.last_year desc nulls last, p.display_name
            limit ?
            """,
            [author_id, max_collaborators],
        )
    finally:
        con.close()
    return ProfileCard(header=header, works=works, collaborators=collaborators)
