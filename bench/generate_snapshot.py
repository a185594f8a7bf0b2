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
from array import array
from bisect import bisect_right
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path

import msgspec

OA = "https://openalex.org/"
WORK_BASE = 4_000_000_000  # W4000000000 + index  (W + 10 digits)
AUTHOR_BASE = 5_100_000_000  # A5100000000 + index (A5 + 9 digits)
MERGED_BASE = 5_900_000_000  # merged-away author ids
FIRST_DATE = date(2025, 1, 6)
# Bumped whenever the records' shape changes, so that run_bench.py never reuses an older snapshot.
SHAPE = 2

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
_WORK_TYPES = [
    ("article", 72),
    ("preprint", 8),
    ("book-chapter", 6),
    ("review", 4),
    ("dataset", 3),
    ("dissertation", 3),
    ("book", 2),
    ("other", 2),
]
_COUNTRIES = "US CN GB DE JP FR IN IT CA AU ES KR BR NL SE CH RU PL TR IR BE DK NO FI IL MX ZA NG EG SG".split()
_INST_TYPES = ["education", "education", "education", "healthcare", "company", "government", "facility", "nonprofit"]
_SOURCE_TYPES = ["journal"] * 8 + ["repository", "conference", "book series"]
_PUBLISHERS = [
    "Elsevier BV",
    "Springer Science+Business Media",
    "Wiley",
    "Taylor & Francis",
    "IEEE",
    "Oxford University Press",
    "MDPI",
    "Frontiers Media",
    "SAGE Publishing",
    "American Chemical Society",
]
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
        subfields.append(
            (f"{fld[0]}{s // len(fields) + 1:02d}", _title_case([_word(rng, 2, 4), _word(rng, 2, 4)]), fld)
        )
    topics = []
    for t in range(1500):
        sub = subfields[rng.randrange(len(subfields))]
        fld, dom = sub[2], sub[2][2]
        topics.append(
            {
                "id": f"{OA}T{10000 + t}",
                "display_name": _title_case(
                    [_word(rng, 2, 4), _word(rng, 2, 3), "and", _word(rng, 2, 4), _word(rng, 2, 3)]
                ),
                "subfield": {"id": f"{OA}subfields/{sub[0]}", "display_name": sub[1]},
                "field": {"id": f"{OA}fields/{fld[0]}", "display_name": fld[1]},
                "domain": {"id": f"{OA}domains/{dom[0]}", "display_name": dom[1]},
            }
        )

    institutions = []
    for _i in range(3000):
        country = rng.choice(_COUNTRIES)
        iid = f"{OA}I{rng.randrange(10**8, 10**10)}"
        institutions.append(
            {
                "id": iid,
                "display_name": _title_case(["University", "of", _word(rng, 2, 4)])
                if rng.random() < 0.7
                else _title_case([_word(rng, 2, 4), "Institute", "of", _word(rng, 2, 3)]),
                "ror": f"https://ror.org/0{rng.randrange(16**8):08x}",
                "country_code": country,
                "type": rng.choice(_INST_TYPES),
                "lineage": [iid],
            }
        )

    sources = []
    for _ in range(4000):
        issn = f"{rng.randrange(10000):04d}-{rng.randrange(1000):03d}{rng.choice('0123456789X')}"
        sources.append(
            {
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
            }
        )

    concepts = [
        {
            "id": f"{OA}C{rng.randrange(10**6, 10**10)}",
            "wikidata": f"https://www.wikidata.org/wiki/Q{rng.randrange(10**3, 10**8)}",
            "display_name": _title_case([_word(rng, 2, 4)] * 1 + ([_word(rng, 2, 3)] if rng.random() < 0.5 else [])),
            "level": rng.randint(0, 5),
        }
        for _ in range(5000)
    ]
    keywords = []
    for _ in range(3000):
        name = " ".join(_word(rng, 2, 3) for _ in range(rng.randint(1, 3)))
        keywords.append({"id": f"{OA}keywords/{name.replace(' ', '-')}", "display_name": name})
    funders = [
        {
            "funder": f"{OA}F{rng.randrange(10**9, 10**10)}",
            "funder_display_name": _title_case(["National", _word(rng, 2, 4), "Foundation"]),
        }
        for _ in range(300)
    ]
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
    hyper_rate: float = 0.001
    abstract_rate: float = 0.6


