"""``pipeline report``: a static HTML site under ``DIR/report/``.

- ``index.html``: the last run (inputs, records landed and quarantined by reason, gate
  results linked to the Great Expectations Data Docs, build figures, trust tiers) with plots;
- ``profiles/<author_id>.html``: one page per profile, laid out like the seed pages, rendered
  from the published profile documents (``publish/profiles/<author_id>.json``);
- ``dictionary.html``: every published table and column (the data dictionary);
- ``figures/*.png``: the plots (matplotlib), ``style.css``.

Pages are jinja2 templates (``templates/``); every file is written atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from pipeline.profile_text import published_on
from pipeline.report import figures
from pipeline.report.facts import documents, edges_among, relative_link, run_facts
from pipeline.schemas.profile import ProfileDocument
from pipeline.storage.atomic import write_bytes_atomically, write_text_atomically
from pipeline.storage.layout import DataLayout

TEMPLATES = Path(__file__).resolve().parent / "templates"
MAX_PROFILE_PAGES = 500  # most works first; a big warehouse gets pages for its most prolific authors


@dataclass(frozen=True)
class Site:
    index: Path
    profiles: int


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["published_on"] = published_on
    env.filters["thousands"] = lambda n: f"{n:,}" if isinstance(n, int) else n
    return env


def write_site(layout: DataLayout, *, max_profiles: int = MAX_PROFILE_PAGES) -> Site:
    """Write the whole site; returns where its index is."""
    env = _environment()
    facts = run_facts(layout)
    common = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "version": version("scholarly-pipeline"),
    }

    def page(relative: str, template: str, **context) -> Path:
        depth = relative.count("/")
        root = "../" * depth
        html = env.get_template(template).render(root=root, **common, **context)
        return write_text_atomically(layout.report_file(relative), html)

    written: set[str] = set()

    def figure(name: str, png: bytes) -> str:
        write_bytes_atomically(layout.report_file(f"figures/{name}"), png)
        written.add(name)
        return f"figures/{name}"

    write_text_atomically(layout.report_file("style.css"), (TEMPLATES / "style.css").read_text(encoding="utf-8"))

    by_works = sorted(facts.profiles, key=lambda p: (-p["works_count"], p["author_id"]))[:max_profiles]
    with_pages = {p["author_id"] for p in by_works}
    docs = documents(layout, [p["author_id"] for p in by_works])
    for doc in docs:
        _profile_page(layout, doc, with_pages, page, figure)
    _remove_stale(layout.report_file("profiles"), {f"{a}.html" for a in with_pages}, ".html")

    index_figures = {
        "works_per_year": figure(
            "works_per_year.png",
            figures.works_per_year(facts.works_per_year, title="Works per year, most prolific authors"),
        ),
        "trust": figure("trust_histogram.png", figures.trust_histogram(facts.scores_by_tier)),
        "quarantine": figure(
            "quarantine_reasons.png", figures.quarantine_reasons([(f"{e}: {r}", n) for e, r, n in facts.reasons])
        ),
        "build": figure(
            "build_rows.png",
            figures.bar_counts(facts.build.get("row_counts", {}), title="Rows per warehouse table", xlabel="rows"),
        ),
    }
    docs_index = layout.quality_docs_dir / "index.html"
    index = page(
        "index.html",
        "index.html.j2",
        facts=facts,
        figures=index_figures,
        with_pages=with_pages,
        data_docs=relative_link(layout.report_dir, docs_index) if docs_index.exists() else None,
        warehouse=layout.warehouse_path,
        publish_dir=layout.publish_dir,
    )
    from pipeline.warehouse.dictionary import published_tables

    page("dictionary.html", "dictionary.html.j2", tables=published_tables())
    _remove_stale(layout.report_file("figures"), written, ".png")
    return Site(index=index, profiles=len(docs))


def _profile_page(layout: DataLayout, doc: ProfileDocument, with_pages: set[str], page, figure) -> None:
    per_year: dict[int, int] = {}
    for work in doc.works:
        if work.publication_year is not None:
            per_year[work.publication_year] = per_year.get(work.publication_year, 0) + 1
    name = doc.display_name or doc.author_id
    ids = [c.author_id for c in doc.collaborators]
    index_of = {a: i for i, a in enumerate(ids)}
    between = [(index_of[a], index_of[b], n) for a, b, n in edges_among(layout, ids)] if len(ids) > 1 else []
    shown = {
        "works": figure(f"works_{doc.author_id}.png", figures.works_per_year({name: per_year}, title="Works per year")),
        "graph": figure(
            f"collaborators_{doc.author_id}.png",
            figures.collaborator_graph(
                name, [(c.display_name or c.author_id, c.shared_works, c.is_close) for c in doc.collaborators], between
            ),
        ),
    }
    page(
        f"profiles/{doc.author_id}.html",
        "profile.html.j2",
        doc=doc,
        figures=shown,
        with_pages=with_pages,
        document=relative_link(layout.report_file("profiles"), layout.profile_document_path(doc.author_id)),
    )


def _remove_stale(folder: Path, keep: set[str], suffix: str) -> None:
    """Pages and figures of profiles that are no longer published (or no longer get a page)."""
    for path in folder.iterdir() if folder.is_dir() else []:
        if path.name not in keep and path.suffix == suffix:
            path.unlink(missing_ok=True)
