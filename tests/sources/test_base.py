"""Reading input files: every line with its number, through a large read buffer, and a damaged
gzip file stops after the same record as it does through gzip's own buffer."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from isal import igzip

import pipeline.sources.base as base
from pipeline.sources.base import READ_ERRORS, InputFile


def _reference(path: Path, has_header: bool = False) -> tuple[list[tuple[int, bytes]], str | None]:
    """The lines as read before the large buffer (straight through gzip's own buffer), and the
    read error after them, if any."""
    out: list[tuple[int, bytes]] = []
    try:
        with igzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if number == 1 and has_header:
                    continue
                out.append((number, line.rstrip(b"\r\n")))
    except READ_ERRORS as exc:
        return out, type(exc).__name__
    return out, None


def _read(path: Path, has_header: bool = False) -> tuple[list[tuple[int, bytes]], str | None]:
    out: list[tuple[int, bytes]] = []
    try:
        for record in InputFile("s", "works", path, "id", has_header=has_header).records():
            out.append(record)
    except READ_ERRORS as exc:
        return out, type(exc).__name__
    return out, None


def _lines(n: int) -> list[bytes]:
    # ~10 KB lines like works, some blank, some with \r\n, one with a lone \r inside
    return [
        b"" if i % 97 == 5 else json.dumps({"id": f"W{i}", "pad": "x" * (i * 37 % 12_000)}).encode() + b"\r" * (i % 2)
        for i in range(n)
    ] + [b'{"a": "one\rtwo"}']


@pytest.mark.parametrize("suffix", [".gz", ".jsonl"])
def test_every_line_is_read_with_its_number(tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(base, "READ_BUFFER", 1 << 16)  # many refills in a small file
    data = b"\n".join(_lines(400)) + b"\n"
    path = tmp_path / f"part{suffix}"
    path.write_bytes(gzip.compress(data, compresslevel=1) if suffix == ".gz" else data)
    got, error = _read(path)
    assert (got, error) == _reference(path) and error is None
    assert [n for n, _ in got] == list(range(1, 402)) and got[5] == (6, b"")
    assert _read(path, has_header=True) == _reference(path, has_header=True)
    assert _read(path, has_header=True)[0][0][0] == 2


@pytest.mark.parametrize("damage", ["flipped", "truncated", "garbage-member"])
def test_a_damaged_gzip_file_stops_after_the_same_record_as_through_gzips_own_buffer(tmp_path, monkeypatch, damage):
    monkeypatch.setattr(base, "READ_BUFFER", 1 << 18)  # reads far ahead of the damage
    data = gzip.compress(b"\n".join(_lines(3_000)) + b"\n", compresslevel=1)
    cut = len(data) * 2 // 3
    if damage == "flipped":
        data = data[:cut] + bytes(b ^ 0xFF for b in data[cut : cut + 200]) + data[cut + 200 :]
    elif damage == "truncated":
        data = data[:cut]
    else:
        data = data + b"\x1f\x8b\x08\x00garbage"
    path = tmp_path / "part_000.gz"
    path.write_bytes(data)
    reference = _reference(path)
    assert reference[1] is not None and len(reference[0]) > 100  # the damage is past the first lines
    assert _read(path) == reference
