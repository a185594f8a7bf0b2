"""`pipeline profile` reproduces the seed pages (tests/fixtures/seeds/, copied from the
seed set): each block of a page's own text (the trust header, the works heading, every
work with its type, year, venue, title and abstract; for seed 003's arXiv listing the
categories, counts and every paper with its co-author line) appears in the card, in the
page's order. Seed 001 is not in the sample (README "Known limits").

Text is compared with whitespace and separators removed: the pages are HTML flattened to
text ("preprint2020arXiv"), the card puts spaces and " · " between the same words.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from cli_helpers import run_cli

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"
REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "schemas" / "json" / "profile.schema.json").read_text(encoding="utf-8"))


def squash(text: str) -> str:
    return re.sub(r"[\s·│╭╮╰╯─]+", "", text)


def seed_lines(number: str) -> list[str]:
    (path,) = SEEDS.glob(f"{number}_*.txt")
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def platform_page_blocks(lines: list[str]) -> list[list[str]]:
    """Seed pages 000, 002, 004: the "Quick read" header, the works heading, then each work
    (type+year+venue, title, abstract)."""
    start = next(i for i, line in enumerate(lines) if re.match(r"Trust \d+ - ", line))
    end = next(i for i, line in enumerate(lines) if line.endswith("close collaborators"))
    heading = lines.index("Published work")
    works = lines[heading + 2 :]
    assert len(works) % 3 == 0 and all(re.fullmatch(r"[a-z-]+\d{4}.+", w) for w in works[::3]), works[:3]
    return [lines[start : end + 1], lines[heading : heading + 2]] + [works[i : i + 3] for i in range(0, len(works), 3)]


def arxiv_page_blocks(lines: list[str]) -> tuple[list[str], list[list[str]]]:
    """Seed 003: name, categories, paper and citation counts (not the site's own "Novelty" and
    "AI Score", which no source has), then each paper (category+date, title, co-authors, abstract)."""
    header = [line for line in lines[: lines.index("4 Papers")] if not line.startswith(("Novelty", "AI Score"))]
    papers = lines[lines.index("4 Papers") + 1 :]
    assert len(papers) == 16 and all(re.fullmatch(r"[A-Z]+[A-Z][a-z]{2} \d{1,2}, \d{4}", p) for p in papers[::4])
    return header + ["4 Papers"], [papers[i : i + 4] for i in range(0, 16, 4)]


def positions(card: str, blocks: list[list[str]]) -> list[int]:
    flat = squash(card)
    found = []
    for block in blocks:
        at = flat.find(squash("".join(block)))
        assert at >= 0, f"not in the card: {' / '.join(line[:60] for line in block)}"
        found.append(at)
    return found


@pytest.mark.parametrize(("seed", "author"), [("000", "Qianli Liao"), ("002", "Liu Ziyin"), ("004", "Lifu Wang")])
def test_card_reproduces_the_seed_page(sample_run, seed, author):
    card = run_cli("profile", author, "--data-dir", str(sample_run)).stdout
    blocks = platform_page_blocks(seed_lines(seed))
    assert len(blocks) >= 5
    found = positions(card, blocks)
    assert found == sorted(found), "the card lists the blocks in another order than the seed page"


def test_card_reproduces_the_arxiv_listing_of_seed_003(sample_run):
    card = run_cli("profile", "Qianyi Li", "--data-dir", str(sample_run)).stdout
    header, papers = arxiv_page_blocks(seed_lines("003"))
    assert header[:4] == ["Qianyi Li", "LG", "4papers", "134citations"]
    (header_at,) = positions(card[card.index("arXiv listing") :], [header])
    assert header_at == len(squash("arXiv listing")), "the listing opens with the name, categories and counts"
    # every paper with its co-author line; the page's order is neither by date nor by citations,
    # so the card's own order (newest first) is checked instead
    found = positions(card, papers)
    dates = re.findall(r"LG · (\w{3} \d{1,2}, \d{4})", card)
    assert dates == ["Jul 14, 2024", "Sep 8, 2023", "Oct 31, 2022", "Dec 7, 2020"]
    assert len(set(found)) == 4


def test_no_abstracts_hides_them(sample_run):
    card = run_cli("profile", "Lifu Wang", "--no-abstracts", "--data-dir", str(sample_run)).stdout
    assert "On the Provable Generalization of Recurrent Neural Networks" in card
    assert "Recurrent Neural Network (RNN) is a fundamental structure" not in card


def test_json_is_the_published_document_and_follows_its_schema(sample_run):
    result = run_cli("profile", "Qianyi Li", "--json", "--data-dir", str(sample_run))
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert (doc["author_id"], doc["trust"]["score"], doc["trust"]["tier"]) == ("A5030000003", 13, "Unverified")
    assert [w["venue"] for w in doc["works"]] == ["arXiv"] * 4
    assert doc["arxiv"]["papers_count"] == 4 and doc["arxiv"]["cited_by_count"] == 134
    assert doc["arxiv"]["categories"] == ["LG"]
    assert doc["arxiv"]["papers"][0]["authors"] == ["Haozhe Shan", "Qianyi Li", "Haim Sompolinsky"]
    exported = sample_run / "publish" / "profiles" / "A5030000003.json"
    assert json.loads(exported.read_text(encoding="utf-8")) == doc


def test_every_profile_is_exported_with_the_tables(sample_run):
    publish = sample_run / "publish"
    profiles = sorted(p.stem for p in (publish / "profiles").iterdir())
    ids = sorted(json.loads(p.read_text(encoding="utf-8"))["author_id"] for p in (publish / "profiles").iterdir())
    assert profiles == ids and len(ids) == 26
    # inside the export folder that publish points at, so it switches with the tables
    assert (publish / "profiles").resolve().parent == (publish / "works.parquet").resolve().parent
    for path in (publish / "profiles").iterdir():
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)
