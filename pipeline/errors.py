"""The project's own exceptions. Messages say what went wrong and how to fix it."""


class PipelineError(Exception):
    """A failure the operator can act on; the CLI prints it as one line."""


class SourceSpecError(PipelineError):
    """A ``--source`` value that cannot be understood."""


class SnapshotError(PipelineError):
    """An OpenAlex snapshot that is missing files or is laid out wrongly."""


class QualityGateError(PipelineError):
    """A Great Expectations suite failed; nothing was published."""


class NotFoundError(PipelineError):
    """A profile lookup matched nothing (or too many)."""


class TransientError(PipelineError):
    """A fault that may pass by itself (rate limit, server error, network): retry later."""


class BuildOutOfMemoryError(PipelineError):
    """The warehouse build or its gate needed more memory than DuckDB's limit allows (and could not spill)."""
