"""Parse arXiv API Atom feeds safely, into plain entry dicts.

The parser refuses DTDs, entity declarations and external references, so a
hostile or broken feed cannot expand entities ("billion laughs") or read local
files (XXE). It uses ``defusedxml`` when it is installed and otherwise drives
expat itself with the same refusals; either way a refused or malformed body is
an :class:`AtomError`.

An entry becomes the dict the input model :class:`pipeline.schemas.arxiv.ArxivEntry`
validates: ``id``, ``title``, ``summary``, ``published``, ``updated``, ``authors``
(``name`` and ``affiliations``), ``primary_category``, ``categories``, ``doi``,
``journal_ref`` and ``comment``. Mapping stops there; validation is the model's job.
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from pipeline.errors import PipelineError

ATOM = "{http://www.w3.org/2005/Atom}"
ARXIV = "{http://arxiv.org/schemas/atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ERROR_ID_PREFIX = "https://arxiv.org/api/errors"

try:  # the locked dependency; the expat fallback below keeps the same guarantees without it
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import fromstring as _defused_fromstring
except ImportError:  # pragma: no cover - exercised when defusedxml is not installed
    DefusedXmlException = None  # type: ignore[assignment,misc]
    _defused_fromstring = None


class AtomError(PipelineError):
    """A response that is not a safe, well-formed arXiv Atom feed."""


@dataclass
class AtomPage:
    """One page of an arXiv listing."""

    total_results: int | None
    start_index: int | None
    items_per_page: int | None
    entries: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # the error feed's messages (HTTP 400)


def parse_xml(body: bytes) -> Element:
    """Parse ``body``, refusing DTDs, entities and external references."""
    if _defused_fromstring is not None:
        try:
            return _defused_fromstring(body, forbid_dtd=True)
        except DefusedXmlException as exc:
            raise AtomError(f"unsafe XML refused ({type(exc).__name__}: {exc})") from None
        except ParseError as exc:
            raise AtomError(f"malformed XML: {exc}") from None
    return _guarded_expat(body)


def _guarded_expat(body: bytes) -> Element:
    builder = TreeBuilder()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")

    def name(raw: str) -> str:
        return "{" + raw if "}" in raw else raw

    def refuse(what: str):
        def handler(*args: object) -> None:
            raise AtomError(f"unsafe XML refused ({what} is not allowed in a feed)")

        return handler

    parser.StartDoctypeDeclHandler = refuse("a DOCTYPE")
    parser.EntityDeclHandler = refuse("an ENTITY declaration")
    parser.UnparsedEntityDeclHandler = refuse("an ENTITY declaration")
    parser.ExternalEntityRefHandler = refuse("an external entity")
    parser.StartElementHandler = lambda tag, attrs: builder.start(name(tag), {name(k): v for k, v in attrs.items()})
    parser.EndElementHandler = lambda tag: builder.end(name(tag))
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        raise AtomError(f"malformed XML: {exc}") from None
    return builder.close()


def parse_feed(body: bytes) -> AtomPage:
    """One Atom response -> its paging figures and entry dicts (or its error messages)."""
    root = parse_xml(body)
    if root.tag != f"{ATOM}feed":
        raise AtomError(f"not an Atom feed: the root element is {root.tag!r}")
    page = AtomPage(
        total_results=_int(root.findtext(f"{OPENSEARCH}totalResults")),
        start_index=_int(root.findtext(f"{OPENSEARCH}startIndex")),
        items_per_page=_int(root.findtext(f"{OPENSEARCH}itemsPerPage")),
    )
    for entry in root.iterfind(f"{ATOM}entry"):
        entry_id = _text(entry, f"{ATOM}id") or ""
        if entry_id.startswith(ERROR_ID_PREFIX):
            page.errors.append(_text(entry, f"{ATOM}summary") or entry_id)
        else:
            page.entries.append(entry_dict(entry))
    return page


def entry_dict(entry: Element) -> dict[str, Any]:
    """One ``<entry>`` as a plain dict (the raw record landing validates)."""
    primary = entry.find(f"{ARXIV}primary_category")
    doi = _text(entry, f"{ARXIV}doi")
    if doi is None:  # older entries carry the DOI only as a link
        link = entry.find(f"{ATOM}link[@title='doi']")
        doi = link.get("href") if link is not None else None
    return {
        "id": _text(entry, f"{ATOM}id"),
        "title": _text(entry, f"{ATOM}title"),
        "summary": _text(entry, f"{ATOM}summary"),
        "published": _text(entry, f"{ATOM}published"),
        "updated": _text(entry, f"{ATOM}updated"),
        "authors": [
            {
                "name": _text(author, f"{ATOM}name"),
                "affiliations": [
                    a.text.strip() for a in author.iterfind(f"{ARXIV}affiliation") if a.text and a.text.strip()
                ],
            }
            for author in entry.iterfind(f"{ATOM}author")
        ],
        "primary_category": primary.get("term") if primary is not None else None,
        "categories": [c.get("term") for c in entry.iterfind(f"{ATOM}category") if c.get("term")],
        "doi": doi,
        "journal_ref": _text(entry, f"{ARXIV}journal_ref"),
        "comment": _text(entry, f"{ARXIV}comment"),
    }


def _text(element: Element, path: str) -> str | None:
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        raise AtomError(f"not a number in the feed's paging figures: {text!r}") from None
