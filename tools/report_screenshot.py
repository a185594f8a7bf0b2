"""Screenshots of the HTML report for the README: ``docs/report_index.png`` (the last run)
and ``docs/report_profile.png`` (seed 002's profile page).

    .venv/bin/pipeline run --data-dir /tmp/shot --as-of 2026-01-01
    .venv/bin/pipeline report --data-dir /tmp/shot
    .venv/bin/python tools/report_screenshot.py /tmp/shot

Uses Debian's Chromium (``make install``) through playwright, offline.
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DOCS = Path(__file__).resolve().parents[1] / "docs"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PAGES = {"report_index.png": "index.html", "report_profile.png": "profiles/A5020000002.html"}


def main(data_dir: Path) -> None:
    report = data_dir.resolve() / "report"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 1300})
        for name, relative in PAGES.items():
            page.goto((report / relative).as_uri(), wait_until="load")
            page.screenshot(path=str(DOCS / name))
            print(f"wrote docs/{name}")
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "data"))
