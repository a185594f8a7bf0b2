"""Write small OpenAlex-format snapshots for tests: the real layout, with
records that are built to give known answers."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

OA = "https://openalex.org/"


def work(
    work_id: str,
    authors: list[str | tuple[str, str]],
    *,
    year: int = 2020,
    updated: str = "2024-01-01T00:00:00",
    cited: int = 0,
    topics: tuple[str, ...] = (),
    title: str | None = None,
) -> dict:
    """An OpenAlex work record; ``authors`` are ids or (id, display name) pairs."""
    authorships = []
    for position, author in enumerate(authors):
        author_id, name = author if isinstance(author, tuple) else (author, f"Author {author}")
        authorships.append(
            {
                "author_position": "first" if position == 0 else "middle",
                "author": {"id": OA + author_id, "display_name": name, "orcid": None},
                "institutions": [],
            }
        )
    return {
        "id": OA + work_id,
        "doi": f"https://doi.org/10.1234/{work_id.lower()}",
        "title": title or f"Work {work_id}",
        "publication_year": year,
        "publication_date": f"{year}-06-01",
        "type": "article",
        "cited_by_count": cited,
        "authorships": authorships,
        "topics": [{"id": OA + t, "display_name": f"Topic {t}", "score": 0.9} for t in topics],
        "primary_location": {"source": {"id": OA + "S1", "display_name": "Journal One"}},
        "referenced_works": [OA + "W999"],
        "updated_date": updated,
        "created_date": "2020-01-01",
    }


def author(
    author_id: str, name: str, *, orcid: str | None = None, works_count: int = 1, updated: str = "2024-01-01"
) -> dict:
    return {
        "id": OA + author_id,
        "display_name": name,
        "orcid": f"https://orcid.org/{orcid}" if orcid else None,
        "works_count": works_count,
        "cited_by_count": 0,
        "updated_date": updated,
    }


def _line(record: dict | str) -> str:
    return record if isinstance(record, str) else json.dumps(record)


def write_part(path: Path, records: list[dict | str]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for record in records:
            handle.write(_line(record) + "\n")
    return path.stat().st_size


def write_snapshot(
    root: Path,
    *,
    works: dict[str, list[dict | str]] | None = None,
    authors: dict[str, list[dict | str]] | None = None,
    merged: list[tuple[str, str, str]] | None = None,
    manifest: bool = True,
) -> Path:
    """``works``/``authors`` map an updated_date partition to its records (one part each)."""
    for entity, partitions in (("works", works or {}), ("authors", authors or {})):
        entries = []
        for updated_date, records in sorted(partitions.items()):
            relative = f"updated_date={updated_date}/part_000.gz"
            size = write_part(root / "data" / entity / relative, records)
            entries.append(
                {
                    "url": f"s3://openalex/data/{entity}/{relative}",
                    "meta": {"content_length": size, "record_count": len(records)},
                }
            )
        if manifest and entries:
            document = {
                "entries": entries,
                "meta": {
                    "content_length": sum(e["meta"]["content_length"] for e in entries),
                    "record_count": sum(e["meta"]["record_count"] for e in entries),
                },
            }
            (root / "data" / entity / "manifest").write_text(json.dumps(document))
    if merged:
        path = root / "data" / "merged_ids" / "authors" / "2024-01-01.csv.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write("merge_date,id,merge_into_id\n")
            for row in merged:
                handle.write(",".join(row) + "\n")
    return root
