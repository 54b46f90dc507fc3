"""What every artifact shares: its header, numbered sources, and the code that checks grounding."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Iterable

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from coachgen.retrieval import Hit

__all__ = ["ArtifactHeader", "CitedText", "SourcePack", "SourceRef", "unknown_names"]


class ArtifactHeader(BaseModel):
    """Provenance of an artifact."""

    artifact: str = Field(description="Which artifact this is, e.g. 'prep'.")
    model: str = Field(description="The chat model that wrote the prose.")
    prompt_hash: str = Field(description="sha256 (12 hex) of the prompt templates used.")
    chunk_ids: list[str] = Field(description="Ids of the knowledge chunks retrieved for it.")
    generated_at: str = Field(description="UTC time of generation, ISO 8601.")
    input_tokens: int = Field(0, description="Tokens sent to the model.")
    output_tokens: int = Field(0, description="Tokens the model produced.")


class SourceRef(BaseModel):
    """One numbered source an artifact may cite."""

    number: int = Field(description="The number items cite.")
    chunk_id: str = Field(description="Knowledge chunk id ('coachgen kb show ID').")
    file: str = Field(description="Source file, relative to the ingested folder.")
    section: str = Field(description="Heading path of the chunk.")
    reviewed: str | None = Field(None, description="Last review date of the document.")
    stale: bool = Field(False, description="True when the document is past its review period.")


class CitedText(BaseModel):
    """A line of the artifact with the sources it stands on."""

    text: str = Field(description="The line itself.")
    sources: list[int] = Field(default_factory=list, description="Numbers of the sources it cites.")


class SourcePack:
    """Retrieved hits numbered 1..N, deduplicated by chunk id, with their text for the prompt."""

    def __init__(self) -> None:
        self.hits: list["Hit"] = []
        self._numbers: dict[str, int] = {}

    def add(self, hit: "Hit") -> int:
        """The number of ``hit``, adding it if new."""
        if hit.id not in self._numbers:
            self.hits.append(hit)
            self._numbers[hit.id] = len(self.hits)
        return self._numbers[hit.id]

    def numbers(self) -> set[int]:
        """Every valid citation number."""
        return set(range(1, len(self.hits) + 1))

    def for_prompt(self) -> list[dict[str, object]]:
        """What the prompt template shows of each source."""
        return [{"number": n, "file": h.source, "section": h.section, "text": h.text} for n, h in enumerate(self.hits, 1)]

    def refs(self) -> list[SourceRef]:
        """The artifact's source list."""
        return [SourceRef(number=n, chunk_id=h.id, file=h.source, section=h.section, reviewed=h.reviewed, stale=h.stale)
                for n, h in enumerate(self.hits, 1)]

    def text(self) -> str:
        """All source text, for checking which names are grounded."""
        return "\n".join(f"{h.section}\n{h.text}" for h in self.hits)


_NAME = re.compile(r"\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)\b")


def unknown_names(texts: Iterable[str], known: str) -> list[str]:
    """Proper names (two or more capitalised words) in ``texts`` with a word found nowhere in ``known``.

    ``known`` is the deal's records and the cited sources: a person or company the model made up
    has a word that appears in neither.
    """
    vocabulary = set(re.findall(r"[a-z]+", known.lower()))
    found: list[str] = []
    for text in texts:
        for name in _NAME.findall(text):
            if any(word.lower() not in vocabulary for word in name.split()) and name not in found:
                found.append(name)
    return found


def utc_now() -> str:
    """Now, UTC, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
