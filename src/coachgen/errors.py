"""The one exception tree of coachgen.

Every error says what went wrong and how to fix it; only the CLI turns them
into a one-line message and exit code 1.

    CoachgenError
     ├── ConfigError            a setting is missing or invalid
     ├── InputError             a file or argument the user gave is unusable
     │    ├── MappingError      CRM columns could not be mapped to fields
     │    └── SkippedFile       a file left out on purpose (a draft, no text, not coachgen's): a note, not a failure
     ├── NotFoundError          a chunk, source, deal or rep does not exist
     ├── IndexError_            the index cannot serve this request
     │    ├── EmbedderMismatchError  index built by another embedder
     │    ├── SchemaVersionError     index written by another coachgen version
     │    └── IndexBusyError         another process holds the write lock
     ├── EmbeddingError         the embedder could not run (missing model, bad checksum, endpoint failure)
     ├── GenerationError        the chat model's answer did not validate after a retry (keeps the raw text)
     └── ModelError             the chat model could not be reached or refused the request
"""

from __future__ import annotations

__all__ = [
    "CoachgenError",
    "ConfigError",
    "EmbedderMismatchError",
    "EmbeddingError",
    "GenerationError",
    "IndexBusyError",
    "IndexError_",
    "InputError",
    "MappingError",
    "ModelError",
    "NotFoundError",
    "SchemaVersionError",
    "SkippedFile",
]


class CoachgenError(Exception):
    """Base of every error coachgen raises on purpose; its message is always one line."""

    def __init__(self, message: str = "") -> None:
        super().__init__(" ".join(str(message).split()))  # user text quoted in a message may hold newlines


class ConfigError(CoachgenError):
    """A setting is missing or has an invalid value."""


class InputError(CoachgenError):
    """A file or argument given by the user cannot be used."""


class MappingError(InputError):
    """CRM export columns could not be mapped onto coachgen's fields."""


class SkippedFile(InputError):
    """A file left out on purpose (a draft, front matter only, YAML that is not coachgen's); reported as a note."""


class NotFoundError(CoachgenError):
    """The requested chunk, source, deal or rep does not exist."""


class IndexError_(CoachgenError):
    """The knowledge index cannot serve the request as it is."""


class EmbedderMismatchError(IndexError_):
    """The index was built with another embedder than the one configured."""


class SchemaVersionError(IndexError_):
    """The index was written by a coachgen with another storage schema."""


class IndexBusyError(IndexError_):
    """Another process holds the index's write lock."""


class EmbeddingError(CoachgenError):
    """The embedder could not produce vectors."""


class GenerationError(CoachgenError):
    """The chat model's answer did not fit the schema after one re-ask; ``raw`` keeps its text."""

    def __init__(self, message: str, raw: str = "", input_tokens: int = 0, output_tokens: int = 0) -> None:
        super().__init__(message)
        self.raw = raw
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens


class ModelError(CoachgenError):
    """The chat model failed: endpoint unreachable, timed out, or refused the request."""
