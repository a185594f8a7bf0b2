"""The benchmark's synthetic snapshot: the realistic shape it promises, valid records, determinism."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from pipeline.schemas.openalex import Author, Work

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import generate_snapshot as gen  # noqa: E402

WORKS = 2_000


def _records(root: Path, entity: str) -> list[tuple[str, dict]]:
    out = []
    for path in sorted((root / "data" / entity).glob("updated_date=*/part_*.gz")):
        with gzip.open(path, "rb") as handle:
            out += [(path.parent.name, json.loads(line)) for line in handle]
    return out


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("snap") / "s"
    # more consortium papers than the default 0.1%, so that a small snapshot has some
    gen.generate(root, works=WORKS, seed=3, per_part=700, hyper_rate=0.01, jobs=1, log=lambda *_: None)
    return root


def test_every_record_passes_the_contract_and_the_manifests_count_them(snapshot):
    for entity, model in (("works", Work), ("authors", Author)):
        records = _records(snapshot, entity)
        for _, record in records:
            model.model_validate(record)
        manifest = json.loads((snapshot / "data" / entity / "manifest").read_text())
        assert manifest["meta"]["record_count"] == len(records)
        sizes = {e["url"].split(f"/{entity}/", 1)[1]: e["meta"]["content_length"] for e in manifest["entries"]}
        assert sizes == {
            p.relative_to(snapshot / "data" / entity).as_posix(): p.stat().st_size
            for p in (snapshot / "data" / entity).glob("updated_date=*/part_*.gz")
        }


def test_works_have_the_realistic_shape(snapshot):
    works = [w for _, w in _records(snapshot, "works")]
    assert len(works) == WORKS
    n_authors = [len(w["authorships"]) for w in works]
    assert min(n_authors) >= 1 and max(n_authors) <= 400
    assert sum(n >= 100 for n in n_authors) >= 5  # consortium papers (1% here)
    assert sorted(n_authors)[len(n_authors) // 2] <= 4  # but the median work has a few authors
    with_abstract = sum(w["abstract_inverted_index"] is not None for w in works) / len(works)
    assert 0.53 <= with_abstract <= 0.67
    assert {len(w["topics"]) for w in works} == {1, 2, 3}


def test_author_productivity_is_skewed(snapshot):
    works = [w for _, w in _records(snapshot, "works")]
    per_author = Counter(a["author"]["id"] for w in works if len(w["authorships"]) < 100 for a in w["authorships"])
    counts = sorted(per_author.values(), reverse=True)
    top = counts[: max(1, len(counts) // 100)]
    # the most productive 1% of authors hold far more than 1% of the authorships
    assert sum(top) / sum(counts) > 0.05
    assert counts[0] >= 10 * sorted(counts)[len(counts) // 2]


def test_reissued_works_come_later_with_the_same_content_and_merged_ids_are_used(snapshot):
    by_id: dict[str, list[tuple[str, dict]]] = {}
    for partition, work in _records(snapshot, "works"):
        by_id.setdefault(work["id"], []).append((partition, work))
    reissued = [versions for versions in by_id.values() if len(versions) > 1]
    assert reissued
    for versions in reissued:
        (p0, old), (p1, new) = versions[0], versions[-1]
        assert p1 > p0 and new["updated_date"] > old["updated_date"]
        assert new["title"] == old["title"] and new["authorships"] == old["authorships"]
        assert new["cited_by_count"] > old["cited_by_count"]

    merged_files = list((snapshot / "data" / "merged_ids" / "authors").glob("*.csv.gz"))
    with gzip.open(merged_files[0], "rt") as handle:
        old_ids = {row["id"] for row in csv.DictReader(handle)}
    used = {a["author"]["id"].rsplit("/", 1)[1] for versions in by_id.values() for a in versions[0][1]["authorships"]}
    assert used & old_ids


def test_different_authors_rarely_share_a_normalised_name():
    stats = gen.name_collisions(seed=1, n_authors=60_000)
    assert stats["share"] < 0.002
    assert gen.normalised_name("José  Raúl O'Brien") == "jose raul o brien"


def test_same_arguments_give_the_same_bytes_whatever_the_jobs(tmp_path):
    def digest(root: Path) -> str:
        h = hashlib.sha256()
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.name != "bench_snapshot.json":
                h.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
        return h.hexdigest()

    gen.generate(tmp_path / "a", works=400, seed=5, per_part=150, jobs=1, log=lambda *_: None)
    gen.generate(tmp_path / "b", works=400, seed=5, per_part=150, jobs=2, log=lambda *_: None)
    gen.generate(tmp_path / "c", works=400, seed=6, per_part=150, jobs=1, log=lambda *_: None)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")
