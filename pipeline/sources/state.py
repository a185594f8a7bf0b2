"""Fetch state of the live sources: cursor checkpoints and high-water marks.

One small JSON file per (source, author) under ``DataLayout.state_dir``, written
atomically, so concurrent fetches of different authors never lose each other's
updates::

    DIR/state/source=openalex-api/author=A5020000002.json

    {"author_id": "A5020000002", "aliases": ["A50…"],      # ids merged into it
     "high_water": "2024-06-01T10:00:00",                  # max updated_date landed
     "last_fetched": "2026-12-01T09:00:00+00:00",          # last complete fetch
     "checkpoints": {"works": {"cursor": "…", "since": "2024-05-01", "pages": 3,
                               "records": 300, "max_updated": "…", "started_at": "…"}}}

A checkpoint exists only while a listing is unfinished: it names the cursor of
the next page to fetch, so a killed fetch resumes exactly after the last page
it landed. Finishing a listing moves its ``max_updated`` into ``high_water``
and drops the checkpoint.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipeline.config import Settings
from pipeline.storage.atomic import write_text_atomically
from pipeline.storage.layout import DataLayout
from pipeline.storage.store import Store

DEFAULT_SOURCE = "openalex-api"


@dataclass
class AuthorState:
    """What one source knows about fetching one author."""

    author_id: str
    aliases: list[str] = field(default_factory=list)
    high_water: str | None = None
    last_fetched: str | None = None
    checkpoints: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> AuthorState:
        return cls(
            author_id=document["author_id"],
            aliases=list(document.get("aliases") or []),
            high_water=document.get("high_water"),
            last_fetched=document.get("last_fetched"),
            checkpoints=dict(document.get("checkpoints") or {}),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "author_id": self.author_id,
            "aliases": self.aliases,
            "high_water": self.high_water,
            "last_fetched": self.last_fetched,
            "checkpoints": self.checkpoints,
        }


class SourceState:
    """The state files of one source."""

    def __init__(self, state_dir: Path, source: str = DEFAULT_SOURCE) -> None:
        self.folder = Path(state_dir) / f"source={source}"
        self.source = source

    @classmethod
    def of(cls, settings: Settings, source: str = DEFAULT_SOURCE) -> SourceState:
        return cls(DataLayout.of(settings).state_dir, source)

    def _path(self, author_id: str) -> Path:
        return self.folder / f"author={author_id}.json"

    def load(self, author_id: str) -> AuthorState:
        """The author's state (an empty one if it was never fetched); an alias finds its survivor."""
        path = self._path(author_id)
        if path.exists():
            return AuthorState.from_json(json.loads(path.read_text(encoding="utf-8")))
        for state in self.all():
            if author_id in state.aliases:
                return state
        return AuthorState(author_id)

    def save(self, state: AuthorState) -> None:
        write_text_atomically(self._path(state.author_id), json.dumps(state.to_json(), indent=1, sort_keys=True))

    def all(self) -> list[AuthorState]:
        if not self.folder.is_dir():
            return []
        return [
            AuthorState.from_json(json.loads(Path(p).read_text(encoding="utf-8")))
            for p in Store(self.folder.resolve()).files("author=*.json")
        ]

    def reset(self, author_id: str) -> bool:
        """Forget an author's checkpoints and high-water mark (the next fetch is full)."""
        state = self.load(author_id)
        path = self._path(state.author_id)
        if not path.exists():
            return False
        path.unlink()
        return True

    # -- listing progress -------------------------------------------------------
    def checkpoint(self, state: AuthorState, listing: str, **values: Any) -> None:
        state.checkpoints[listing] = {**state.checkpoints.get(listing, {}), **values}
        self.save(state)

    def finish(self, state: AuthorState, listing: str, fetched_at: datetime | None = None) -> None:
        """A listing fetched to its end: its newest updated_date becomes the high-water mark."""
        done = state.checkpoints.pop(listing, {})
        newest = max(filter(None, [state.high_water, done.get("max_updated")]), default=None)
        state.high_water = newest
        state.last_fetched = (fetched_at or datetime.now(UTC)).isoformat()
        self.save(state)


def last_fetched(settings: Settings, source: str = DEFAULT_SOURCE) -> dict[str, datetime]:
    """author id -> when its last complete fetch finished (aliases included), for
    scheduling refreshes of stale profiles."""
    fetched: dict[str, datetime] = {}
    for state in SourceState.of(settings, source).all():
        if state.last_fetched:
            when = datetime.fromisoformat(state.last_fetched)
            for author_id in [state.author_id, *state.aliases]:
                fetched[author_id] = when
    return fetched
