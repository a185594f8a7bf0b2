#!/usr/bin/env python3
"""Build the arXiv API replay of the bundled sample: seed 003 (Qianyi Li) as Atom pages.

It fetches ``arxiv-api:author=Qianyi Li`` with the real client (``ArxivClient``),
answered in-process by a stand-in for export.arxiv.org that serves the seed's four
papers as arXiv Atom pages (two entries per page, so the replay has two pages;
no network, no port), and lands the raw responses under
``pipeline/sample_data/replay/source=arxiv-api/``. ``make run`` then lands them
through ``replay:`` like any fetched responses; the warehouse merges them with the
same works from the OpenAlex snapshot, so the seed figures do not change.

    .venv/bin/python tools/build_arxiv_replay.py            # (re)write the arxiv-api replay
    .venv/bin/python tools/build_arxiv_replay.py --check    # fail if it is not what this writes

Output is deterministic (a fixed clock, fixed URLs), so a rerun gives identical bytes.
Other sources' replays in the same folder are left alone.

What is real: titles and abstracts (verbatim from the seed page, shared with
``tools/build_sample.py``), author lists and submission dates as the page shows them,
and the arXiv ids. The journal reference and DOI of 2012.04030 (Phys. Rev. X 11,
031059) are the published version's. Made up: versions (all v1, updated = published),
times of day (00:00Z), categories (cs.LG, the page's tag, as primary) and the
affiliation "Harvard University" (the page's "harvard" tag) on Qianyi Li.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from xml.sax.saxutils import escape

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO)]

from replay_tool import replay_main  # noqa: E402

from pipeline.sources.arxiv.client import ArxivClient, ArxivQuery  # noqa: E402
from pipeline.sources.arxiv.settings import SOURCE_NAME, ArxivSettings  # noqa: E402
from pipeline.sources.raw import RawStore  # noqa: E402

REPLAY_DIR = REPO / "pipeline" / "sample_data" / "replay"
BASE_URL = "https://export.arxiv.org/api/query"
AUTHOR = "Qianyi Li"
PAGE_SIZE = 2
FETCHED_AT = datetime(2024, 6, 2, 9, 0, tzinfo=UTC)
AFFILIATION = "Harvard University"

# (text key in build_sample.TEXTS, arXiv id, submitted, authors, journal_ref, doi), oldest first
PAPERS = [
    (
        "Q4",
        "2012.04030",
        "2020-12-07",
        ["Qianyi Li", "Haim Sompolinsky"],
        "Phys. Rev. X 11, 031059 (2021)",
        "10.1103/PhysRevX.11.031059",
    ),
    ("Q1", "2210.17515", "2022-10-31", ["Qianyi Li", "Haim Sompolinsky"], None, None),
    ("Q3", "2309.04522", "2023-09-08", ["Yehonatan Avidan", "Qianyi Li", "Haim Sompolinsky"], None, None),
    ("Q2", "2407.10315", "2024-07-14", ["Haozhe Shan", "Qianyi Li", "Haim Sompolinsky"], None, None),
]
HARVARD_TAGGED = {"Q1", "Q2", "Q3"}  # the page shows "· harvard" on these


def _texts() -> dict[str, tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("build_sample", REPO / "tools" / "build_sample.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TEXTS


def entry_xml(paper: tuple, texts: dict[str, tuple[str, str]]) -> str:
    key, arxiv_id, day, authors, journal_ref, doi = paper
    title, abstract = texts[key]
    stamp = f"{day}T00:00:00Z"
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{arxiv_id}v1</id>",
        f"    <title>{escape(title)}</title>",
        f"    <updated>{stamp}</updated>",
        f'    <link href="https://arxiv.org/abs/{arxiv_id}v1" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{arxiv_id}v1" rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(abstract)}</summary>",
        '    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>',
        f"    <published>{stamp}</published>",
        '    <arxiv:primary_category term="cs.LG"/>',
    ]
    if journal_ref:
        lines.append(f"    <arxiv:journal_ref>{escape(journal_ref)}</arxiv:journal_ref>")
    for name in authors:
        lines.append("    <author>")
        lines.append(f"      <name>{escape(name)}</name>")
        if name == AUTHOR and key in HARVARD_TAGGED:
            lines.append(f"      <arxiv:affiliation>{AFFILIATION}</arxiv:affiliation>")
        lines.append("    </author>")
    if doi:
        lines.append(f"    <arxiv:doi>{doi}</arxiv:doi>")
        lines.append(f'    <link rel="related" href="https://doi.org/{doi}" title="doi"/>')
    lines.append("  </entry>")
    return "\n".join(lines) + "\n"


def page_xml(url: str, start: int, texts: dict[str, tuple[str, str]]) -> str:
    entries = PAPERS[start : start + PAGE_SIZE]
    return (
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
        'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">\n'
        f"  <id>https://arxiv.org/api/sample-qianyi-li-{start}</id>\n"
        f"  <title>arXiv Query: {escape(urlparse(url).query)}</title>\n"
        f"  <updated>{FETCHED_AT.strftime('%Y-%m-%dT%H:%M:%SZ')}</updated>\n"
        f'  <link href="{escape(url)}" type="application/atom+xml"/>\n'
        f"  <opensearch:itemsPerPage>{PAGE_SIZE}</opensearch:itemsPerPage>\n"
        f"  <opensearch:totalResults>{len(PAPERS)}</opensearch:totalResults>\n"
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>\n"
        + "".join(entry_xml(p, texts) for p in entries)
        + "</feed>\n"
    )


class SampleArxiv(BaseAdapter):
    """Answers the client's requests in-process with the seed's Atom pages."""

    def __init__(self) -> None:
        super().__init__()
        self.texts = _texts()

    def send(self, request, **kwargs):
        args = parse_qs(urlparse(request.url).query)
        assert args["search_query"] == [f'au:"{AUTHOR}"'], args
        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict({"Content-Type": "application/atom+xml; charset=utf-8"})
        response._content = page_xml(request.url, int(args["start"][0]), self.texts).encode("utf-8")
        response.url = request.url
        response.request = request
        return response

    def close(self) -> None:
        pass


def build(target: Path) -> None:
    ticks = count()
    raw = RawStore(target, clock=lambda: FETCHED_AT + timedelta(seconds=next(ticks)))
    session = requests.Session()
    session.mount(BASE_URL, SampleArxiv())
    client = ArxivClient(raw, ArxivSettings(base_url=BASE_URL, delay_seconds=0), session=session, page_size=PAGE_SIZE)
    stats = client.fetch(ArxivQuery(AUTHOR))
    assert (stats.pages, stats.entries) == (2, len(PAPERS)), stats


def main() -> int:
    return replay_main(__doc__, REPLAY_DIR, SOURCE_NAME, build, "tools/build_arxiv_replay.py")


if __name__ == "__main__":
    sys.exit(main())
