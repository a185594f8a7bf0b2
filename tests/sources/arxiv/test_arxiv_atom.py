"""The Atom parser: recorded feeds map to entries; hostile and broken feeds are refused."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from pipeline.errors import PipelineError
from pipeline.schemas.arxiv import ArxivEntry, split_arxiv_id
from pipeline.schemas.lake import ArxivEntryRow
from pipeline.sources.arxiv import atom
from pipeline.sources.arxiv.atom import AtomError, parse_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "arxiv"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2101.00001v1</id>
<title>&lol4;</title></entry></feed>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE feed [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2101.00001v1</id>
<title>&xxe;</title></entry></feed>"""


def _row(entry: dict) -> dict:
    row = ArxivEntry.model_validate(entry).to_row()
    ArxivEntryRow.model_validate({**row, "record_source": "arxiv-api", "source_file": "f", "line_number": 1})
    return row


def test_a_recorded_listing_maps_every_field():
    page = parse_feed((FIXTURES / "arxiv_query_testing_start0_max10.atom.xml").read_bytes())
    assert (page.total_results, page.start_index, page.items_per_page) == (214881, 0, 10)
    assert len(page.entries) == 10 and not page.errors
    rows = [_row(e) for e in page.entries]
    first = rows[0]
    assert (first["arxiv_id"], first["version"]) == ("2202.12139", 1)
    assert first["title"] == "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    assert first["abstract"].startswith("Deep Learning (DL) has revolutionized")
    assert [a["name"] for a in first["authors"]] == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert (first["primary_category"], first["other_categories"]) == ("cs.SE", ["cs.LG"])
    assert first["doi"] == "10.1109/icstw55395.2022.00035"  # bare and lower-case, like OpenAlex DOIs
    assert first["journal_ref"].startswith("Artificial Intelligence in Software Testing")
    assert first["published_at"] == datetime(2022, 2, 24, 15, 5, 19)  # naive UTC
    assert sum(r["doi"] is not None for r in rows) == 6
    assert sum(r["journal_ref"] is not None for r in rows) == 6


def test_old_style_ids_and_affiliations():
    (entry,) = parse_feed((FIXTURES / "arxiv_id_astro-ph_0601001.atom.xml").read_bytes()).entries
    row = _row(entry)
    assert (row["arxiv_id"], row["version"]) == ("astro-ph/0601001", 1)
    assert row["authors"][2] == {"name": "B. Scott Gaudi", "position_index": 2, "affiliations": ["CfA"]}
    assert row["journal_ref"] == "ActaAstron.56:1-50,2006"


def test_the_error_feed_is_an_error_not_an_entry():
    page = parse_feed((FIXTURES / "arxiv_error_bad_id_http400.atom.xml").read_bytes())
    assert page.entries == [] and page.errors == ["incorrect id format for abc"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://arxiv.org/abs/2012.04030v2", ("2012.04030", 2)),
        ("https://arxiv.org/abs/astro-ph/0601001v1", ("astro-ph/0601001", 1)),
        ("2407.10315", ("2407.10315", None)),
        ("http://arxiv.org/abs/math.AG/0601001v10", ("math.AG/0601001", 10)),
    ],
)
def test_versions_are_split_off_the_id(value, expected):
    assert split_arxiv_id(value) == expected


def test_an_entry_without_an_arxiv_id_is_a_bad_record():
    with pytest.raises(ValueError, match="not an arXiv id"):
        ArxivEntry.model_validate({"id": "https://example.org/paper/1"})


@pytest.mark.parametrize("use_defusedxml", [True, False], ids=["defusedxml", "expat-guard"])
@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_entity_expansion_and_external_entities_are_refused(monkeypatch, body, use_defusedxml):
    if use_defusedxml and atom._defused_fromstring is None:
        pytest.skip("defusedxml is not installed here; the expat guard is what runs")
    if not use_defusedxml:
        monkeypatch.setattr(atom, "_defused_fromstring", None)
    with pytest.raises(AtomError, match="unsafe XML refused") as refused:
        parse_feed(body)
    assert isinstance(refused.value, PipelineError)
    assert "root:" not in str(refused.value)  # nothing of /etc/passwd leaks into the message


@pytest.mark.parametrize("use_defusedxml", [True, False], ids=["defusedxml", "expat-guard"])
def test_malformed_atom_is_a_clear_error(monkeypatch, use_defusedxml):
    if use_defusedxml and atom._defused_fromstring is None:
        pytest.skip("defusedxml is not installed here")
    if not use_defusedxml:
        monkeypatch.setattr(atom, "_defused_fromstring", None)
    good = (FIXTURES / "arxiv_query_testing_start0_max10.atom.xml").read_bytes()
    with pytest.raises(AtomError, match="malformed XML"):
        parse_feed(good[: len(good) // 2])  # a body cut off mid-transfer
    with pytest.raises(AtomError, match="not an Atom feed"):
        parse_feed(b"<html><body>Service Unavailable</body></html>")


def test_the_expat_guard_reads_namespaces_like_elementtree(monkeypatch):
    body = (FIXTURES / "arxiv_id_astro-ph_0601001.atom.xml").read_bytes()
    monkeypatch.setattr(atom, "_defused_fromstring", None)
    guarded = parse_feed(body)
    assert guarded.total_results == 1 and guarded.entries[0]["authors"][0]["affiliations"] == ["Ohio State"]
    assert guarded.entries[0]["primary_category"] == "astro-ph"
