"""`pipeline report` on the bundled sample, checked in a real headless browser (Debian's
Chromium driven by playwright; `make install` installs it): the index and profile pages
load with no console errors or failed requests, every figure renders, and the seed
figures are on the pages. Served over loopback HTTP, so links out of the report
(the Great Expectations Data Docs, the profile documents) are followed too."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest
from cli_helpers import run_cli
from PIL import Image

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium tries the network, which tests must not.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LIU_ZIYIN, QIANYI_LI = "A5020000002", "A5030000003"


@pytest.fixture(scope="module")
def report(sample_run, tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("report") / "data"
    shutil.copytree(sample_run, data_dir, symlinks=True)
    result = run_cli("report", "--data-dir", str(data_dir))
    assert result.stdout.strip() == f"ok report with 26 profile page(s): {data_dir / 'report' / 'index.html'}"
    return data_dir


@pytest.fixture(scope="module")
def site(report):
    """An HTTP server on 127.0.0.1 serving the data dir; yields its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(report))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output clean
        pass


@pytest.fixture(scope="module")
def browser():
    assert CHROMIUM.exists(), "no /usr/bin/chromium: `make install` installs Debian's chromium package"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A page that records console errors, page errors and failed or non-2xx requests."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.problems = []
    page.on("console", lambda m: page.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: page.problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: page.problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: page.problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    yield page
    context.close()


def _load(page, url: str) -> None:
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)")
    assert broken == [], broken
    assert page.problems == [], page.problems


def test_index_loads_with_the_last_run(site, page):
    _load(page, f"{site}/report/index.html")
    text = " ".join(page.inner_text("main").split())
    assert "Last run" in text and "Trust as of 2026-01-01" in text
    assert re.search(r"11 input files 56 records read 56 landed 0 quarantined \(all runs\) 26 profiles", text), text[
        :400
    ]
    assert "Landing gate passed" in text and "Warehouse gate passed" in text
    assert "Full build: no previous warehouse." in text  # which build it was, and why
    assert page.locator("#trust + table").inner_text().split() == (
        "tier profiles Trusted 0 Established 0 Emerging 2 Unverified 24".split()
    )
    images = page.evaluate("[...document.images].map(i => i.getAttribute('src'))")
    assert images == [
        "figures/quarantine_reasons.png",
        "figures/build_rows.png",
        "figures/trust_histogram.png",
        "figures/works_per_year.png",
    ]
    # the Data Docs link leads to Great Expectations' own site
    page.click("text=Great Expectations Data Docs")
    page.wait_for_load_state("load")
    assert page.url.endswith("/quality/docs/index.html")
    assert "Data Docs" in page.title() or "Great Expectations" in page.content()


def test_profile_page_shows_the_seed_figures(site, page, tmp_path):
    _load(page, f"{site}/report/index.html")
    page.click("text=Liu Ziyin")
    page.wait_for_load_state("load")
    assert page.url.endswith(f"/report/profiles/{LIU_ZIYIN}.html")
    _load(page, page.url)
    # seed 002's "Quick read", element by element
    assert page.inner_text("#trust") == "Trust 21 - Emerging"
    assert page.inner_text("#verification") == "Verification L1"
    assert page.inner_text("#claim") == "Unclaimed author"
    counts = [page.inner_text(f"#{name}") for name in ("works-count", "followers-count", "topics-count", "close-count")]
    assert counts == ["9", "0", "9", "4"]
    assert page.inner_text("#published-work h2") == "9 published item(s)"
    titles = page.locator("#published-work article h3").all_inner_texts()
    assert titles[:3] == [
        "Exact Phase Transitions in Deep Learning",
        "Power Laws and Symmetries in a Minimal Model of Financial Market Economy",
        "Power-law escape rate of SGD",
    ]
    assert len(titles) == 9
    assert page.locator("#published-work article .meta").first.inner_text().startswith("preprint 2022 arXiv")
    # the screenshot of the "Quick read" shows every seed figure: each is visible, inside the shot, not blank
    snapshot = page.locator("#trust-snapshot")
    shot = tmp_path / "snapshot.png"
    snapshot.screenshot(path=str(shot))
    box = snapshot.bounding_box()
    assert box["width"] > 600 and box["height"] > 150
    image = Image.open(shot).convert("RGB")
    for name in ("trust", "verification", "claim", "works-count", "followers-count", "topics-count", "close-count"):
        figure = page.locator(f"#{name}")
        assert figure.is_visible(), name
        inner = figure.bounding_box()
        assert box["x"] <= inner["x"] and inner["x"] + inner["width"] <= box["x"] + box["width"], name
        assert box["y"] <= inner["y"] and inner["y"] + inner["height"] <= box["y"] + box["height"], name
        left, top = int(inner["x"] - box["x"]), int(inner["y"] - box["y"])
        crop = image.crop((left, top, left + int(inner["width"]), top + int(inner["height"])))
        assert len(crop.getcolors(maxcolors=100_000) or []) > 2, f"{name} is blank in the screenshot"
    for name in ("works_", "collaborators_"):
        assert page.locator(f"img[src$='{name}{LIU_ZIYIN}.png']").evaluate("i => i.naturalWidth") > 300


