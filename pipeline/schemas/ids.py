"""OpenAlex identifier normalisation.

OpenAlex serves ids as URLs (``https://openalex.org/W2741809807``); the warehouse
contract uses the short form (``W2741809807``). Normalising here, at the edge,
means every landed file and every table speaks one dialect.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

_PREFIXES = ("https://openalex.org/", "http://openalex.org/", "openalex.org/")
_URL = _PREFIXES[0]
_URL_CUT = len(_URL)
_ORCID_RE = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "https://dx.doi.org/", "doi:")


def short_id(value: object) -> object:
    """Strip the OpenAlex URL prefix; leave anything that is not a string alone."""
    if isinstance(value, str):
        if value.startswith(_URL):  # the usual form first, without the loop (ids are on the hot path)
            return value[_URL_CUT:]
        for prefix in _PREFIXES:
            if value.startswith(prefix):
                return value[len(prefix) :]
        return value.strip()
    return value


def _openalex_id(letter: str):
    """One validator per id (strip the URL, check the letter): ids are on the hot path.

    The check is ``re.fullmatch(rf"{letter}\\d+", text)`` done with string methods, about twice as
    fast: ``\\d`` in a str pattern is a Unicode decimal digit (category Nd), which is exactly what
    ``str.isdecimal`` accepts (``tests/schemas/test_ids.py`` holds the two to the same verdict)."""
    prefix = "https://openalex.org/"
    cut = len(prefix)

    def check(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError(f"not an OpenAlex {letter}-id: {value!r}")
        text = value[cut:] if value.startswith(prefix) else str(short_id(value))
        if text[:1] == letter and text[1:].isdecimal():  # upper-case already: no decimal has a case
            return text
        text = text.upper()
        if text[:1] != letter or not text[1:].isdecimal():
            raise ValueError(f"not an OpenAlex {letter}-id: {value!r}")
        return text

    return check


def normalize_orcid(value: object) -> object:
    """``https://orcid.org/0000-0002-1825-0097`` -> ``0000-0002-1825-0097``; ``""`` -> None."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        # The pattern is 19 characters wide and ends at ``$``: in a stripped text (no final newline)
        # its only possible match starts 19 characters from the end, so try there alone instead of
        # searching from every position (``re.search`` gives the same match; a negative start is 0).
        match = _ORCID_RE.match(text, len(text) - 19)
        if not match:
            raise ValueError(f"not an ORCID iD: {value!r}")
        return match.group(1)
    return value


def normalize_doi(value: object) -> object:
    """``https://doi.org/10.7717/PeerJ.4375`` -> ``10.7717/peerj.4375`` (DOIs are case-insensitive)."""
    if isinstance(value, str):
        text = value.strip()
        for prefix in _DOI_PREFIXES:
            if text.lower().startswith(prefix):
                text = text[len(prefix) :]
                break
        return text.lower() or None
    return value


WorkId = Annotated[str, BeforeValidator(_openalex_id("W"))]
AuthorId = Annotated[str, BeforeValidator(_openalex_id("A"))]
TopicId = Annotated[str, BeforeValidator(_openalex_id("T"))]
# Venue and institution ids are carried along, never joined on: strip them, skip the check.
SourceId = Annotated[str, BeforeValidator(short_id)]
InstitutionId = Annotated[str, BeforeValidator(short_id)]
# Optional inside the type: an empty value normalises to None instead of failing the record.
Orcid = Annotated[str | None, BeforeValidator(normalize_orcid)]
Doi = Annotated[str | None, BeforeValidator(normalize_doi)]
