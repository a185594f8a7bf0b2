"""A platform events file (JSON Lines) as an input of entity ``events``."""

from __future__ import annotations

from pathlib import Path

from pipeline.errors import SourceSpecError
from pipeline.sources.base import InputFile, content_identity

SOURCE_NAME = "platform"


class PlatformEventsFile:
    """One JSON Lines file of platform events."""

    name = SOURCE_NAME

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"PlatformEventsFile({str(self.path)!r})"

    def files(self) -> list[InputFile]:
        if self.path.is_dir():
            raise SourceSpecError(f"platform events path {self.path} is a folder; pass the JSON Lines file itself")
        if not self.path.is_file():
            raise SourceSpecError(f"platform events file {self.path} does not exist")
        return [InputFile(source=self.name, entity="events", path=self.path, identity=content_identity(self.path))]