def work_origin(cfg: Config, index: int, bounds: list[tuple[int, int]] | None = None) -> int:
    """Index of the record whose work record ``index`` is: itself, or (a re-issued version) the
    record at the same relative position in the previous partition, followed back as long as that
    one is a re-issue too. Injective within a partition because earlier partitions are never smaller."""
    bounds = bounds or cfg.works.partition_bounds()
    while True:
        p = next(i for i, (s, e) in enumerate(bounds) if s <= index < e)
        if p == 0 or (_mix(cfg.seed, index, 1) % 1_000_000) >= cfg.dup_rate * 1_000_000:
            return index
        index = bounds[p - 1][0] + (index - bounds[p][0])


def work_id_of(cfg: Config, index: int, bounds: list[tuple[int, int]] | None = None) -> int:
    """Numeric work id of record ``index`` (see ``work_origin``)."""
    return WORK_BASE + work_origin(cfg, index, bounds)


# ------------------------------------------------------------------------------------
# People: names, ORCIDs, institutions and productivity, all derived from (seed, author index)
# ------------------------------------------------------------------------------------
_GIVEN_SYLLABLES = (
    "a e i o u ka ri na lo mi sa ta de el an ya ro li ha ne mo ju vi ze be ca da fe ga jo ke le "
    "ma ni pa ra se ti va wo xi yu zo bo chi fu ho ki ku me nu pe ru so te ul ve yo zu ar en ir on us".split()
)
_NAME_ENDINGS = ["", "", "", "n", "a", "o", "r", "s", "l", "h", "e", "i"]
_SURNAME_SYLLABLES = (
    "ab ac ad ag al am an ar as at ba be bo bra ca ce cho da de di do dra el em en er es fa fe "
    "fo ga ge go gra ha he ho hu ka ke ki ko kra la le li lo lu ma me mi mo mu na ne ni no nu or os pa pe po "
    "ra re ri ro ru sa se si so sto ta te ti to tra tu ul ur va ve vi vo wa we wi ya yo za ze zi zo".split()
)
_SURNAME_ENDINGS = ["", "", "n", "s", "r", "k", "ez", "ov", "ski", "sen", "son", "er", "ini", "oto", "ic", "ang"]
# Share of authors drawn from the short lists of real (common) names above; the rest get a name from
# the large synthetic pools, so two different authors rarely share a normalised name.
REAL_FIRST_SHARE, REAL_LAST_SHARE, INITIAL_SHARE = 0.10, 0.05, 0.3
N_GIVEN, N_SURNAMES = 12_000, 80_000


@lru_cache(maxsize=1)
def name_pools() -> tuple[list[str], list[str]]:
    """(synthetic given names, synthetic surnames): fixed, built from a fixed seed."""
    rng = random.Random(20260102)
    real_first, real_last = set(_FIRST), set(_LAST)
    given: dict[str, None] = {}
    while len(given) < N_GIVEN:
        name = "".join(rng.choice(_GIVEN_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))) + rng.choice(_NAME_ENDINGS)
        if len(name) >= 3 and name.capitalize() not in real_first:
            given[name.capitalize()] = None
    surnames: dict[str, None] = {}
    while len(surnames) < N_SURNAMES:
        name = "".join(rng.choice(_SURNAME_SYLLABLES) for _ in range(rng.choice((1, 2, 2, 3)))) + rng.choice(
            _SURNAME_ENDINGS
        )
        if len(name) >= 3 and name.capitalize() not in real_last:
            surnames[name.capitalize()] = None
    return list(given), list(surnames)


