"""Incremental builds give exactly the warehouse a full rebuild gives.

A seeded random series of changes (new works, re-issued works with a newer
updated_date, removed and added authorships, new and renamed authors, arXiv
entries that merge into existing works by DOI, arXiv id or title, namesakes of
arXiv authors appearing, authors renamed into and out of names arXiv entries
list, platform events, merged ids) lands one new lake file at a time. After each step the
incremental build (a copy of the previous warehouse with the affected keys
spliced in) is compared, table by table and row by row (order-insensitive), with
a full rebuild of the same lake: the marts and the state kept for the next
incremental build (the arXiv name evidence). A scripted series flips one arXiv
name's match between unique and ambiguous and back.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest

from pipeline.config import GraphSettings, Settings
from pipeline.schemas.lake import ArxivEntryRow, AuthorRow, MergedAuthorRow, PlatformEventRow, WorkRow
from pipeline.schemas.types import arrow_schema
from pipeline.storage.lake import partition
from pipeline.storage.layout import DataLayout
from pipeline.storage.parquet import write_table
from pipeline.storage.publish import swap_in
from pipeline.warehouse.build import build_warehouse
from pipeline.warehouse.fingerprint import code_fingerprint, input_listing
from pipeline.warehouse.incremental import (
    CHANGED_KEYS,
    FULL,
    INCREMENTAL,
    Fallback,
    build_incremental,
    choose_mode,
)

AS_OF = date(2026, 1, 1)
FIRST = ["Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John"]
LAST = ["Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus"]
TOPICS = ["T1", "T2", "T3", "T4", "T5"]


def _settings(data_dir, lake) -> Settings:
    return Settings(
        data_dir=data_dir,
        lake_uri=str(lake),
        as_of=AS_OF,
        graph=GraphSettings(max_authors_per_work=4, close_min_shared_works=2),
    )


class World:
    """A small lake that grows one file per change; it remembers the latest version of each record."""

    def __init__(self, lake, rng: random.Random) -> None:
        self.lake_dir = lake
        self.rng = rng
        self.files = 0
        self.day = date(2025, 1, 1)
        self.names: dict[str, str] = {}
        self.works: dict[str, dict] = {}
        self.arxiv: dict[str, dict] = {}
        self.clock = datetime(2025, 1, 1)

    # -- records ----------------------------------------------------------------
    def name(self) -> str:  # few names, so arXiv names match several authors
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST[:4])}"

    def tick(self) -> datetime:
        self.clock += timedelta(hours=1)
        return self.clock

    def author_ids(self, count: int) -> list[str]:
        known = sorted(self.names)
        chosen: list[str] = []
        for _ in range(count):
            if known and self.rng.random() < 0.8:
                chosen.append(self.rng.choice(known))
            else:
                new_id = f"A{100 + len(self.names)}"
                self.names[new_id] = self.name()
                known.append(new_id)
                chosen.append(new_id)
        return list(dict.fromkeys(chosen))

    def work_row(self, work_id: str, authors: list[str], **overrides) -> dict:
        year = overrides.pop("year", self.rng.randint(2018, 2022))
        row = {
            "work_id": work_id,
            "doi": overrides.pop("doi", f"10.1/{work_id.lower()}"),
            "title": overrides.pop("title", f"Study number {work_id} of graph structure and learning"),
            "publication_year": year,
            "publication_date": date(year, 6, 1),
            "type": self.rng.choice(["article", "article", "preprint"]),
            "cited_by_count": self.rng.randint(0, 50),
            "source_id": "S1",
            "source_display_name": "Journal",
            "abstract": None,
            "is_retracted": False,
            "primary_topic_id": None,
            "authorships": [
                {
                    "author_id": author_id,
                    "display_name": self.names.get(author_id) if self.rng.random() < 0.9 else self.name(),
                    "orcid": None,
                    "author_position": "first" if i == 0 else "middle",
                    "position_index": i,
                    "is_corresponding": i == 0,
                    "institution_ids": [],
                }
                for i, author_id in enumerate(authors)
            ],
            "topics": [
                {
                    "topic_id": t,
                    "display_name": f"Topic {t}",
                    "score": 0.5,
                    "subfield": "s",
                    "field": "f",
                    "domain": "d",
                }
                for t in self.rng.sample(TOPICS, self.rng.randint(0, 2))
            ],
            "updated_date": self.tick(),
            "created_date": datetime(2020, 1, 1),
            "record_source": "openalex-snapshot",
        }
        row.update(overrides)
        self.works[work_id] = row
        return row

    def arxiv_row(self, arxiv_id: str, names: list[str], version: int = 1, **overrides) -> dict:
        published = datetime(self.rng.randint(2018, 2022), 3, 1)
        row = {
            "arxiv_id": arxiv_id,
            "version": version,
            "title": f"Preprint {arxiv_id} on graph structure and learning",
            "abstract": "An abstract.",
            "authors": [{"name": n, "position_index": i, "affiliations": []} for i, n in enumerate(names)],
            "primary_category": "cs.LG",
            "other_categories": [],
            "doi": None,
            "journal_ref": None,
            "comment": None,
            "published_at": published,
            "updated_at": self.tick(),
            "record_source": "arxiv-api",
        }
        row.update(overrides)
        self.arxiv[arxiv_id] = row
        return row

    # -- landing ----------------------------------------------------------------
    def land(self, source: str, entity: str, model, rows: list[dict]) -> None:
        self.files += 1
        self.day += timedelta(days=1)
        lake = DataLayout.of(_settings(self.lake_dir.parent / "unused", self.lake_dir)).lake
        for line, row in enumerate(rows, start=1):
            row["source_file"] = f"{entity}-{self.files}.jsonl"
            row["line_number"] = line
        table = pa.Table.from_pylist(rows, schema=arrow_schema(model))
        write_table(lake, table, f"{partition(lake, source, entity, self.day)}/part-{self.files}.parquet")

    def land_works(self, rows: list[dict]) -> None:
        self.land("openalex-snapshot", "works", WorkRow, rows)

    def land_authors(self, ids: list[str]) -> None:
        rows = [
            {
                "author_id": author_id,
                "orcid": None,
                "display_name": self.names[author_id],
                "openalex_works_count": self.rng.randint(1, 9),
                "openalex_cited_by_count": 3,
                "h_index": 1,
                "i10_index": 0,
                "last_known_institutions": [],
                "updated_date": self.tick(),
                "created_date": datetime(2020, 1, 1),
                "record_source": "openalex-snapshot",
            }
            for author_id in ids
        ]
        self.land("openalex-snapshot", "authors", AuthorRow, rows)

    def land_arxiv(self, rows: list[dict]) -> None:
        self.land("arxiv-api", "arxiv_entries", ArxivEntryRow, rows)

    def land_events(self, rows: list[dict]) -> None:
        self.land("platform-events", "events", PlatformEventRow, rows)

    def land_merged(self, merged_id: str, into: str) -> None:
        row = {"merged_id": merged_id, "merge_into_id": into, "merge_date": date(2025, 6, 1), "record_source": "x"}
        self.land("openalex-snapshot", "merged_authors", MergedAuthorRow, [row])

    # -- the random changes -------------------------------------------------------
    def seed(self) -> None:
        rows = [self.work_row(f"W{i}", self.author_ids(self.rng.randint(1, 6))) for i in range(1, 25)]
        self.land_works(rows)
        self.land_authors(sorted(self.names)[::2])
        entries = [
            self.arxiv_row("2101.0000" + str(i), [self.names[a] for a in self.author_ids(self.rng.randint(1, 3))])
            for i in range(1, 4)
        ]
        entries[0]["doi"] = self.works["W1"]["doi"]  # the published version of W1, by DOI
        entries[1]["title"] = self.works["W2"]["title"]  # W2 again, by title + year + a shared name
        entries[1]["published_at"] = datetime(self.works["W2"]["publication_year"], 2, 1)
        entries[1]["authors"][0]["name"] = self.works["W2"]["authorships"][0]["display_name"] or "Ada Lovelace"
        self.land_arxiv(entries)

    def change(self) -> str:
        kind = self.rng.choice(
            ["new_works", "reissue", "remove_authorship", "authors", "arxiv_new", "arxiv_reissue", "events", "big"]
            + ["namesake", "rename_arxiv"]
        )
        work_ids = sorted(self.works)
        if kind == "new_works":
            start = len(self.works) + 1
            self.land_works([self.work_row(f"W{start + i}", self.author_ids(self.rng.randint(1, 4))) for i in range(2)])
        elif kind == "reissue":
            work_id = self.rng.choice(work_ids)
            old = self.works[work_id]
            authors = [a["author_id"] for a in old["authorships"]]
            extra = {"doi": f"10.1/{work_id.lower()}.v{self.files}"} if self.rng.random() < 0.4 else {}  # splits
            self.land_works(
                [self.work_row(work_id, authors + self.author_ids(1), year=old["publication_year"], **extra)]
            )
        elif kind == "remove_authorship":
            work_id = self.rng.choice([w for w in work_ids if len(self.works[w]["authorships"]) > 1] or work_ids)
            authors = [a["author_id"] for a in self.works[work_id]["authorships"]]
            authors.remove(self.rng.choice(authors))
            self.land_works([self.work_row(work_id, authors or self.author_ids(1))])
        elif kind == "authors":
            ids = self.rng.sample(sorted(self.names), 2) + self.author_ids(1)
            for author_id in ids[:1]:
                self.names[author_id] = self.name()  # renamed: arXiv matching by name may change
            self.land_authors(ids)
        elif kind == "arxiv_new":
            arxiv_id = f"2201.{1000 + len(self.arxiv):05d}"
            target = self.works[self.rng.choice(work_ids)]
            names = [a["display_name"] or self.name() for a in target["authorships"]][:3]
            how = self.rng.choice(["doi", "arxiv_id", "title", "alone"])
            extra: dict = {}
            if how == "doi":
                extra["doi"] = target["doi"]
            elif how == "title":
                extra = {"title": target["title"], "published_at": datetime(target["publication_year"], 5, 1)}
            self.land_arxiv([self.arxiv_row(arxiv_id, names or [self.name()], **extra)])
            if how == "arxiv_id":  # the OpenAlex record of the preprint, by its arXiv DOI
                authors = [a["author_id"] for a in target["authorships"]]
                self.land_works([self.work_row(target["work_id"], authors, doi=f"10.48550/arxiv.{arxiv_id}")])
        elif kind == "arxiv_reissue":
            arxiv_id = self.rng.choice(sorted(self.arxiv))
            old = self.arxiv[arxiv_id]
            names = [a["name"] for a in old["authors"]][1:] + [self.name()]
            doi = old["doi"] if self.rng.random() < 0.6 else None  # without its DOI it may leave its work
            self.land_arxiv([self.arxiv_row(arxiv_id, names, version=old["version"] + 1, doi=doi)])
        elif kind == "events":
            author_id = self.rng.choice(sorted(self.names))
            kinds = ["author.claimed", "author.verified", "author.followed", "author.unfollowed"]
            rows = [
                {
                    "event_id": f"e{self.files}-{i}",
                    "type": self.rng.choice(kinds),
                    "author_id": author_id,
                    "actor_id": f"u{self.rng.randint(1, 3)}",
                    "occurred_at": self.tick(),
                    "record_source": "platform-events",
                }
                for i in range(2)
            ]
            self.land_events(rows)
        elif kind == "namesake":  # a new author named like an arXiv author, with one of its co-authors' names
            names = self.rng.choice([[a["name"] for a in e["authors"]] for e in self.arxiv.values()])
            new_id, coauthor = f"A{100 + len(self.names)}", self.rng.choice(sorted(self.names))
            self.names[new_id] = names[0]
            row = self.work_row(f"W{len(self.works) + 1}", [new_id, coauthor])
            row["authorships"][0]["display_name"] = names[0]
            row["authorships"][1]["display_name"] = names[-1]
            self.land_works([row])
            self.land_authors([new_id])
        elif kind == "rename_arxiv":  # an author renamed into, or out of, a name an arXiv entry lists
            listed = sorted({a["name"] for e in self.arxiv.values() for a in e["authors"]})
            into = [a for a in sorted(self.names) if self.names[a] not in listed]
            out = [a for a in sorted(self.names) if self.names[a] in listed]
            if into and (not out or self.rng.random() < 0.5):
                author_id = self.rng.choice(into)
                self.names[author_id] = self.rng.choice(listed)
            else:
                author_id = self.rng.choice(out)
                self.names[author_id] = f"{self.rng.choice(FIRST)} {self.rng.choice(LAST[4:])}"  # no arXiv lists it
            self.land_authors([author_id])
        elif kind == "big":  # above the max-authors cap: no edges from it
            start = len(self.works) + 1
            self.land_works([self.work_row(f"W{start}", self.author_ids(6))])
        return kind


def _tables(path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        # every table, the incremental build's kept state (schema incremental) too, but not the
        # record of what the last incremental build changed (for its gate; a full build has none)
        changed = set(CHANGED_KEYS.values())
        names = con.execute("select table_schema || '.' || table_name from information_schema.tables order by 1")
        return [name for (name,) in names.fetchall() if name not in changed]
    finally:
        con.close()


def differences(incremental_path, full_path, tables: list[str] | None = None) -> dict[str, tuple[int, int]]:
    """Per table (default: every table, and both builds must have the same ones): (rows only in the
    incremental build, rows only in the full build); empty when identical."""
    if tables is None:
        tables = _tables(full_path)
        assert _tables(incremental_path) == tables
    con = duckdb.connect()
    try:
        con.execute(f"attach '{incremental_path}' as inc (read_only)")
        con.execute(f"attach '{full_path}' as full_build (read_only)")
        found = {}
        for table in tables:
            only_inc = con.execute(
                f"select count(*) from (select * from inc.{table} except all select * from full_build.{table})"
            ).fetchall()[0][0]
            only_full = con.execute(
                f"select count(*) from (select * from full_build.{table} except all select * from inc.{table})"
            ).fetchall()[0][0]
            if only_inc or only_full:
                found[table] = (only_inc, only_full)
        return found
    finally:
        con.close()


class Builds:
    """Two data dirs over one lake: one built incrementally, one fully, after every change."""

    def __init__(self, tmp_path, lake) -> None:
        self.inc = _settings(tmp_path / "incremental", lake)
        self.full = _settings(tmp_path / "full", lake)
        self.previous: dict = {}

    def _record(self) -> None:
        self.previous = {
            "as_of": AS_OF.isoformat(),
            "code_fingerprint": code_fingerprint(self.inc),
            "input_files": {k: list(v) for k, v in input_listing(self.inc, AS_OF).items()},
        }

    def full_build(self, settings: Settings) -> None:
        built = build_warehouse(settings, as_of=AS_OF)
        swap_in(built.path, DataLayout.of(settings).warehouse_path)

    def choose(self):
        """What the incremental data dir's next build would be (choose_mode over the lake as it is now)."""
        return choose_mode(
            self.inc,
            as_of=AS_OF,
            previous=self.previous,
            listing=input_listing(self.inc, AS_OF),
            code_fingerprint=code_fingerprint(self.inc),
        )

    def step(self) -> tuple[str, str, dict | None]:
        chosen = self.choose()
        stats = None
        if chosen.mode == INCREMENTAL:
            built, recomputed = build_incremental(
                self.inc, as_of=AS_OF, new_files=chosen.new_files, max_author_share=1.0
            )
            swap_in(built.path, DataLayout.of(self.inc).warehouse_path)
            stats = recomputed.__dict__
        else:
            self.full_build(self.inc)
        self._record()
        self.full_build(self.full)
        return chosen.mode, chosen.reason, stats

    def differences(self) -> dict:
        return differences(DataLayout.of(self.inc).warehouse_path, DataLayout.of(self.full).warehouse_path)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_random_changes_incrementally_equal_a_full_rebuild(tmp_path, seed):
    world = World(tmp_path / "lake", random.Random(seed))
    world.seed()
    builds = Builds(tmp_path, world.lake_dir)
    mode, reason, _ = builds.step()
    assert (mode, reason) == (FULL, "no previous warehouse")
    kinds = []
    for number in range(12):
        kinds.append(world.change())
        mode, reason, stats = builds.step()
        assert mode == INCREMENTAL, reason
        assert builds.differences() == {}, f"step {number} ({kinds[-1]}; after {kinds[:-1]}): {stats}"
    # New merged ids: every id may resolve differently, so the build is full, and says why.
    world.land_merged(sorted(world.names)[0], sorted(world.names)[1])
    mode, reason, _ = builds.step()
    assert mode == FULL and "merged author ids" in reason
    assert builds.differences() == {}
    world.change()
    assert builds.step()[0] == INCREMENTAL
    assert builds.differences() == {}


