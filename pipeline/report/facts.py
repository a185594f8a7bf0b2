"""What the report shows, read from the data dir: the last run's reports (landing, build,
quality gates), the quarantine, and the published warehouse and profile documents."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.profile_card import open_warehouse, profile_documents
from pipeline.quarantine_report import reasons
from pipeline.schemas.profile import ProfileDocument
from pipeline.storage.layout import DataLayout
from pipeline.storage.reports import read_report


@dataclass
class GateSuite:
    name: str
    expectations: int
    failed: int
    success: bool
    failures: list[str]


@dataclass
class Gate:
    kind: str  # landing / warehouse
    run_id: str | None
    checked_at: str | None
    success: bool | None
    suites: list[GateSuite]


@dataclass
class RunFacts:
    """The index page's figures."""

    landing: dict
    build: dict
    gates: list[Gate]
    reasons: list[tuple[str, str, int]]
    profiles: list[dict]
    tiers: dict[str, int]
    scores_by_tier: dict[str, list[int]]
    works_per_year: dict[str, dict[int, int]] = field(default_factory=dict)

    @property
    def quarantined(self) -> int:
        return sum(count for _, _, count in self.reasons)

    def landed(self, name: str) -> int:
        return sum(f.get(name) or 0 for f in self.landing.get("files", []))


def _gate(layout: DataLayout, kind: str) -> Gate:
    report = read_report(layout, f"quality-{kind}")
    suites = [
        GateSuite(
            name=s["name"],
            expectations=len(s.get("expectations", [])),
            failed=sum(not e["success"] for e in s.get("expectations", [])),
            success=s["success"],
            failures=[str(f) for f in s.get("failures", [])],
        )
        for s in report.get("suites", [])
    ]
    return Gate(kind, report.get("run_id"), report.get("checked_at"), report.get("success"), suites)


def run_facts(layout: DataLayout, *, top_authors: int = 6) -> RunFacts:
    con = open_warehouse(layout.warehouse_path)
    try:
        profiles = [
            dict(
                zip(
                    ("author_id", "display_name", "works_count", "trust_score", "trust_tier", "verification_level"),
                    r,
                    strict=True,
                )
            )
            for r in con.execute(
                "select author_id, display_name, works_count, trust_score, trust_tier, verification_level from profiles "
                "order by trust_score desc, works_count desc, display_name"
            ).fetchall()
        ]
        per_year: dict[str, dict[int, int]] = {}
        top = sorted(profiles, key=lambda p: (-p["works_count"], p["display_name"] or ""))[:top_authors]
        for p in top:
            rows = con.execute(
                "select w.publication_year, count(*) from authorships a join works w using (work_id) "
                "where a.author_id = ? and w.publication_year is not null group by 1 order by 1",
                [p["author_id"]],
            ).fetchall()
            per_year[p["display_name"] or p["author_id"]] = dict(rows)
    finally:
        con.close()
    tiers: dict[str, int] = defaultdict(int)
    scores: dict[str, list[int]] = defaultdict(list)
    for p in profiles:
        tiers[p["trust_tier"]] += 1
        scores[p["trust_tier"]].append(p["trust_score"])
    return RunFacts(
        landing=read_report(layout, "landing"),
        build=read_report(layout, "build"),
        gates=[_gate(layout, "landing"), _gate(layout, "warehouse")],
        reasons=reasons(layout.quarantine),
        profiles=profiles,
        tiers=dict(tiers),
        scores_by_tier=dict(scores),
        works_per_year=per_year,
    )


def documents(layout: DataLayout, author_ids: list[str]) -> list[ProfileDocument]:
    """The published profile documents of ``author_ids`` (the files an app reads); any missing
    (a publish from before documents were exported) are read from the warehouse instead."""
    found: dict[str, ProfileDocument] = {}
    for author_id in author_ids:
        path = layout.profile_document_path(author_id)
        if path.exists():
            found[author_id] = ProfileDocument.model_validate(json.loads(path.read_text(encoding="utf-8")))
    missing = [a for a in author_ids if a not in found]
    if missing:
        con = open_warehouse(layout.warehouse_path)
        try:
            found |= {d.author_id: d for d in profile_documents(con, missing, lake=layout.lake)}
        finally:
            con.close()
    return [found[a] for a in author_ids]


def edges_among(layout: DataLayout, author_ids: list[str]) -> list[tuple[str, str, int]]:
    """Collaborator edges between any two of ``author_ids`` (for the graph around an author)."""
    con = open_warehouse(layout.warehouse_path)
    try:
        return con.execute(
            "select author_a, author_b, shared_works from collaborator_edges "
            "where author_a in (select unnest(?::varchar[])) and author_b in (select unnest(?::varchar[]))",
            [author_ids, author_ids],
        ).fetchall()
    finally:
        con.close()


def relative_link(from_dir: Path, target: Path) -> str:
    """A link from a page in ``from_dir`` to ``target`` (both in the data dir), POSIX style."""
    return Path(os.path.relpath(target, from_dir)).as_posix()
