"""What every artifact shares: its header, numbered sources, and the code that checks grounding."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from coachgen.retrieval import Hit

__all__ = ["ArtifactHeader", "CitedText", "Prepared", "SourcePack", "SourceRef", "as_langchain", "grounding_problems", "money", "not_prose", "record_facts", "stale_notes", "unknown_names", "utc_now", "write_prose"]


class ArtifactHeader(BaseModel):
    """Provenance of an artifact."""

    artifact: str = Field(description="Which artifact this is, e.g. 'prep'.")
    model: str = Field(description="The chat model that wrote the prose.")
    prompt_hash: str = Field(description="sha256 (12 hex) of the prompt templates used.")
    chunk_ids: list[str] = Field(description="Ids of the knowledge chunks retrieved for it.")
    generated_at: str = Field(description="UTC time of generation, ISO 8601.")
    input_tokens: int = Field(0, description="Tokens sent to the model.")
    output_tokens: int = Field(0, description="Tokens the model produced.")
    model_wrote: list[str] = Field(default_factory=list, description="Paths of the fields the chat model wrote, after its checks passed "
                                   "(e.g. 'objective', 'cards[0].buyer_line'); everything else comes from records, sources and rules.")


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
        """What the prompt template shows of each source; file and section go in quoted attributes, so they hold no double quote."""
        return [{"number": n, "file": h.source.replace('"', "'"), "section": h.section.replace('"', "'"), "text": h.text}
                for n, h in enumerate(self.hits, 1)]

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


def record_facts(record: dict[str, Any]) -> str:
    """A CRM record's values except its free-text notes: the facts that are not untrusted prose."""
    return " ".join(str(value) for key, value in record.items() if key != "notes" and value is not None)


def grounding_problems(texts: list[str], cited: list[int], valid: set[int], known_text: str,
                       repeated: tuple[str, list[str]] | None = None, trusted: str = "") -> list[str]:
    """What makes model prose unusable: citations outside the sources, invented names, repeated items,
    and code-like tokens the trusted facts (``trusted``: records, never notes or sources) do not hold."""
    from coachgen.untrusted import opaque_tokens

    problems = []
    opaque = opaque_tokens(texts, trusted)
    if opaque:
        problems.append(f"code-like tokens not in the records: {', '.join(opaque[:5])}")
    bad = sorted({number for number in cited if number not in valid})
    if bad:
        problems.append(f"citations {bad} are not among the sources 1-{max(valid, default=0)}")
    if repeated is not None and len(set(repeated[1])) < len(repeated[1]):
        problems.append(f"{repeated[0]} repeats an item")
    invented = unknown_names(texts, known_text)
    if invented:
        problems.append(f"names not in the deal records or sources: {', '.join(invented)}")
    return problems


def not_prose(text: str) -> bool:
    """True when model text is not a sentence of words (fewer than 3 words, or mostly symbols and digits)."""
    visible = "".join(text.split())
    return len(re.findall(r"[A-Za-z]{2,}", text)) < 3 or sum(c.isalpha() for c in visible) < 0.6 * len(visible)


def money(value: float | None, currency: str | None = None, places: int = 0) -> str:
    """An amount in its currency (ISO code): ``$12,500``, ``€12,500``, ``12,500 CHF``; bare without one; 'unknown' when None.

    Symbols come from labelled data (``knowledge/defaults/currencies.yaml``); a code without one prints after the number.
    ``places`` keeps cents (a unit price), where deal amounts are rounded to whole units.
    """
    if value is None:
        return "unknown"
    from coachgen.knowledge.defaults import load

    number = f"{abs(value):,.{places}f}"
    sign = "-" if round(value, places) < 0 else ""
    if not currency:
        return sign + number
    symbol = load("currencies")["print"].get(currency.upper())
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency.upper()}"


def utc_now() -> str:
    """Now, UTC, ISO 8601 to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def write_prose(model: Any, messages: list[Any], schema: type[Any], check: Any, fallback: Any, fallback_note: str) -> tuple[Any, tuple[int, int], list[str]]:
    """The model's validated draft, or ``fallback`` with a note saying why; plus tokens in and out."""
    from coachgen.errors import GenerationError
    from coachgen.llm.models import is_no_model
    from coachgen.llm.structured import generate_structured

    if is_no_model(model):
        return fallback, (0, 0), [f"Written without a chat model ({model.reason}); {fallback_note}".rstrip("; ")]
    try:
        generation = generate_structured(model, messages, schema, check=check, sources=getattr(check, "sources", None), prose=True)
        return generation.value, (generation.input_tokens, generation.output_tokens), []
    except GenerationError as exc:
        return fallback, (exc.input_tokens, exc.output_tokens), [f"The model's draft was not usable ({exc}); {fallback_note}"]


@dataclass(kw_only=True)
class Prepared:
    """What every artifact gathers before calling the model; ``messages`` is what a dry run prints."""

    pack: SourcePack
    known_text: str
    messages: list[dict[str, str]]
    prompt_hash: str
    trusted: str = ""
    missing: list[str] = field(default_factory=list)
    check: Any = None  # the draft check for this call (coachgen.artifacts.drafts.draft_checker)

    def messages_as_langchain(self) -> list[Any]:
        """The messages as LangChain message objects."""
        return as_langchain(self.messages)


def as_langchain(messages: list[dict[str, str]]) -> list[Any]:
    """``{"role", "content"}`` messages as LangChain message objects."""
    from langchain_core.messages import HumanMessage, SystemMessage

    kinds = {"system": SystemMessage, "user": HumanMessage}
    return [kinds[message["role"]](content=message["content"]) for message in messages]


def stale_notes(pack: SourcePack) -> list[str]:
    """A note for every cited source past its review date."""
    return [f"Source {ref.number} ({ref.file}, {ref.section}) is past its review date ({ref.reviewed})." for ref in pack.refs() if ref.stale]
