"""What a knowledge base holds and lacks: counts per record type, and how to add what is missing.

Artifacts call :func:`missing_note` when a section needs a record type the team's material does not
have, so the artifact still comes out and says what to add instead of printing an empty heading.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coachgen.knowledge.defaults import load
from coachgen.knowledge.records import RECORD_TYPES

if TYPE_CHECKING:
    from coachgen.knowledge.store import KnowledgeStore

__all__ = ["missing_note", "profile"]

_LABELS = {
    "objection": "objections", "discovery_question": "discovery questions", "gap_question": "gap questions",
    "competitor": "competitors", "stage": "sales stages", "value_driver": "value drivers", "proof_point": "customer proof",
    "training_module": "training modules", "content_item": "content worth sending",
}


def missing_note(record_type: str, what_for: str) -> str:
    """'No <type> in the knowledge base, so <what_for>; to add: <how>.'"""
    how = load("record_types")[record_type]["how_to_add"]
    return f"The knowledge base has no {_LABELS[record_type]}, so {what_for}. To add them, {how}, then run 'coachgen kb ingest'."


def profile(store: "KnowledgeStore") -> dict[str, Any]:
    """Counts per record type and, for each type with none, how to add it."""
    counts = store.counts()
    types = load("record_types")
    return {
        "records": {t: counts.get(t, 0) for t in RECORD_TYPES},
        "missing": {t: types[t]["how_to_add"] for t in RECORD_TYPES if not counts.get(t)},
    }