def test_the_comparison_sees_a_wrong_row(tmp_path):
    """The equality check itself can fail: one changed value in one table is reported."""
    world = World(tmp_path / "lake", random.Random(7))
    world.seed()
    builds = Builds(tmp_path, world.lake_dir)
    builds.step()
    con = duckdb.connect(str(DataLayout.of(builds.inc).warehouse_path))
    con.execute(
        "update profiles set works_count = works_count + 1 where author_id = (select min(author_id) from profiles)"
    )
    con.close()
    assert builds.differences() == {"main.profiles": (1, 1)}


def test_replaced_files_and_new_settings_build_fully(tmp_path):
    world = World(tmp_path / "lake", random.Random(5))
    world.seed()
    builds = Builds(tmp_path, world.lake_dir)
    builds.step()
    listing = input_listing(builds.inc, AS_OF)
    gone = dict(list(builds.previous["input_files"].items()) + [("x|lake/gone.parquet", [1, 1.0])])
    chosen = choose_mode(
        builds.inc,
        as_of=AS_OF,
        previous={**builds.previous, "input_files": gone},
        listing=listing,
        code_fingerprint=code_fingerprint(builds.inc),
    )
    assert chosen.mode == FULL and "replaced or removed" in chosen.reason
    stricter = builds.inc.model_copy(update={"graph": GraphSettings(max_authors_per_work=4, close_min_shared_works=3)})
    chosen = choose_mode(
        stricter, as_of=AS_OF, previous=builds.previous, listing=listing, code_fingerprint=code_fingerprint(stricter)
    )
    assert chosen.mode == FULL and "settings" in chosen.reason
    chosen = choose_mode(
        builds.inc,
        as_of=AS_OF,
        previous=builds.previous,
        listing=listing,
        code_fingerprint=code_fingerprint(builds.inc),
        full_refresh=True,
    )
    assert chosen.mode == FULL and "--full-refresh" in chosen.reason


