#!/usr/bin/env python3
"""Write a synthetic OpenAlex snapshot of N works (and their authors) for benchmarking.

Layout, as read by ``pipeline.sources.openalex.snapshot``::

    OUT/data/works/manifest
    OUT/data/works/updated_date=YYYY-MM-DD/part_NNN.gz     (gzipped JSON Lines)
    OUT/data/authors/manifest
    OUT/data/authors/updated_date=YYYY-MM-DD/part_NNN.gz
    OUT/data/merged_ids/authors/YYYY-MM-DD.csv.gz          (merge_date,id,merge_into_id)

Records have the size and shape of real OpenAlex works/authors (full locations,
authorships with institutions, topics with subfield/field/domain, concepts,
keywords, ~20 referenced_works, counts_by_year, a 100-150 word
abstract_inverted_index, ...), several KB of JSON each.

Deterministic: every record is drawn from its own RNG seeded by ``(--seed, index)``,
and gzip headers carry mtime=0, so the same arguments give identical bytes whatever
``--jobs`` is. Streaming: each part file is generated and written in batches;
nothing but the current batch is held in memory.

A small share of work records (``--dup-rate``) are newer versions of a work of the
previous ``updated_date`` partition (same id, later updated_date), as in a real
snapshot; a few authorships carry an author id that ``merged_ids`` merges away.

    python bench/generate_snapshot.py --works 100000 --out /tmp/snap
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import random
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

OA = "https://openalex.org/"
WORK_BASE = 4_000_000_000  # W4000000000 + index  (W + 10 digits)
AUTHOR_BASE = 5_100_000_000  # A5100000000 + index (A5 + 9 digits)
MERGED_BASE = 5_900_000_000  # merged-away author ids
FIRST_DATE = date(2025, 1, 6)

# ------------------------------------------------------------------------------------
# Vocabulary and reference pools (built once, deterministically, from a fixed seed).
# ------------------------------------------------------------------------------------
_SYLLABLES = (
    "al ba co de el fa ga hi in jo ka la mi no op qu ra si to un ve wa xe yo ze "
    "an ber cal dor ent fer gen hol ism jun kel lum mor nat orb pra que ren sta tri ulo vin "
    "ation ology ics ive al ous ment ness ity ing ed er"
).split()
_FUNCTION_WORDS = (
    "the of and to in a is that for we with on as by this are from be an which at our can "
    "these it using show results its between two model based data method approach"
).split()
_FIRST = (
    "Wei Li Yan Jun Hao Ming Xin Jing Yu Hui Maria Anna Elena Sofia Laura Sara Julia Marta Emma Olga "
    "James John Robert Michael David Daniel Thomas Peter Paul Mark Ahmed Mohamed Ali Omar Fatima "
    "Hiroshi Takeshi Yuki Kenji Akira Priya Rahul Anil Sunita Deepak Carlos Jose Juan Luis Ana "
    "Pierre Jean Marie Claire Luc Hans Karl Jürgen Jörg Anke Ivan Dmitri Natalia Sergei Irina "
    "Seo-yeon Min-jun Ji-woo Chidi Ngozi Kwame Amara Lars Ingrid Sven Astrid Zoë Renée André"
).split()
_LAST = (
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao "
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez "
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Rossi Russo Ferrari Bianchi "
    "Dubois Martin Bernard Moreau Laurent Sato Suzuki Takahashi Tanaka Watanabe Kumar Singh Sharma "
    "Patel Gupta Kim Lee Park Choi Jung Ivanov Smirnov Kuznetsov Silva Santos Oliveira Souza "
    "Nguyen Tran Pham Okafor Mensah Andersson Johansson Nielsen Hansen Kowalski Nowak Yılmaz Kaya"
).split()
_WORK_TYPES = [("article", 72), ("preprint", 8), ("book-chapter", 6), ("review", 4), ("dataset", 3),
               ("dissertation", 3), ("book", 2), ("other", 2)]
_COUNTRIES = "US CN GB DE JP FR IN IT CA AU ES KR BR NL SE CH RU PL TR IR BE DK NO FI IL MX ZA NG EG SG".split()
_INST_TYPES = ["education", "education", "education", "healthcare", "company", "government", "facility", "nonprofit"]
_SOURCE_TYPES = ["journal"] * 8 + ["repository", "conference", "book series"]
_PUBLISHERS = ["Elsevier BV", "Springer Science+Business Media", "Wiley", "Taylor & Francis", "IEEE",
               "Oxford University Press", "MDPI", "Frontiers Media", "SAGE Publishing", "American Chemical Society"]
_LICENSES = [None, None, "cc-by", "cc-by-nc", "cc-by-nc-nd", "other-oa"]
_OA_STATUS = ["closed", "closed", "green", "gold", "hybrid", "bronze", "diamond"]
_DOMAINS = [("1", "Life Sciences"), ("2", "Social Sciences"), ("3", "Physical Sciences"), ("4", "Health Sciences")]


def _word(rng: random.Random, lo: int = 1, hi: int = 4) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(lo, hi)))


def _title_case(words: list[str]) -> str:
    return " ".join(w if w in ("of", "and", "the", "in", "for", "with", "on") else w.capitalize() for w in words)


@dataclass(frozen=True)
class Pools:
    vocab: list[str]
    vocab_cum: list[float]
    topics: list[dict]
    institutions: list[dict]
    sources: list[dict]
    concepts: list[dict]
    keywords: list[dict]
    funders: list[dict]


def build_pools() -> Pools:
    rng = random.Random(20260101)
    vocab = list(_FUNCTION_WORDS) + sorted({_word(rng, 2, 4) for _ in range(6000)})
    weights = [1.0 / (rank + 1) ** 1.05 for rank in range(len(vocab))]
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)

    fields = []
    for f in range(26):
        dom = _DOMAINS[f % 4]
        fields.append((str(11 + f), _title_case([_word(rng, 2, 4), "and", _word(rng, 2, 4)]), dom))
    subfields = []
    for s in range(240):
        fld = fields[s % len(fields)]
        subfields.append((f"{fld[0]}{s // len(fields) + 1:02d}", _title_case([_word(rng, 2, 4), _word(rng, 2, 4)]), fld))
    topics = []
    for t in range(1500):
        sub = subfields[rng.randrange(len(subfields))]
        fld, dom = sub[2], sub[2][2]
        topics.append({
            "id": f"{OA}T{10000 + t}",
            "display_name": _title_case([_word(rng, 2, 4), _word(rng, 2, 3), "and", _word(rng, 2, 4), _word(rng, 2, 3)]),
            "subfield": {"id": f"{OA}subfields/{sub[0]}", "display_name": sub[1]},
            "field": {"id": f"{OA}fields/{fld[0]}", "display_name": fld[1]},
            "domain": {"id": f"{OA}domains/{dom[0]}", "display_name": dom[1]},
        })

    institutions = []
    for _i in range(3000):
        country = rng.choice(_COUNTRIES)
        iid = f"{OA}I{rng.randrange(10**8, 10**10)}"
        institutions.append({
            "id": iid,
            "display_name": _title_case(["University", "of", _word(rng, 2, 4)]) if rng.random() < 0.7
            else _title_case([_word(rng, 2, 4), "Institute", "of", _word(rng, 2, 3)]),
            "ror": f"https://ror.org/0{rng.randrange(16**8):08x}",
            "country_code": country,
            "type": rng.choice(_INST_TYPES),
            "lineage": [iid],
        })

    sources = []
    for _ in range(4000):
        issn = f"{rng.randrange(10000):04d}-{rng.randrange(1000):03d}{rng.choice('0123456789X')}"
        sources.append({
            "id": f"{OA}S{rng.randrange(10**8, 10**10)}",
            "display_name": _title_case(["Journal", "of", _word(rng, 2, 4), _word(rng, 2, 4)]),
            "issn_l": issn,
            "issn": [issn, f"{rng.randrange(10000):04d}-{rng.randrange(10000):04d}"],
            "is_oa": rng.random() < 0.2,
            "is_in_doaj": rng.random() < 0.15,
            "is_indexed_in_scopus": rng.random() < 0.6,
            "is_core": rng.random() < 0.5,
            "host_organization": f"{OA}P{rng.randrange(10**9, 10**10)}",
            "host_organization_name": rng.choice(_PUBLISHERS),
            "host_organization_lineage": [f"{OA}P{rng.randrange(10**9, 10**10)}"],
            "host_organization_lineage_names": [rng.choice(_PUBLISHERS)],
            "type": rng.choice(_SOURCE_TYPES),
        })

    concepts = [{
        "id": f"{OA}C{rng.randrange(10**6, 10**10)}",
        "wikidata": f"https://www.wikidata.org/wiki/Q{rng.randrange(10**3, 10**8)}",
        "display_name": _title_case([_word(rng, 2, 4)] * 1 + ([_word(rng, 2, 3)] if rng.random() < 0.5 else [])),
        "level": rng.randint(0, 5),
    } for _ in range(5000)]
    keywords = []
    for _ in range(3000):
        name = " ".join(_word(rng, 2, 3) for _ in range(rng.randint(1, 3)))
        keywords.append({"id": f"{OA}keywords/{name.replace(' ', '-')}", "display_name": name})
    funders = [{"funder": f"{OA}F{rng.randrange(10**9, 10**10)}",
                "funder_display_name": _title_case(["National", _word(rng, 2, 4), "Foundation"])}
               for _ in range(300)]
    return Pools(vocab, cum, topics, institutions, sources, concepts, keywords, funders)


_POOLS: Pools | None = None


def pools() -> Pools:
    global _POOLS
    if _POOLS is None:
        _POOLS = build_pools()
    return _POOLS


# ------------------------------------------------------------------------------------
# Layout: which record indexes go to which partition/part.
# ------------------------------------------------------------------------------------
def _mix(seed: int, index: int, salt: int) -> int:
    """splitmix64 of (seed, index, salt): a stateless per-record hash."""
    z = (seed * 0x9E3779B97F4A7C15 + index * 0xBF58476D1CE4E5B9 + salt * 0x94D049BB133111EB) & (2**64 - 1)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & (2**64 - 1)
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & (2**64 - 1)
    return z ^ (z >> 31)


@dataclass(frozen=True)
class Layout:
    total: int
    partitions: int
    per_part: int

    def partition_bounds(self) -> list[tuple[int, int]]:
        """(start, stop) record indexes of each partition; earlier ones are never smaller."""
        size, extra = divmod(self.total, self.partitions)
        bounds, start = [], 0
        for p in range(self.partitions):
            stop = start + size + (1 if p < extra else 0)
            bounds.append((start, stop))
            start = stop
        return [b for b in bounds if b[1] > b[0]]

    def parts(self) -> list[tuple[int, int, int, int]]:
        """(partition, part number, start, stop) for every part file."""
        out = []
        for p, (start, stop) in enumerate(self.partition_bounds()):
            for k, s in enumerate(range(start, stop, self.per_part)):
                out.append((p, k, s, min(stop, s + self.per_part)))
        return out


def partition_date(p: int, partitions: int) -> date:
    step = max(1, 300 // max(1, partitions))
    return FIRST_DATE + timedelta(days=step * p)


@dataclass(frozen=True)
class Config:
    seed: int
    works: Layout
    authors: Layout
    n_authors: int
    dup_rate: float
    merged: int


def work_id_of(cfg: Config, index: int, bounds: list[tuple[int, int]] | None = None) -> int:
    """Numeric work id of record ``index``: its own, or (a re-issued version) the id of the
    record at the same relative position in the previous partition. Injective within a
    partition because earlier partitions are never smaller."""
    bounds = bounds or cfg.works.partition_bounds()
    while True:
        p = next(i for i, (s, e) in enumerate(bounds) if s <= index < e)
        if p == 0 or (_mix(cfg.seed, index, 1) % 1_000_000) >= cfg.dup_rate * 1_000_000:
            return WORK_BASE + index
        index = bounds[p - 1][0] + (index - bounds[p][0])


# ------------------------------------------------------------------------------------
# People
# ------------------------------------------------------------------------------------
def author_name(cfg: Config, a: int) -> str:
    h = _mix(cfg.seed, a, 2)
    first = _FIRST[h % len(_FIRST)]
    last = _LAST[(h >> 16) % len(_LAST)]
    if (h >> 32) % 5 == 0:
        return f"{first} {chr(65 + (h >> 40) % 26)}. {last}"
    return f"{first} {last}"


def author_orcid(cfg: Config, a: int) -> str | None:
    h = _mix(cfg.seed, a, 3)
    if h % 10 >= 4:  # ~40% of authors have an ORCID
        return None
    digits = f"{(h >> 8) % 10**15:015d}"
    total = 0
    for digit in digits:  # ISO 7064 MOD 11-2, as ORCID computes its check digit
        total = (total + int(digit)) * 2
    check = "0123456789X"[(12 - total % 11) % 11]
    return f"https://orcid.org/{digits[0:4]}-{digits[4:8]}-{digits[8:12]}-{digits[12:15]}{check}"


def author_institutions(cfg: Config, a: int) -> list[dict]:
    p = pools()
    h = _mix(cfg.seed, a, 4)
    n = 0 if h % 10 == 0 else (1 if h % 10 < 8 else 2)
    return [p.institutions[(h >> (8 + 12 * i)) % len(p.institutions)] for i in range(n)]


def author_topics(cfg: Config, a: int) -> list[dict]:
    p = pools()
    h = _mix(cfg.seed, a, 5)
    # authors work in a "home" region of the topic list, so their works share topics
    return [p.topics[(h + i * 7) % len(p.topics)] for i in range(3)]


@lru_cache(maxsize=4)
def merged_pairs(cfg: Config) -> list[tuple[int, int]]:
    """(old id, surviving author index) pairs written to merged_ids."""
    return [(MERGED_BASE + j, _mix(cfg.seed, j, 6) % cfg.n_authors) for j in range(cfg.merged)]


# ------------------------------------------------------------------------------------
# Records
# ------------------------------------------------------------------------------------
def _abstract(rng: random.Random, vocab: list[str], cum: list[float]) -> dict[str, list[int]]:
    words = rng.choices(vocab, cum_weights=cum, k=rng.randint(100, 150))
    index: dict[str, list[int]] = {}
    for position, word in enumerate(words):
        if position == 0 or words[position - 1].endswith("."):
            word = word.capitalize()
        if rng.random() < 0.06:
            word += rng.choice(".,;")
        index.setdefault(word, []).append(position)
    return index


def _counts_by_year(rng: random.Random, first_year: int, total: int) -> list[dict]:
    years = list(range(2025, max(first_year, 2012) - 1, -1))[:14]
    out, left = [], total
    for y in years:
        n = rng.randint(0, max(0, left // 2)) if y != years[-1] else left
        left -= n
        out.append({"year": y, "cited_by_count": n})
    return out


def _location(rng: random.Random, source: dict | None, doi: str | None, wid: int) -> dict:
    oa = rng.random() < 0.4
    return {
        "is_oa": oa,
        "landing_page_url": doi or f"https://example.org/article/{wid}",
        "pdf_url": f"https://example.org/article/{wid}.pdf" if oa else None,
        "source": source,
        "license": rng.choice(_LICENSES) if oa else None,
        "license_id": None,
        "version": rng.choice(["publishedVersion", "acceptedVersion", "submittedVersion"]),
        "is_accepted": rng.random() < 0.7,
        "is_published": rng.random() < 0.6,
    }


def make_work(cfg: Config, index: int, updated: date, bounds) -> dict:
    p = pools()
    rng = random.Random(_mix(cfg.seed, index, 10))
    wid = work_id_of(cfg, index, bounds)
    year = rng.choices(range(1990, 2026), weights=[1 + (y - 1990) ** 2 for y in range(1990, 2026)])[0]
    pub = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    wtype = rng.choices([t for t, _ in _WORK_TYPES], weights=[w for _, w in _WORK_TYPES])[0]
    doi = f"https://doi.org/10.{rng.randrange(1000, 99999)}/{_word(rng, 1, 2)}.{year}.{rng.randrange(10**6)}" \
        if rng.random() < 0.8 else None
    title = _title_case(rng.choices(p.vocab, cum_weights=p.vocab_cum, k=rng.randint(6, 16)))
    cited = int(rng.paretovariate(1.2)) - 1 if rng.random() < 0.8 else 0
    cited = min(cited * 3, 50_000)

    # authorships: a lead author (heavy-tailed popularity) plus co-authors from the same group
    n_auth = min(12, max(1, int(rng.lognormvariate(1.2, 0.6))))
    lead = int(cfg.n_authors * rng.random() ** 2.2)
    team = [lead]
    while len(team) < n_auth:
        cand = (lead + rng.randint(-40, 40)) % cfg.n_authors if rng.random() < 0.8 else rng.randrange(cfg.n_authors)
        if cand not in team:
            team.append(cand)
    rng.shuffle(team)
    merged = merged_pairs(cfg) if cfg.merged else []
    authorships = []
    for pos, a in enumerate(team):
        author_id, name, orcid = f"{OA}A{AUTHOR_BASE + a}", author_name(cfg, a), author_orcid(cfg, a)
        if merged and rng.random() < 0.002:  # an old id that merged_ids maps to this person
            old, a2 = merged[rng.randrange(len(merged))]
            author_id, name, orcid = f"{OA}A{old}", author_name(cfg, a2), None
        insts = author_institutions(cfg, a)
        authorships.append({
            "author_position": "first" if pos == 0 else ("last" if pos == len(team) - 1 else "middle"),
            "author": {"id": author_id, "display_name": name, "orcid": orcid},
            "institutions": insts,
            "countries": sorted({i["country_code"] for i in insts}),
            "is_corresponding": pos == 0,
            "raw_author_name": name,
            "raw_affiliation_strings": [f"{i['display_name']}, {i['country_code']}" for i in insts],
            "affiliations": [{"raw_affiliation_string": f"{i['display_name']}, {i['country_code']}",
                              "institution_ids": [i["id"]]} for i in insts],
        })

    home = author_topics(cfg, team[0])
    n_topics = rng.randint(1, 3)
    picked = home[:n_topics] if rng.random() < 0.7 else rng.sample(p.topics, n_topics)
    scores = sorted((round(rng.uniform(0.5, 1.0), 4) for _ in picked), reverse=True)
    topics = [{**t, "score": s} for t, s in zip(picked, scores, strict=False)]

    source = dict(p.sources[rng.randrange(len(p.sources))]) if rng.random() < 0.9 else None
    primary = _location(rng, source, doi, wid)
    locations = [primary] + [_location(rng, None, None, wid) for _ in range(rng.randint(0, 2))]
    oa = primary["is_oa"]
    insts_all = {i["id"] for a in authorships for i in a["institutions"]}
    countries_all = {c for a in authorships for c in a["countries"]}
    n_refs = max(0, int(rng.gauss(20, 6)))
    concepts = [{**c, "score": round(rng.uniform(0.2, 0.9), 6)} for c in rng.sample(p.concepts, rng.randint(5, 10))]
    work_url = f"{OA}W{wid}"
    created = pub + timedelta(days=rng.randrange(0, 60))
    created = min(created, updated)

    return {
        "id": work_url,
        "doi": doi,
        "title": title,
        "display_name": title,
        "publication_year": year,
        "publication_date": pub.isoformat(),
        "ids": {"openalex": work_url, "doi": doi, "mag": str(rng.randrange(10**9, 10**10))},
        "language": "en" if rng.random() < 0.9 else rng.choice(["de", "fr", "es", "zh", "ja", "pt"]),
        "primary_location": primary,
        "type": wtype,
        "type_crossref": "journal-article" if wtype == "article" else wtype,
        "indexed_in": ["crossref"] + (["pubmed"] if rng.random() < 0.3 else []),
        "open_access": {"is_oa": oa, "oa_status": rng.choice(_OA_STATUS) if oa else "closed",
                        "oa_url": primary["pdf_url"], "any_repository_has_fulltext": rng.random() < 0.2},
        "authorships": authorships,
        "institution_assertions": [],
        "countries_distinct_count": len(countries_all),
        "institutions_distinct_count": len(insts_all),
        "corresponding_author_ids": [authorships[0]["author"]["id"]],
        "corresponding_institution_ids": [i["id"] for i in authorships[0]["institutions"]],
        "apc_list": {"value": 2000, "currency": "USD", "value_usd": 2000} if rng.random() < 0.3 else None,
        "apc_paid": None,
        "fwci": round(rng.uniform(0, 5), 3),
        "has_fulltext": rng.random() < 0.5,
        "fulltext_origin": None,
        "cited_by_count": cited,
        "citation_normalized_percentile": {"value": round(rng.random(), 6), "is_in_top_1_percent": False,
                                           "is_in_top_10_percent": rng.random() < 0.1},
        "cited_by_percentile_year": {"min": rng.randint(0, 90), "max": rng.randint(90, 100)},
        "biblio": {"volume": str(rng.randint(1, 300)), "issue": str(rng.randint(1, 12)),
                   "first_page": str(rng.randint(1, 2000)), "last_page": str(rng.randint(2000, 2100))},
        "is_retracted": rng.random() < 0.001,
        "is_paratext": False,
        "primary_topic": topics[0],
        "topics": topics,
        "keywords": [{**k, "score": round(rng.uniform(0.3, 0.7), 6)} for k in rng.sample(p.keywords, rng.randint(2, 5))],
        "concepts": concepts,
        "mesh": [],
        "locations_count": len(locations),
        "locations": locations,
        "best_oa_location": primary if oa else None,
        "sustainable_development_goals": [],
        "grants": [{**f, "award_id": str(rng.randrange(10**6, 10**7))} for f in rng.sample(p.funders, rng.randint(0, 2))],
        "datasets": [],
        "versions": [],
        "referenced_works_count": n_refs,
        "referenced_works": [f"{OA}W{rng.randrange(10**9, 5 * 10**9)}" for _ in range(n_refs)],
        "related_works": [f"{OA}W{rng.randrange(10**9, 5 * 10**9)}" for _ in range(10)],
        "abstract_inverted_index": _abstract(rng, p.vocab, p.vocab_cum) if rng.random() < 0.9 else None,
        "cited_by_api_url": f"https://api.openalex.org/works?filter=cites:W{wid}",
        "counts_by_year": _counts_by_year(rng, year, cited),
        "updated_date": f"{updated.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
                        f"{rng.randrange(60):02d}.{rng.randrange(10**6):06d}",
        "created_date": created.isoformat(),
    }


def make_author(cfg: Config, a: int, updated: date) -> dict:
    rng = random.Random(_mix(cfg.seed, a, 20))
    url = f"{OA}A{AUTHOR_BASE + a}"
    name = author_name(cfg, a)
    orcid = author_orcid(cfg, a)
    insts = author_institutions(cfg, a)
    works_count = max(1, int(rng.paretovariate(1.1)))
    cited = works_count * rng.randint(0, 40)
    topics = [{**t, "count": rng.randint(1, works_count)} for t in author_topics(cfg, a)]
    first_year = rng.randint(1995, 2024)
    parts = name.split()
    return {
        "id": url,
        "orcid": orcid,
        "display_name": name,
        "display_name_alternatives": [name, f"{parts[0][0]}. {parts[-1]}", f"{parts[-1]}, {parts[0]}"],
        "works_count": works_count,
        "cited_by_count": cited,
        "summary_stats": {"2yr_mean_citedness": round(rng.uniform(0, 6), 4), "h_index": min(works_count, rng.randint(0, 60)),
                          "i10_index": min(works_count, rng.randint(0, 80))},
        "ids": {"openalex": url, "orcid": orcid},
        "affiliations": [{"institution": i, "years": sorted(rng.sample(range(first_year, 2026), min(3, 2026 - first_year)),
                                                            reverse=True)} for i in insts],
        "last_known_institutions": insts,
        "topics": topics,
        "topic_share": [{**t, "value": round(rng.random() / 100, 7)} for t in author_topics(cfg, a)],
        "x_concepts": [{k: c[k] for k in ("id", "wikidata", "display_name", "level")} | {"score": round(rng.uniform(10, 90), 1)}
                       for c in rng.sample(pools().concepts, 5)],
        "counts_by_year": [{"year": y, "works_count": rng.randint(0, 5), "cited_by_count": rng.randint(0, 50)}
                           for y in range(2025, max(first_year, 2012) - 1, -1)],
        "works_api_url": f"https://api.openalex.org/works?filter=author.id:A{AUTHOR_BASE + a}",
        "updated_date": f"{updated.isoformat()}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:00.000000",
        "created_date": date(2023, 7, 21).isoformat(),
    }


# ------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------
def _write_part(args: tuple) -> tuple[str, int, int]:
    """Generate and write one part file; return (relative path, bytes, records)."""
    cfg, entity, out, p, k, start, stop, level = args
    layout = cfg.works if entity == "works" else cfg.authors
    day = partition_date(p, layout.partitions)
    rel = f"updated_date={day.isoformat()}/part_{k:03d}.gz"
    path = Path(out) / "data" / entity / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    bounds = cfg.works.partition_bounds()
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as gz:
        batch: list[str] = []
        for i in range(start, stop):
            record = make_work(cfg, i, day, bounds) if entity == "works" else make_author(cfg, i, day)
            batch.append(dumps(record))
            if len(batch) >= 500:
                gz.write(("\n".join(batch) + "\n").encode("utf-8"))
                batch.clear()
        if batch:
            gz.write(("\n".join(batch) + "\n").encode("utf-8"))
    os.replace(tmp, path)
    return rel, path.stat().st_size, stop - start


def _manifest(entity: str, written: list[tuple[str, int, int]]) -> dict:
    entries = [{"url": f"s3://openalex/data/{entity}/{rel}", "meta": {"content_length": size, "record_count": n}}
               for rel, size, n in sorted(written)]
    return {"entries": entries, "meta": {"content_length": sum(e["meta"]["content_length"] for e in entries),
                                         "record_count": sum(e["meta"]["record_count"] for e in entries)}}


def generate(out: Path, *, works: int, authors: int | None = None, seed: int = 1, per_part: int = 20_000,
             partitions: int = 4, author_partitions: int = 2, dup_rate: float = 0.005, merged: int | None = None,
             jobs: int = 1, level: int = 6, log=print) -> dict:
    """Write the snapshot under ``out``; return a summary dict (also written to OUT/bench_snapshot.json)."""
    n_authors = authors if authors is not None else max(50, int(works * 0.6))
    merged = merged if merged is not None else max(1, n_authors // 2000)
    cfg = Config(seed=seed, works=Layout(works, partitions, per_part),
                 authors=Layout(n_authors, author_partitions, per_part),
                 n_authors=n_authors, dup_rate=dup_rate, merged=merged)
    out = Path(out)
    if (out / "data").exists():
        raise SystemExit(f"{out}/data already exists; pick an empty folder")
    started = time.perf_counter()
    summary: dict = {"works": works, "authors": n_authors, "seed": seed, "merged_ids": merged,
                     "dup_rate": dup_rate, "per_part": per_part}
    tasks = {entity: [(cfg, entity, str(out), p, k, s, e, level) for p, k, s, e in layout.parts()]
             for entity, layout in (("authors", cfg.authors), ("works", cfg.works))}
    pool = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    try:
        for entity, entity_tasks in tasks.items():
            written = []
            results = pool.map(_write_part, entity_tasks) if pool else map(_write_part, entity_tasks)
            for rel, size, n in results:
                written.append((rel, size, n))
                log(f"  {entity}/{rel}: {n} records, {size / 1e6:.1f} MB gz")
            manifest = _manifest(entity, written)
            (out / "data" / entity / "manifest").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
            summary[f"{entity}_files"] = len(written)
            summary[f"{entity}_gz_bytes"] = manifest["meta"]["content_length"]
    finally:
        if pool:
            pool.shutdown()

    merge_day = partition_date(0, partitions) + timedelta(days=3)
    buf = io.StringIO()
    buf.write("merge_date,id,merge_into_id\n")
    for old, a in merged_pairs(cfg):
        buf.write(f"{merge_day.isoformat()},A{old},A{AUTHOR_BASE + a}\n")
    merged_path = out / "data" / "merged_ids" / "authors" / f"{merge_day.isoformat()}.csv.gz"
    merged_path.parent.mkdir(parents=True, exist_ok=True)
    merged_path.write_bytes(gzip.compress(buf.getvalue().encode("utf-8"), mtime=0))

    summary["distinct_work_ids"] = len({work_id_of(cfg, i) for i in range(works)}) if works <= 2_000_000 else None
    summary["generate_seconds"] = round(time.perf_counter() - started, 1)
    (out / "bench_snapshot.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="output folder (gets data/...)")
    parser.add_argument("--works", type=int, default=100_000, help="work records to write")
    parser.add_argument("--authors", type=int, default=None, help="author records [default: 0.6 x works]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-part", type=int, default=20_000, help="records per part file")
    parser.add_argument("--partitions", type=int, default=4, help="updated_date partitions of works")
    parser.add_argument("--dup-rate", type=float, default=0.005,
                        help="share of work records that re-issue a work of the previous partition")
    parser.add_argument("--merged", type=int, default=None, help="merged author ids [default: authors/2000]")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel part writers")
    parser.add_argument("--level", type=int, default=6, help="gzip level")
    args = parser.parse_args(argv)
    summary = generate(args.out, works=args.works, authors=args.authors, seed=args.seed, per_part=args.per_part,
                       partitions=args.partitions, dup_rate=args.dup_rate, merged=args.merged, jobs=args.jobs,
                       level=args.level)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
