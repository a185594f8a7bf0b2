"""OpenAlex identifier normalisation.

OpenAlex serves ids as URLs (``https://openalex.org/W2741809807``); the warehouse
contract uses the short form (``W2741809807``). Normalising here, at the edge,
means every landed file and every table speaks one dialect.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator

_PREFIXES = ("https://openalex.org/", "http://openalex.org/", "openalex.org/")
_ORCID_RE = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$")
_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "http://dx.doi.org/", "https://dx.doi.org/", "doi:")


def short_id(value: object) -> object:
    """Strip the OpenAlex URL prefix; leave anything that is not a string alone."""
    if isinstance(value, str):
        for prefix in _PREFIXES:
            if value.startswith(prefix):
                return value[len(prefix) :]
        return value.strip()
    return value


def _checker(letter: str):
    pattern = re.compile(rf"^{letter}\d+$")

    def check(value: str) -> str:
        value = value.upper()
        if not pattern.match(value):
            raise ValueError(f"not an OpenAlex {letter}-id: {value!r}")
        return value

    return check


def normalize_orcid(value: object) -> object:
    """``https://orcid.org/0000-0002-1825-0097`` -> ``0000-0002-1825-0097``."""
    if isinstance(value, str):
        match = _ORCID_RE.search(value.strip())
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


WorkId = Annotated[str, BeforeValidator(short_id), AfterValidator(_checker("W"))]
AuthorId = Annotated[str, BeforeValidator(short_id), AfterValidator(_checker("A"))]
TopicId = Annotated[str, BeforeValidator(short_id), AfterValidator(_checker("T"))]
SourceId = Annotated[str, BeforeValidator(short_id), AfterValidator(_checker("S"))]
InstitutionId = Annotated[str, BeforeValidator(short_id), AfterValidator(_checker("I"))]
Orcid = Annotated[str, BeforeValidator(normalize_orcid)]
Doi = Annotated[str, BeforeValidator(normalize_doi)]