def _arxiv_author(builds: Builds, arxiv_id: str, position: int) -> str:
    """Who the incremental warehouse says the arXiv paper's author at ``position`` is."""
    con = duckdb.connect(str(DataLayout.of(builds.inc).warehouse_path), read_only=True)
    try:
        (author_id,) = con.execute(
            "select a.author_id from authorships as a join work_sources as s on s.work_id = a.work_id "
            "where s.source = 'arxiv' and s.source_record_id = ? and a.position_index = ?",
            [arxiv_id, position],
        ).fetchone()
        return author_id
    finally:
        con.close()


def _listed_as_named(world: World, row: dict) -> dict:
    for entry in row["authorships"]:
        entry["display_name"] = world.names[entry["author_id"]]
    return row


def test_arxiv_name_uniqueness_flips_incrementally_like_a_full_rebuild(tmp_path):
    """An arXiv author matched by a shared co-author stops being matched when a second author
    with the same name and co-author appears, and is matched again when that namesake is
    renamed out of the name, or loses the co-author; renamed back into the name it is ambiguous
    again. Each step is incremental and equal to a full rebuild."""
    world = World(tmp_path / "lake", random.Random(11))
    world.names.update({"A1": "Ada Lovelace", "A2": "Alan Turing", "A3": "Grace Hopper", "A4": "Alan Turing"})
    world.land_works([_listed_as_named(world, world.work_row("W1", ["A1", "A2"]))])
    world.land_authors(["A1", "A2"])
    world.land_arxiv([world.arxiv_row("2301.00001", ["Ada Lovelace", "Alan Turing"])])  # alone: no DOI, own title
    builds = Builds(tmp_path, world.lake_dir)
    assert builds.step()[0] == FULL
    assert _arxiv_author(builds, "2301.00001", 0) == "A1"  # one Ada Lovelace with a co-author Alan Turing

    def step(expected_ada: str | None, what: str) -> None:
        mode, reason, stats = builds.step()
        assert mode == INCREMENTAL, reason
        assert builds.differences() == {}, f"{what}: {stats}"
        ada = _arxiv_author(builds, "2301.00001", 0)
        assert (ada == expected_ada) if expected_ada else ada.startswith("A9"), (what, ada)  # A9…: name only

    # A second Ada Lovelace (another person: A3, with a co-author Alan Turing, A4) appears: ambiguous.
    world.names["A3"] = "Ada Lovelace"
    world.land_works([_listed_as_named(world, world.work_row("W2", ["A3", "A4"]))])
    world.land_authors(["A3"])
    step(None, "a namesake appears")
    # The namesake's record is renamed out of the name: A1 is the only candidate again.
    world.names["A3"] = "Grace Hopper"
    world.land_authors(["A3"])
    step("A1", "the namesake renamed out")
    # ... and back into it.
    world.names["A3"] = "Ada Lovelace"
    world.land_authors(["A3"])
    step(None, "the namesake renamed in")
    # The namesake's work loses its Alan Turing: no shared co-author, so A1 is matched again.
    world.land_works([_listed_as_named(world, world.work_row("W2", ["A3"]))])
    step("A1", "the namesake loses the co-author")
    # A1 is renamed: no Ada Lovelace with that co-author is left, the entry is name-only.
    world.names["A1"] = "Ada King"
    world.land_authors(["A1"])
    step(None, "the matched author renamed out")


