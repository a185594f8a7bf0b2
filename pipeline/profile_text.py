"""A :class:`ProfileDocument` as a terminal card, laid out like the seed pages:
the header figures, "Published work" (type, year and venue, title, abstract),
the arXiv listing when there is one, then the top collaborators."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from pipeline.schemas.profile import ArxivListing, ProfileDocument


def header_lines(doc: ProfileDocument) -> list[str]:
    """The seed pages' "Quick read": trust, verification, claim, then the four counts."""
    claim = "Claimed author" if doc.claim_status == "claimed" else "Unclaimed author"
    return [
        f"Trust {doc.trust.score} - {doc.trust.tier}  ·  Verification {doc.verification_level}  ·  {claim}",
        f"{doc.works_count} works  ·  {doc.followers_count} followers  ·  {doc.topics_count} topics  ·  "
        f"{doc.close_collaborators_count} close collaborators",
    ]


def published_on(day) -> str:
    """A date as arXiv listings show it: "Oct 31, 2022"."""
    return f"{day:%b} {day.day}, {day.year}" if day else ""


def print_card(doc: ProfileDocument, console: Console, *, abstracts: bool = True) -> None:
    name = Text(doc.display_name or doc.author_id, style="bold")
    ids = doc.author_id + (f" · ORCID {doc.orcid}" if doc.orcid else "")
    body = [Text.assemble(name, "  ", (ids, "dim"))]
    body += [Text(line) for line in header_lines(doc)]
    body.append(
        Text(
            f"{doc.cited_by_count} citations  ·  {doc.collaborators_count} collaborators  ·  "
            f"model {doc.trust.model_version} as of {doc.trust.as_of}",
            style="dim",
        )
    )
    if doc.trust.components:
        parts = "  +  ".join(f"{name.replace('_', ' ')} {points:g}" for name, points in doc.trust.components.items())
        body.append(Text(f"trust = {parts}", style="dim"))
    console.print(Panel(Group(*body), title="Researcher profile", expand=False))

    console.print()
    console.print(Text("Published work", style="bold underline"))
    console.print(f"{len(doc.works)} published item(s)", highlight=False)
    for work in doc.works:
        console.print()
        kind = " · ".join(str(part) for part in (work.type, work.publication_year, work.venue) if part)
        console.print(Text(kind, style="cyan"))
        console.print(Text(work.title or "(untitled)", style="bold"))
        if abstracts and work.abstract:
            console.print(Text(work.abstract))
        console.print(
            Text(
                f"{work.cited_by_count} citations · {work.work_id}" + (f" · doi {work.doi}" if work.doi else ""),
                style="dim",
            )
        )

    if doc.arxiv is not None:
        _print_arxiv(doc, doc.arxiv, console, abstracts=abstracts)

    console.print()
    collaborators = Table(title="Top collaborators", expand=False, title_justify="left")
    for column in ("name", "id", "shared works", "years", "close"):
        collaborators.add_column(column, justify="right" if column == "shared works" else "left")
    for c in doc.collaborators:
        years = f"{c.first_year}–{c.last_year}" if c.first_year != c.last_year else str(c.first_year)
        collaborators.add_row(
            c.display_name or "", c.author_id, str(c.shared_works), years, "yes" if c.is_close else ""
        )
    console.print(collaborators)


def _print_arxiv(doc: ProfileDocument, listing: ArxivListing, console: Console, *, abstracts: bool) -> None:
    """The arXiv listing, like seed 003's page: categories, paper and citation counts, then each paper."""
    console.print()
    console.print(Text("arXiv listing", style="bold underline"))
    console.print(Text(doc.display_name or doc.author_id, style="bold"))
    console.print(Text(" ".join(listing.categories)))
    console.print(f"{listing.papers_count} papers", highlight=False)
    console.print(f"{listing.cited_by_count} citations", highlight=False)
    console.print()
    console.print(Text(f"{listing.papers_count} Papers", style="bold"))
    for paper in listing.papers:
        console.print()
        console.print(
            Text(" · ".join(p for p in (paper.category, published_on(paper.published_on)) if p), style="cyan")
        )
        console.print(Text(paper.title or "(untitled)", style="bold"))
        authors = ", ".join(paper.authors) + (f" · {', '.join(paper.affiliations)}" if paper.affiliations else "")
        console.print(Text(authors))
        if abstracts and paper.abstract:
            console.print(Text(paper.abstract))
        console.print(Text(f"arXiv {paper.arxiv_id} · {paper.cited_by_count} citations · {paper.work_id}", style="dim"))
