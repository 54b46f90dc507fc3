"""Typed knowledge records mined from the team's documents, each with where it was found.

Chunks are for search; records are for logic. A record says what a piece of the handbook *is*
(an objection and its response, a discovery question, a stage with its exit criteria...) and
carries its :class:`Provenance`, so every artifact line built from it can be cited.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

__all__ = [
    "RECORD_TYPES",
    "ContentItem",
    "Competitor",
    "DiscoveryQuestion",
    "GapQuestion",
    "KnowledgeRecord",
    "Objection",
    "ProofPoint",
    "Provenance",
    "Stage",
    "TrainingModule",
    "ValueDriver",
    "record_class",
]

FoundBy = Literal["yaml", "front-matter", "table", "bold-lines", "faq", "question-list", "section", "classifier", "default"]


class Provenance(BaseModel):
    """Where a record stands in the team's material."""

    file: str = Field(description="Source file, relative to the ingested folder.")
    doc_key: str = Field(description="The document the record belongs to.")
    heading: str = Field("", description="Heading path above the record ('A > B').")
    line_start: int = Field(0, description="First line of the record in the file (1-based; 0 when unknown).")
    line_end: int = Field(0, description="Last line of the record in the file.")
    chunk_id: str | None = Field(None, description="The indexed chunk holding the record, for citation.")
    found_by: FoundBy = Field(description="Which structure or rule produced it.")
    confidence: float = Field(1.0, description="1.0 when the structure says so; the classifier's score otherwise.")


class KnowledgeRecord(BaseModel):
    """Fields every record has."""

    type: str
    text: str = Field(description="The record's main text: the objection, question, stage name...")
    provenance: Provenance
    tags: list[str] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)

    def key(self) -> str:
        """Identity within a document: type and normalised text."""
        return f"{self.type}:{' '.join(self.text.lower().split())}"


class Objection(KnowledgeRecord):
    """A buyer objection and the team's response."""

    type: Literal["objection"] = "objection"
    response: str = ""
    persona: str | None = None
    competitor: str | None = None


class DiscoveryQuestion(KnowledgeRecord):
    """A question to ask, by topic, persona, stage or methodology element."""

    type: Literal["discovery_question"] = "discovery_question"
    topic: str = ""
    persona: str | None = None
    element: str | None = Field(None, description="The methodology element it qualifies, when the heading names one.")


class GapQuestion(KnowledgeRecord):
    """The question that closes the gap on one qualification element."""

    type: Literal["gap_question"] = "gap_question"
    element: str


class Competitor(KnowledgeRecord):
    """A competitor with the claims they make and how the team counters."""

    type: Literal["competitor"] = "competitor"
    claims: list[str] = Field(default_factory=list)
    counters: list[str] = Field(default_factory=list)


class Stage(KnowledgeRecord):
    """A stage of the team's sales process."""

    type: Literal["stage"] = "stage"
    order: int | None = None
    definition: str = ""
    exit_criteria: list[str] = Field(default_factory=list)
    stuck_days: int | None = None
    call_type: str | None = None


class ValueDriver(KnowledgeRecord):
    """A reason buyers buy, with the value it brings."""

    type: Literal["value_driver"] = "value_driver"
    detail: str = ""


class ProofPoint(KnowledgeRecord):
    """A customer result: problem, solution, result."""

    type: Literal["proof_point"] = "proof_point"
    problem: str = ""
    solution: str = ""
    result: str = ""


class TrainingModule(KnowledgeRecord):
    """A training module and the skill it teaches."""

    type: Literal["training_module"] = "training_module"
    skill: str = ""
    summary: str = ""


class ContentItem(KnowledgeRecord):
    """Something worth sending to a buyer, and when."""

    type: Literal["content_item"] = "content_item"
    when: str = ""


_CLASSES: dict[str, type[KnowledgeRecord]] = {
    cls.model_fields["type"].default: cls
    for cls in (Objection, DiscoveryQuestion, GapQuestion, Competitor, Stage, ValueDriver, ProofPoint, TrainingModule, ContentItem)
}
#: Every record type, in the order reports list them.
RECORD_TYPES: tuple[str, ...] = tuple(_CLASSES)


def record_class(record_type: str) -> type[KnowledgeRecord]:
    """The model class of ``record_type``."""
    return _CLASSES[record_type]


def load_record(data: dict[str, Any]) -> KnowledgeRecord:
    """A record from its stored JSON form."""
    return record_class(data["type"]).model_validate(data)
