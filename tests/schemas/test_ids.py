"""The OpenAlex id validators: the string-method check gives the verdict and the value of the
regular expression it replaced (``re.fullmatch(r"W\\d+", text.upper())`` after the URL is stripped)."""

from __future__ import annotations

import re
import sys

import pytest

from pipeline.schemas.ids import _openalex_id, normalize_orcid, short_id


def _reference(letter: str):
    """The check as it was written with a regular expression."""
    pattern = re.compile(rf"{letter}\d+")
    prefix = "https://openalex.org/"

    def check(value: object) -> str:
        if not isinstance(value, str):
            raise ValueError(f"not an OpenAlex {letter}-id: {value!r}")
        text = value[len(prefix) :] if value.startswith(prefix) else str(short_id(value))
        text = text.upper()
        if not pattern.fullmatch(text):
            raise ValueError(f"not an OpenAlex {letter}-id: {value!r}")
        return text

    return check


def _verdict(check, value):
    try:
        return "ok", check(value)
    except ValueError as exc:
        return "rejected", str(exc)


VALUES = [
    "W1",
    "w1",
    "W",
    "",
    "W01",
    "W-1",
    "W1.0",
    "W 1",
    " W1 ",
    "W1\n",
    "\nW1",
    "W1a",
    "WW1",
    "A1",
    "https://openalex.org/W2741809807",
    "https://openalex.org/w2741809807",
    "http://openalex.org/W1",
    "openalex.org/W1",
    "https://openalex.org/",
    "https://openalex.org/ W1",
    "https://doi.org/W1",
    "W\u0661\u0662",  # Arabic-Indic digits: Nd
    "W\u00b2",  # superscript two: a digit, not a decimal
    "W\uff11",  # fullwidth one: Nd
    "\uff371",  # fullwidth W
    "W\u2160",  # Roman numeral one
    "W\U0001d7ce",  # mathematical bold zero: Nd, outside the BMP
    "\u0175",  # w with circumflex
    None,
    1,
    b"W1",
]


@pytest.mark.parametrize("letter", ["W", "A", "T"])
def test_the_id_check_matches_the_regular_expression(letter):
    check, reference = _openalex_id(letter), _reference(letter)
    values = [v.replace("W", letter).replace("w", letter.lower()) if isinstance(v, str) else v for v in VALUES]
    assert [_verdict(check, v) for v in values] == [_verdict(reference, v) for v in values]
    assert {_verdict(check, v)[0] for v in values} == {"ok", "rejected"}


def test_a_decimal_is_what_the_regular_expression_calls_a_digit_for_every_character():
    """The one fact the string-method check rests on, over all of Unicode (both sides upper-case
    the text the same way first)."""
    digit = re.compile(r"\d")
    differ = [
        code
        for code in range(sys.maxunicode + 1)
        if (digit.fullmatch(chr(code).upper()) is None) == chr(code).upper().isdecimal()
    ]
    assert differ == []
    assert "\u0661".isdecimal() and not "\u00b2".isdecimal()  # counted: a Nd digit, and a digit that is not Nd


def test_no_decimal_has_a_case():
    """What lets the id check skip ``upper()`` when the text already reads letter + decimals."""
    assert [c for c in range(sys.maxunicode + 1) if chr(c).isdecimal() and chr(c).upper() != chr(c)] == []


def _reference_short_id(value: object) -> object:
    """``short_id`` as it was written (a loop over the prefixes)."""
    if isinstance(value, str):
        for prefix in ("https://openalex.org/", "http://openalex.org/", "openalex.org/"):
            if value.startswith(prefix):
                return value[len(prefix) :]
        return value.strip()
    return value


def _reference_orcid(value: object) -> object:
    """``normalize_orcid`` as it was written (``re.search`` of the stripped text)."""
    if isinstance(value, str):
        if not value.strip():
            return None
        match = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])$").search(value.strip())
        if not match:
            raise ValueError(f"not an ORCID iD: {value!r}")
        return match.group(1)
    return value


ORCIDS = [
    "0000-0002-1825-0097",
    "0000-0002-1825-009X",
    "0000-0002-1825-009x",
    "https://orcid.org/0000-0002-1825-0097",
    "http://orcid.org/0000-0002-1825-0097",
    "orcid.org/0000-0002-1825-0097/",
    " https://orcid.org/0000-0002-1825-0097\n",
    "0000-0002-1825-0097\n\n",
    "0000-0002-1825-0097 x",
    "0000-0002-1825-0097\u2028",  # a line separator: whitespace to strip()
    "0000-0002-1825-0097\x85",
    "x0000-0002-1825-0097",
    "00000-0002-1825-0097",
    "000-0002-1825-0097",
    "0000-0002-1825-00971",
    "0000-0002-1825-0097-0000-0002-1825-0098",
    "0000-0002-1825-0097\n0000-0002-1825-0098",
    "0000-0002-1825-0097\nx",
    "0000 0002 1825 0097",
    "0000-0002-1825-\u0660\u0661\u0662\u0663",  # Arabic-Indic digits: \d
    "\uff10\uff10\uff10\uff10-0002-1825-0097",  # fullwidth
    "0000-0002-1825-009\u00b2",  # superscript two: not \d
    "\U0001d7ce000-0002-1825-0097",  # outside the BMP
    "-0002-1825-0097",
    "1825-0097",
    "",
    " ",
    "\n",
    "X",
    None,
    1,
    b"0000-0002-1825-0097",
]


def test_short_id_and_the_orcid_check_are_the_versions_they_replaced():
    for value in [*VALUES, *ORCIDS]:
        assert repr(short_id(value)) == repr(_reference_short_id(value)), value
    for value in [*ORCIDS, *VALUES]:
        assert _verdict(normalize_orcid, value) == _verdict(_reference_orcid, value), value
    assert {_verdict(normalize_orcid, v)[0] for v in ORCIDS} == {"ok", "rejected"}