def author_name(cfg: Config, a: int) -> str:
    h = _mix(cfg.seed, a, 2)
    given, surnames = name_pools()
    first = _FIRST[(h >> 8) % len(_FIRST)] if h % 1000 < REAL_FIRST_SHARE * 1000 else given[(h >> 8) % len(given)]
    h2 = h >> 28
    last = _LAST[(h2 >> 8) % len(_LAST)] if h2 % 1000 < REAL_LAST_SHARE * 1000 else surnames[(h2 >> 8) % len(surnames)]
    if (h >> 56) % 100 < INITIAL_SHARE * 100:
        return f"{first} {chr(65 + (h >> 50) % 26)}. {last}"
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


def _mix_np(seed: int, index, salt: int):
    """``_mix`` over a numpy array of indexes (the same values, vectorised)."""
    import numpy as np

    m = 2**64 - 1
    with np.errstate(over="ignore"):
        z = (
            np.uint64(seed * 0x9E3779B97F4A7C15 & m)
            + index.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
            + np.uint64(salt * 0x94D049BB133111EB & m)
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


# Author productivity (Lotka/zipf-like): each author gets a Pareto(PRODUCTIVITY_ALPHA) weight, capped
# at PRODUCTIVITY_CAP, and authorship slots are drawn in proportion to it: most authors have a few
# works, a few have thousands.
PRODUCTIVITY_ALPHA, PRODUCTIVITY_CAP = 1.6, 5000.0


@lru_cache(maxsize=2)
def productivity_cum(seed: int, n_authors: int) -> tuple[array, float]:
    """Cumulative productivity weights of all authors (for ``bisect``), and their total."""
    import numpy as np

    u = (_mix_np(seed, np.arange(n_authors, dtype=np.uint64), 7) >> np.uint64(11)).astype(np.float64) / 2.0**53
    weights = np.minimum(PRODUCTIVITY_CAP, (1.0 - u) ** (-1.0 / PRODUCTIVITY_ALPHA))
    cum = np.cumsum(weights)
    return array("d", cum.tobytes()), float(cum[-1])


def draw_author(cfg: Config, rng: random.Random) -> int:
    cum, total = productivity_cum(cfg.seed, cfg.n_authors)
    return min(cfg.n_authors - 1, bisect_right(cum, rng.random() * total))


@lru_cache(maxsize=4)
def merged_pairs(cfg: Config) -> list[tuple[int, int]]:
    """(old id, surviving author index) pairs written to merged_ids."""
    return [(MERGED_BASE + j, _mix(cfg.seed, j, 6) % cfg.n_authors) for j in range(cfg.merged)]


# ------------------------------------------------------------------------------------
# Records. Built as dicts, with the parts that repeat (sources, authorships of an author,
# abstracts) pre-serialised once as msgspec.Raw fragments; encoded by msgspec.
# ------------------------------------------------------------------------------------
_ENCODE = msgspec.json.Encoder().encode
ABSTRACT_POOL = 2048  # distinct abstracts; a work takes one of them (same size and shape as a real one)


def _abstract(rng: random.Random, vocab: list[str], cum: list[float]) -> dict[str, list[int]]:
    words = rng.choices(vocab, cum_weights=cum, k=rng.randint(100, 150))
    index: dict[str, list[int]] = {}
    punct = rng.choices(".,;", k=len(words))
    marks = [rng.random() < 0.06 for _ in words]
    for position, word in enumerate(words):
        if position == 0 or words[position - 1].endswith("."):
            word = word.capitalize()
        if marks[position]:
            word += punct[position]
        index.setdefault(word, []).append(position)
    return index


@lru_cache(maxsize=1)
def abstract_pool() -> list[msgspec.Raw]:
    p = pools()
    rng = random.Random(20260103)
    return [msgspec.Raw(_ENCODE(_abstract(rng, p.vocab, p.vocab_cum))) for _ in range(ABSTRACT_POOL)]


@lru_cache(maxsize=1)
def source_fragments() -> list[msgspec.Raw]:
    return [msgspec.Raw(_ENCODE(s)) for s in pools().sources]


_FRAGMENTS: dict[int, tuple[bytes, tuple[str, ...], tuple[str, ...]]] = {}
_FRAGMENTS_OWNER: list[Config] = []


def _authorship_body(author_id: str, name: str, orcid: str | None, insts: list[dict]) -> bytes:
    body = _ENCODE(
        {
            "author": {"id": author_id, "display_name": name, "orcid": orcid},
            "institutions": insts,
            "countries": sorted({i["country_code"] for i in insts}),
            "raw_author_name": name,
            "raw_affiliation_strings": [f"{i['display_name']}, {i['country_code']}" for i in insts],
            "affiliations": [
                {"raw_affiliation_string": f"{i['display_name']}, {i['country_code']}", "institution_ids": [i["id"]]}
                for i in insts
            ],
        }
    )
    return body[1:-1]


def authorship_fragment(cfg: Config, a: int) -> tuple[bytes, tuple[str, ...], tuple[str, ...]]:
    """(the authorship's JSON members but position/corresponding, institution ids, countries) of author a."""
    if not _FRAGMENTS_OWNER or _FRAGMENTS_OWNER[0] is not cfg:
        _FRAGMENTS.clear()
        _FRAGMENTS_OWNER[:] = [cfg]
    hit = _FRAGMENTS.get(a)
    if hit is None:
        if len(_FRAGMENTS) >= 300_000:
            _FRAGMENTS.clear()
        insts = author_institutions(cfg, a)
        body = _authorship_body(f"{OA}A{AUTHOR_BASE + a}", author_name(cfg, a), author_orcid(cfg, a), insts)
        hit = (body, tuple(i["id"] for i in insts), tuple(i["country_code"] for i in insts))
        _FRAGMENTS[a] = hit
    return hit


_POSITION = {
    (True, False): b'{"author_position":"first","is_corresponding":true,',
    (False, False): b'{"author_position":"middle","is_corresponding":false,',
    (False, True): b'{"author_position":"last","is_corresponding":false,',
}


def authors_per_work(cfg: Config, rng: random.Random) -> int:
    """1-400 with a heavy tail: lognormal (median ~3, a few dozen at most) and, for a few works
    (``cfg.hyper_rate``), a consortium paper of 100-400 authors."""
    if rng.random() < cfg.hyper_rate:
        return 100 + int(rng.random() * 301)
    return min(60, max(1, int(rng.lognormvariate(1.0, 0.8) + 0.5)))


def make_team(cfg: Config, rng: random.Random) -> list[int]:
    n = min(authors_per_work(cfg, rng), cfg.n_authors)
    lead = draw_author(cfg, rng)
    team, seen = [lead], {lead}
    hyper = n >= 100
    r = rng.random
    while len(team) < n:
        if hyper:  # a consortium: a block of authors around the lead, plus productive members
            cand = (lead + len(team)) % cfg.n_authors if r() < 0.8 else draw_author(cfg, rng)
        elif r() < 0.6:  # the lead's group
            cand = (lead - 50 + int(r() * 101)) % cfg.n_authors
        else:
            cand = draw_author(cfg, rng)
        if cand not in seen:
            seen.add(cand)
            team.append(cand)
    rng.shuffle(team)
    return team


def _counts_by_year(r, first_year: int, total: int) -> list[dict]:
    years = range(2025, max(first_year, 2012) - 1, -1)[:14]
    out, left = [], total
    end = years[-1]
    for y in years:
        n = int(r() * (left // 2 + 1)) if y != end else left
        left -= n
        out.append({"year": y, "cited_by_count": n})
    return out


_VERSIONS = ("publishedVersion", "acceptedVersion", "submittedVersion")
_LANGUAGES = ("de", "fr", "es", "zh", "ja", "pt")


def _location(r, source, doi: str | None, wid: int) -> dict:
    oa = r() < 0.4
    return {
        "is_oa": oa,
        "landing_page_url": doi or f"https://example.org/article/{wid}",
        "pdf_url": f"https://example.org/article/{wid}.pdf" if oa else None,
        "source": source,
        "license": _LICENSES[int(r() * len(_LICENSES))] if oa else None,
        "license_id": None,
        "version": _VERSIONS[int(r() * 3)],
        "is_accepted": r() < 0.7,
        "is_published": r() < 0.6,
    }


def _u32s(rng: random.Random, k: int) -> array:
    """k random 32-bit integers in one call."""
    return array("I", rng.getrandbits(32 * k).to_bytes(4 * k, "little")) if k else array("I")


def make_work(cfg: Config, index: int, updated: date, bounds) -> dict:
    """Work record ``index``. A re-issued record (a newer version of a work of an earlier partition)
    has the same content as the original, a later updated_date and a higher cited_by_count."""
    p = pools()
    origin = work_origin(cfg, index, bounds)
    rng = random.Random(_mix(cfg.seed, origin, 10))
    r = rng.random
    wid = WORK_BASE + origin
    year = _YEARS[bisect_right(_YEAR_CUM, r() * _YEAR_CUM[-1])]
    pub = date(year, 1, 1) + timedelta(days=int(r() * 365))
    wtype = _TYPE_NAMES[bisect_right(_TYPE_CUM, r() * _TYPE_CUM[-1])]
    bits = _u32s(rng, 12)
    doi = (
        f"https://doi.org/10.{1000 + bits[0] % 99000}/{p.vocab[bits[11] % len(p.vocab)]}.{year}.{bits[1] % 10**6}"
        if r() < 0.8
        else None
    )
    title = _title_case(rng.choices(p.vocab, cum_weights=p.vocab_cum, k=6 + int(r() * 11)))
    cited = int(rng.paretovariate(1.2)) - 1 if r() < 0.8 else 0
    cited = min(cited * 3, 50_000)
    if origin != index:  # the newer version has been cited a little more since
        cited += 1 + _mix(cfg.seed, index, 11) % 5

    team = make_team(cfg, rng)
    merged = merged_pairs(cfg) if cfg.merged else []
    authorships = []
    insts_all: set[str] = set()
    countries_all: set[str] = set()
    first_insts: tuple[str, ...] = ()
    first_id = ""
    last = len(team) - 1
    for pos, a in enumerate(team):
        if merged and r() < 0.002:  # an old id that merged_ids maps to this person
            old, a2 = merged[int(r() * len(merged))]
            insts = author_institutions(cfg, a)
            author_id = f"{OA}A{old}"
            body = _authorship_body(author_id, author_name(cfg, a2), None, insts)
            inst_ids, countries = tuple(i["id"] for i in insts), tuple(i["country_code"] for i in insts)
        else:
            body, inst_ids, countries = authorship_fragment(cfg, a)
            author_id = f"{OA}A{AUTHOR_BASE + a}"
        if pos == 0:
            first_insts, first_id = inst_ids, author_id
        insts_all.update(inst_ids)
        countries_all.update(countries)
        authorships.append(msgspec.Raw(_POSITION[(pos == 0, pos == last and pos != 0)] + body + b"}"))

    home = author_topics(cfg, team[0])
    n_topics = 1 + int(r() * 3)
    picked = home[:n_topics] if r() < 0.7 else rng.sample(p.topics, n_topics)
    scores = sorted((round(0.5 + r() * 0.5, 4) for _ in picked), reverse=True)
    topics = [{**t, "score": s} for t, s in zip(picked, scores, strict=False)]

    sources = source_fragments()
    source = sources[bits[2] % len(sources)] if r() < 0.9 else None
    primary = _location(r, source, doi, wid)
    locations = [primary] + [_location(r, None, None, wid) for _ in range(int(r() * 3))]
    oa = primary["is_oa"]
    n_refs = max(0, int(rng.gauss(20, 6)))
    concepts = [
        {**p.concepts[c % len(p.concepts)], "score": round(0.2 + r() * 0.7, 6)} for c in bits[3 : 3 + 5 + int(r() * 6)]
    ]
    keywords = [
        {**p.keywords[int(r() * len(p.keywords))], "score": round(0.3 + r() * 0.4, 6)} for _ in range(2 + int(r() * 4))
    ]
    grants = [
        {**p.funders[int(r() * len(p.funders))], "award_id": str(1_000_000 + int(r() * 9_000_000))}
        for _ in range(int(r() * 3))
    ]
    work_url = f"{OA}W{wid}"
    created = min(pub + timedelta(days=int(r() * 60)), updated)
    abstracts = abstract_pool()
    abstract = abstracts[int(r() * len(abstracts))] if r() < cfg.abstract_rate else None
    refs = [f"{OA}W{1_000_000_000 + u}" for u in _u32s(rng, n_refs + 10)]
    stamp = int(r() * 86_400_000_000)  # microseconds into the day

    return {
        "id": work_url,
        "doi": doi,
        "title": title,
        "display_name": title,
        "publication_year": year,
        "publication_date": pub.isoformat(),
        "ids": {"openalex": work_url, "doi": doi, "mag": str(1_000_000_000 + bits[4])},
        "language": "en" if r() < 0.9 else _LANGUAGES[int(r() * len(_LANGUAGES))],
        "primary_location": primary,
        "type": wtype,
        "type_crossref": "journal-article" if wtype == "article" else wtype,
        "indexed_in": ["crossref", "pubmed"] if r() < 0.3 else ["crossref"],
        "open_access": {
            "is_oa": oa,
            "oa_status": _OA_STATUS[int(r() * len(_OA_STATUS))] if oa else "closed",
            "oa_url": primary["pdf_url"],
            "any_repository_has_fulltext": r() < 0.2,
        },
        "authorships": authorships,
        "institution_assertions": [],
        "countries_distinct_count": len(countries_all),
        "institutions_distinct_count": len(insts_all),
        "corresponding_author_ids": [first_id],
        "corresponding_institution_ids": list(first_insts),
        "apc_list": {"value": 2000, "currency": "USD", "value_usd": 2000} if r() < 0.3 else None,
        "apc_paid": None,
        "fwci": round(r() * 5, 3),
        "has_fulltext": r() < 0.5,
        "fulltext_origin": None,
        "cited_by_count": cited,
        "citation_normalized_percentile": {
            "value": round(r(), 6),
            "is_in_top_1_percent": False,
            "is_in_top_10_percent": r() < 0.1,
        },
        "cited_by_percentile_year": {"min": bits[5] % 91, "max": 90 + bits[6] % 11},
        "biblio": {
            "volume": str(1 + bits[7] % 300),
            "issue": str(1 + bits[8] % 12),
            "first_page": str(1 + bits[9] % 2000),
            "last_page": str(2000 + bits[10] % 101),
        },
        "is_retracted": r() < 0.001,
        "is_paratext": False,
        "primary_topic": topics[0],
        "topics": topics,
        "keywords": keywords,
        "concepts": concepts,
        "mesh": [],
        "locations_count": len(locations),
        "locations": locations,
        "best_oa_location": primary if oa else None,
        "sustainable_development_goals": [],
        "grants": grants,
        "datasets": [],
        "versions": [],
        "referenced_works_count": n_refs,
        "referenced_works": refs[:n_refs],
        "related_works": refs[n_refs:],
        "abstract_inverted_index": abstract,
        "cited_by_api_url": f"https://api.openalex.org/works?filter=cites:W{wid}",
        "counts_by_year": _counts_by_year(r, year, cited),
        "updated_date": f"{updated.isoformat()}T{stamp // 3_600_000_000:02d}:{stamp // 60_000_000 % 60:02d}:"
        f"{stamp // 1_000_000 % 60:02d}.{stamp % 1_000_000:06d}",
        "created_date": created.isoformat(),
    }


_YEARS = list(range(1990, 2026))
_YEAR_CUM = list(accumulate(1 + (y - 1990) ** 2 for y in _YEARS))
_TYPE_NAMES = [t for t, _ in _WORK_TYPES]
_TYPE_CUM = list(accumulate(w for _, w in _WORK_TYPES))


def make_author(cfg: Config, a: int, updated: date) -> dict:
    rng = random.Random(_mix(cfg.seed, a, 20))
    r = rng.random
    url = f"{OA}A{AUTHOR_BASE + a}"
    name = author_name(cfg, a)
    orcid = author_orcid(cfg, a)
    insts = author_institutions(cfg, a)
    works_count = max(1, int(rng.paretovariate(1.1)))
    cited = works_count * int(r() * 41)
    home = author_topics(cfg, a)
    topics = [{**t, "count": 1 + int(r() * works_count)} for t in home]
    first_year = 1995 + int(r() * 30)
    parts = name.split()
    concepts = pools().concepts
    return {
        "id": url,
        "orcid": orcid,
        "display_name": name,
        "display_name_alternatives": [name, f"{parts[0][0]}. {parts[-1]}", f"{parts[-1]}, {parts[0]}"],
        "works_count": works_count,
        "cited_by_count": cited,
        "summary_stats": {
            "2yr_mean_citedness": round(r() * 6, 4),
            "h_index": min(works_count, int(r() * 61)),
            "i10_index": min(works_count, int(r() * 81)),
        },
        "ids": {"openalex": url, "orcid": orcid},
        "affiliations": [
            {
                "institution": i,
                "years": sorted(rng.sample(range(first_year, 2026), min(3, 2026 - first_year)), reverse=True),
            }
            for i in insts
        ],
        "last_known_institutions": insts,
        "topics": topics,
        "topic_share": [{**t, "value": round(r() / 100, 7)} for t in home],
        "x_concepts": [{**concepts[int(r() * len(concepts))], "score": round(10 + r() * 80, 1)} for _ in range(5)],
        "counts_by_year": [
            {"year": y, "works_count": int(r() * 6), "cited_by_count": int(r() * 51)}
            for y in range(2025, max(first_year, 2012) - 1, -1)
        ],
        "works_api_url": f"https://api.openalex.org/works?filter=author.id:A{AUTHOR_BASE + a}",
        "updated_date": f"{updated.isoformat()}T{int(r() * 24):02d}:{int(r() * 60):02d}:00.000000",
        "created_date": "2023-07-21",
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
    with open(tmp, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=level, mtime=0) as gz:
        batch: list[bytes] = []
        for i in range(start, stop):
            record = make_work(cfg, i, day, bounds) if entity == "works" else make_author(cfg, i, day)
            batch.append(_ENCODE(record))
            if len(batch) >= 500:
                batch.append(b"")
                gz.write(b"\n".join(batch))
                batch.clear()
        if batch:
            batch.append(b"")
            gz.write(b"\n".join(batch))
    os.replace(tmp, path)
    return rel, path.stat().st_size, stop - start


def _manifest(entity: str, written: list[tuple[str, int, int]]) -> dict:
    entries = [
        {"url": f"s3://openalex/data/{entity}/{rel}", "meta": {"content_length": size, "record_count": n}}
        for rel, size, n in sorted(written)
    ]
    return {
        "entries": entries,
        "meta": {
            "content_length": sum(e["meta"]["content_length"] for e in entries),
            "record_count": sum(e["meta"]["record_count"] for e in entries),
        },
    }


def generate(
    out: Path,
    *,
    works: int,
    authors: int | None = None,
    seed: int = 1,
    per_part: int = 20_000,
    partitions: int = 4,
    author_partitions: int = 2,
    dup_rate: float = 0.02,
    merged: int | None = None,
    hyper_rate: float = 0.001,
    abstract_rate: float = 0.6,
    jobs: int = 1,
    level: int = 1,
    log=print,
) -> dict:
    """Write the snapshot under ``out``; return a summary dict (also written to OUT/bench_snapshot.json)."""
    n_authors = authors if authors is not None else max(50, int(works * 0.6))
    merged = merged if merged is not None else max(1, n_authors // 2000)
    cfg = Config(
        seed=seed,
        works=Layout(works, partitions, per_part),
        authors=Layout(n_authors, author_partitions, per_part),
        n_authors=n_authors,
        dup_rate=dup_rate,
        merged=merged,
        hyper_rate=hyper_rate,
        abstract_rate=abstract_rate,
    )
    out = Path(out)
    if (out / "data").exists():
        raise SystemExit(f"{out}/data already exists; pick an empty folder")
    started = time.perf_counter()
    summary: dict = {
        "works": works,
        "authors": n_authors,
        "seed": seed,
        "shape": SHAPE,
        "merged_ids": merged,
        "dup_rate": dup_rate,
        "hyper_rate": hyper_rate,
        "abstract_rate": abstract_rate,
        "per_part": per_part,
        "gzip_level": level,
    }
    tasks = {
        entity: [(cfg, entity, str(out), p, k, s, e, level) for p, k, s, e in layout.parts()]
        for entity, layout in (("authors", cfg.authors), ("works", cfg.works))
    }
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


def normalised_name(name: str) -> str:
    """The warehouse's matching key (warehouse/macros/normalize_person_name.sql), in Python."""
    import re
    import unicodedata

    folded = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", " ", folded).strip()


def name_collisions(seed: int, n_authors: int) -> dict:
    """How many of ``n_authors`` authors share their normalised name with at least one other."""
    from collections import Counter

    cfg = Config(
        seed=seed,
        works=Layout(1, 1, 1),
        authors=Layout(n_authors, 1, n_authors),
        n_authors=n_authors,
        dup_rate=0.0,
        merged=0,
    )
    counts = Counter(normalised_name(author_name(cfg, a)) for a in range(n_authors))
    shared = sum(c for c in counts.values() if c > 1)
    return {
        "authors": n_authors,
        "distinct_names": len(counts),
        "authors_sharing_a_name": shared,
        "share": round(shared / n_authors, 5),
        "largest_group": max(counts.values()),
        "most_common": counts.most_common(3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", type=Path, required=not ({"--name-stats"} & set(sys.argv)), help="output folder (gets data/...)"
    )
    parser.add_argument("--works", type=int, default=100_000, help="work records to write")
    parser.add_argument("--authors", type=int, default=None, help="author records [default: 0.6 x works]")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-part", type=int, default=20_000, help="records per part file")
    parser.add_argument("--partitions", type=int, default=4, help="updated_date partitions of works")
    parser.add_argument(
        "--dup-rate",
        type=float,
        default=0.02,
        help="share of work records that re-issue a work of the previous partition",
    )
    parser.add_argument(
        "--hyper-rate", type=float, default=0.001, help="share of works with 100-400 authors (consortium papers)"
    )
    parser.add_argument("--abstract-rate", type=float, default=0.6, help="share of works with an abstract")
    parser.add_argument("--merged", type=int, default=None, help="merged author ids [default: authors/2000]")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel part writers")
    parser.add_argument("--level", type=int, default=1, help="gzip level (1: fast to write, ~15%% bigger than 6)")
    parser.add_argument(
        "--name-stats",
        action="store_true",
        help="only print how many authors share their normalised name with another author",
    )
    args = parser.parse_args(argv)
    if args.name_stats:
        n_authors = args.authors if args.authors is not None else max(50, int(args.works * 0.6))
        print(json.dumps(name_collisions(args.seed, n_authors), indent=2))
        return 0
    summary = generate(
        args.out,
        works=args.works,
        authors=args.authors,
        seed=args.seed,
        per_part=args.per_part,
        partitions=args.partitions,
        dup_rate=args.dup_rate,
        merged=args.merged,
        hyper_rate=args.hyper_rate,
        abstract_rate=args.abstract_rate,
        jobs=args.jobs,
        level=args.level,
    )
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