def test_arxiv_listing_and_profile_document(site, page):
    _load(page, f"{site}/report/profiles/{QIANYI_LI}.html")
    listing = " ".join(page.inner_text("#arxiv-listing").split())
    # (innerText is as shown: the "arXiv listing" eyebrow is upper-cased by the CSS)
    assert listing.lower().startswith("arxiv listing qianyi li lg 4 papers 134 citations 4 papers"), listing[:200]
    assert "Qianyi Li, Haim Sompolinsky · harvard" in listing
    # the page links the JSON document it was rendered from
    page.click("text=profile document (JSON)")
    page.wait_for_load_state("load")
    assert '"author_id": "A5030000003"' in page.content()


def test_data_dictionary_page(site, page):
    _load(page, f"{site}/report/dictionary.html")
    tables = page.locator("main section h2 code").all_inner_texts()
    assert {"works", "work_sources", "profiles", "collaborator_edges_directed", "quality_runs"} <= set(tables)
    works = page.locator("section#works table").inner_text()
    assert "publication_year" in works and "INTEGER" in works


def test_report_of_a_run_with_rejects_shows_the_reasons(tmp_path):
    """No browser needed: the quarantine section lists each reason with its count."""
    events = tmp_path / "events.jsonl"
    good = (
        '{{"event_id": "ev-{n}", "type": "author.followed", "author_id": "A5012345678", "actor_id": "u-{n}", '
        '"occurred_at": "2024-06-02T09:00:00Z"}}'
    )
    bad = '{"event_id": "ev-bad", "type": "author.exploded", "author_id": "A5012345678", "occurred_at": "x"}'
    events.write_text("\n".join([good.format(n=1), bad, good.format(n=2), good.format(n=3)]) + "\n")
    data_dir = tmp_path / "data"
    run_cli("run", "--source", f"platform-events:{events}", "--data-dir", str(data_dir), "--as-of", "2026-01-01")
    run_cli("report", "--data-dir", str(data_dir))
    html = (data_dir / "report" / "index.html").read_text(encoding="utf-8")
    section = html[html.index('id="quarantine"') : html.index('id="gates"')]
    assert "<td>events</td>" in section and '<td class="n">1</td>' in section
    assert "No record was quarantined" not in section
    assert (data_dir / "report" / "figures" / "quarantine_reasons.png").stat().st_size > 5000


def test_rewriting_the_report_drops_pages_of_profiles_no_longer_published(report):
    stale_page = report / "report" / "profiles" / "A1.html"
    stale_figure = report / "report" / "figures" / "works_A1.png"
    for path in (stale_page, stale_figure):
        path.write_text("old")
    run_cli("report", "--data-dir", str(report))
    assert not stale_page.exists() and not stale_figure.exists()
    assert (report / "report" / "profiles" / f"{LIU_ZIYIN}.html").exists()
