"""Sources: each turns a ``--source SPEC`` into input files for landing.

SPEC forms:

- ``sample``: the bundled sample (an OpenAlex snapshot, a platform events file, and API
  responses replayed from ``sample_data/replay/``);
- ``openalex-snapshot:PATH``: an OpenAlex snapshot rooted at PATH;
- ``platform-events:PATH``: a JSON Lines file of platform events;
- ``openalex-api:authors=A1,A2`` / ``openalex-api:orcid=…``: fetched from the OpenAlex API
  (needs the settings: responses land raw under the data dir);
- ``arxiv-api:author=NAME`` / ``arxiv-api:author=NAME;cat=CATEGORY``: an author's arXiv listing
  (``search_query=au:"NAME"``, optionally ``AND cat:CATEGORY``), fetched from the arXiv API;
- ``replay:DIR``: every input rebuilt from the raw responses landed under DIR (a data dir or its raw dir).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pipeline.config import Settings
from pipeline.errors import SourceSpecError
from pipeline.sources.base import InputFile
from pipeline.sources.openalex.snapshot import OpenAlexSnapshot
from pipeline.sources.platform.events_file import PlatformEventsFile
from pipeline.sources.raw import ReplaySource

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


class Source(Protocol):
    name: str

    def files(self) -> list[InputFile]: ...


def sample_sources() -> list[Source]:
    """The bundled sample: seed researchers, their works and platform state."""
    return [
        OpenAlexSnapshot(SAMPLE_DIR / "openalex"),
        PlatformEventsFile(SAMPLE_DIR / "platform" / "events.jsonl"),
        # API responses as landed by the live sources (seed 002 from OpenAlex, tools/build_api_replay.py;
        # seed 003 from arXiv, tools/build_arxiv_replay.py)
        ReplaySource(SAMPLE_DIR / "replay"),
    ]


def parse_source_spec(spec: str, settings: Settings | None = None) -> list[Source]:
    """Turn one ``--source`` value into sources, or raise with the accepted forms.
    ``settings`` locate the data dir of sources that fetch (default: from the environment)."""
    kind, _, arg = spec.partition(":")
    if kind == "openalex-api" and arg:
        from pipeline.sources.openalex.api import parse_api_spec

        return [parse_api_spec(arg, settings)]
    if kind == "arxiv-api" and arg:
        from pipeline.sources.arxiv.client import parse_arxiv_spec

        return [parse_arxiv_spec(arg, settings)]
    if kind == "replay" and arg:
        return [ReplaySource(Path(arg))]
    if kind == "sample" and not arg:
        return sample_sources()
    if kind == "openalex-snapshot" and arg:
        return [OpenAlexSnapshot(Path(arg).expanduser())]
    if kind == "platform-events" and arg:
        return [PlatformEventsFile(Path(arg).expanduser())]
    needs = {  # what a known kind needs after the colon, and an example
        "openalex-snapshot": ("a PATH", "openalex-snapshot:/data/openalex-snapshot"),
        "platform-events": ("a PATH", "platform-events:events.jsonl"),
        "replay": ("a DIR", "replay:data"),
        "openalex-api": ("authors=A1,A2 or orcid=ORCID", "openalex-api:authors=A5023888391"),
        "arxiv-api": ("author=NAME", "arxiv-api:author=Qianyi Li"),
    }
    if kind in needs and not arg.strip():
        what, example = needs[kind]
        raise SourceSpecError(f"source {spec!r} needs {what} after the colon, e.g. {example!r}")
    raise SourceSpecError(
        f"unknown source {spec!r}; use 'sample', 'openalex-snapshot:PATH', 'platform-events:PATH', "
        "'openalex-api:authors=A1,A2', 'openalex-api:orcid=…', 'arxiv-api:author=NAME[;cat=CATEGORY]' or 'replay:DIR'"
    )
