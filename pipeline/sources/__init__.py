"""Sources: each turns a ``--source SPEC`` into input files for landing.

SPEC forms:

- ``sample``: the bundled sample (an OpenAlex snapshot + a platform events file);
- ``openalex-snapshot:PATH``: an OpenAlex snapshot rooted at PATH;
- ``platform-events:PATH``: a JSON Lines file of platform events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pipeline.errors import SourceSpecError
from pipeline.sources.base import InputFile
from pipeline.sources.openalex.snapshot import OpenAlexSnapshot
from pipeline.sources.platform.events_file import PlatformEventsFile

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


class Source(Protocol):
    name: str

    def files(self) -> list[InputFile]: ...


def sample_sources() -> list[Source]:
    """The bundled sample: seed researchers, their works and platform state."""
    return [
        OpenAlexSnapshot(SAMPLE_DIR / "openalex"),
        PlatformEventsFile(SAMPLE_DIR / "platform" / "events.jsonl"),
    ]


def parse_source_spec(spec: str) -> list[Source]:
    """Turn one ``--source`` value into sources, or raise with the accepted forms."""
    kind, _, arg = spec.partition(":")
    if kind == "sample" and not arg:
        return sample_sources()
    if kind == "openalex-snapshot" and arg:
        return [OpenAlexSnapshot(Path(arg).expanduser())]
    if kind == "platform-events" and arg:
        return [PlatformEventsFile(Path(arg).expanduser())]
    raise SourceSpecError(f"unknown source {spec!r}; use 'sample', 'openalex-snapshot:PATH' or 'platform-events:PATH'")