def _evidence(settings: Settings) -> tuple[int, bool]:
    """(rows of the kept arXiv name evidence, whether it is marked as skipped) in a warehouse."""
    con = duckdb.connect(str(DataLayout.of(settings).warehouse_path), read_only=True)
    try:
        rows = con.execute("select count(*) from incremental.int_arxiv_name_evidence").fetchall()[0][0]
        marked = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'incremental' and table_name = 'arxiv_evidence_deferred'"
        ).fetchall()[0][0]
        return rows, bool(marked)
    finally:
        con.close()


def test_a_lake_without_arxiv_skips_the_evidence_until_arxiv_entries_arrive(tmp_path, monkeypatch):
    """The arXiv name evidence is read only to match arXiv entries: a full build of a lake without
    any keeps it empty and marked, which changes no mart; OpenAlex changes stay incremental; the first
    arXiv entries make the incremental build fall back to a full one, which computes it."""
    import pipeline.warehouse.incremental as incremental

    world = World(tmp_path / "lake", random.Random(13))
    world.names.update({"A1": "Ada Lovelace", "A2": "Alan Turing"})
    world.land_works([_listed_as_named(world, world.work_row("W1", ["A1", "A2"]))])
    world.land_works([world.work_row(f"W{i}", world.author_ids(world.rng.randint(1, 4))) for i in range(2, 12)])
    world.land_authors(["A1", "A2"])
    builds = Builds(tmp_path, world.lake_dir)
    assert builds.step()[:2] == (FULL, "no previous warehouse")
    assert _evidence(builds.inc) == (0, True)

    # The same lake with the evidence computed: every mart is the same.
    eager = _settings(tmp_path / "eager", world.lake_dir)
    with monkeypatch.context() as patch:
        patch.setattr(incremental, "deferred_models", lambda raw_files: frozenset())
        builds.full_build(eager)
    rows, marked = _evidence(eager)
    assert rows > 0 and not marked
    marts = [t for t in _tables(DataLayout.of(eager).warehouse_path) if t.startswith("main.")]
    assert marts
    assert differences(DataLayout.of(builds.inc).warehouse_path, DataLayout.of(eager).warehouse_path, marts) == {}

    # OpenAlex-only changes: incremental, equal to a full rebuild, the evidence still skipped.
    world.land_works([world.work_row("W20", ["A1", *world.author_ids(2)])])
    mode, reason, _ = builds.step()
    assert mode == INCREMENTAL, reason
    assert builds.differences() == {}
    assert _evidence(builds.inc) == (0, True)

    # The first arXiv entry: the incremental build falls back to a full one, which computes the evidence.
    world.land_arxiv([world.arxiv_row("2301.00001", ["Ada Lovelace", "Alan Turing"])])
    chosen = builds.choose()
    assert chosen.mode == INCREMENTAL  # only new files: the fallback is the incremental build's
    with pytest.raises(Fallback, match="arXiv entries now"):
        build_incremental(builds.inc, as_of=AS_OF, new_files=chosen.new_files, max_author_share=1.0)
    builds.full_build(builds.inc)
    builds._record()
    rows, marked = _evidence(builds.inc)
    assert rows > 0 and not marked
    assert _arxiv_author(builds, "2301.00001", 0) == "A1"  # matched by name and co-author

    # From then on arXiv changes are incremental again, and equal to a full rebuild.
    world.land_arxiv([world.arxiv_row("2301.00002", ["Alan Turing"])])
    mode, reason, _ = builds.step()
    assert mode == INCREMENTAL, reason
    assert builds.differences() == {}
