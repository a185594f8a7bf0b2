"""Fetch progress, for every live source: the CLI draws a progress bar per author (or
listing) from it, and prints the run's fetch summary."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Protocol


class FetchObserver(Protocol):
    """Told about fetch progress; ``stats`` has ``requests``, ``retries``, ``rate_limit_waits``,
    ``waited_seconds``, ``credits_used`` and ``credits_remaining`` (see ``ClientStats``)."""

    def author_started(self, author_id: str, expected_pages: int | None) -> None: ...

    def page_fetched(self, author_id: str, records: int, stats: Any) -> None: ...

    def author_finished(self, author_id: str, stats: Any) -> None: ...

    def source_finished(self, stats: Any, records: int) -> None: ...


_observer: ContextVar[FetchObserver | None] = ContextVar("fetch_observer", default=None)


def current_observer() -> FetchObserver | None:
    return _observer.get()


@contextlib.contextmanager
def observe_fetch(observer: FetchObserver) -> Iterator[FetchObserver]:
    """Report the progress of every API fetch in this block to ``observer``."""
    token = _observer.set(observer)
    try:
        yield observer
    finally:
        _observer.reset(token)
