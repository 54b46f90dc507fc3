"""Grounded building blocks shared by artifacts: deal facts, note sentences, and lines of the team's documents."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coachgen.artifacts.common import CitedText, SourcePack
from coachgen.artifacts.meddpicc import split_sentences
from coachgen.retrieval import Filters, Hit, search_many

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = [
    "OBJECTION_MATCH", "Contact", "DealFacts", "ObjectionPlan", "bullets", "deal_facts", "first_sentence",
    "gap_question", "matched_objections", "plain", "section_hit", "sentences",
]

OBJECTION_MATCH = 0.5  # hybrid score above which a note sentence is taken to raise a library objection


class Contact(BaseModel):
    name: str = Field(description="Person's name as the CRM records it.")
    role: str = Field(description="Title or role.")


class DealFacts(BaseModel):
    id: str
    name: str | None
    account: str | None
    rep: str | None
    stage: str | None
    status: str
    amount: float | None
    currency: str | None = None
    close_date: str | None
    next_step: str | None
    last_activity: str | None
    contacts: list[Contact]


class ObjectionPlan(BaseModel):
    raised: str = Field(description="The note sentence where the buyer raised it.")
    objection: str = Field(description="The matching entry of the objection library.")
    response: CitedText = Field(description="The library's response.")


def _contacts(text: str | None) -> list[Contact]:
    people = []
    for part in re.split(r"[;\n]", text or ""):
        match = re.match(r"\s*(.+?)\s*\((.+?)\)\s*$", part)
        if match:
            people.append(Contact(name=match.group(1), role=match.group(2)))
        elif part.strip():
            people.append(Contact(name=part.strip(), role="unknown"))
    return people


def plain(text: str) -> str:
    return text.replace("**", "").replace("__", "")


def bullets(text: str, question_only: bool = False) -> list[str]:
    lines = [plain(re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", line)).strip() for line in text.splitlines() if re.match(r"^\s*(?:[-*]|\d+\.)\s+", line)]
    lines = [line.strip('"“”') for line in lines]
    return [line for line in lines if not question_only or "?" in line]


def sentences(notes: str) -> list[str]:
    """Note sentences long enough to carry an objection."""
    return [s for s in split_sentences(notes) if len(s) > 12]


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", plain(" ".join(text.split())))[0]


def section_hit(kb: "KnowledgeBase", query: str, kind: str, section_end: str) -> Hit | None:
    hits = kb.search_memo(query, k=3, per_doc=30, filters=Filters(kind=(kind,)))
    wanted = section_end.lower()
    for hit in hits:
        if hit.section.lower().rsplit(" > ", 1)[-1].startswith(wanted):
            return hit
    return None


def gap_question(kb: "KnowledgeBase", element: str, pack: SourcePack) -> CitedText | None:
    hit = section_hit(kb, f"MEDDPICC {element} gap question", "methodology", element)
    if hit is None:
        return None
    match = re.search(r"\*\*Gap question:\*\*\s*(.+)", hit.text)
    text = match.group(1).strip().strip('"“”') if match else first_sentence(hit.text)
    return CitedText(text=text, sources=[pack.add(hit)])


def _objection_vectors(kb: "KnowledgeBase") -> Any:
    """Vectors of every objection-library chunk, remembered like other fixed lookups."""
    import numpy as np

    key = ("objection-vectors",)
    if key not in kb._memo:
        ids = [row["id"] for row in kb.db.execute("SELECT c.id FROM chunks c JOIN documents d ON d.key = c.doc_key WHERE d.kind = 'objection'")]
        stored = kb.vectors.vectors(ids) if ids else {}
        kb._memo[key] = np.asarray(list(stored.values()), dtype=np.float32).reshape(len(stored), -1)
    return kb._memo[key]


def matched_objections(kb: "KnowledgeBase", notes: str, pack: SourcePack) -> list[ObjectionPlan]:
    """Library objections the notes raise: a sentence matches when its hybrid score reaches OBJECTION_MATCH.

    A document's score is at most its best cosine plus LEXICAL_WEIGHT, so sentences whose best cosine
    to any objection is below ``OBJECTION_MATCH - LEXICAL_WEIGHT`` are skipped without a search.
    """
    import numpy as np

    from coachgen.retrieval import LEXICAL_WEIGHT

    plans: dict[str, ObjectionPlan] = {}
    lines = sentences(notes)
    library = _objection_vectors(kb)
    if not lines or not len(library):
        return []
    vectors = np.asarray(kb.embedder.embed_batch(lines), dtype=np.float32)
    best = (vectors @ library.T).max(axis=1)
    lines = [line for line, score in zip(lines, best) if score >= OBJECTION_MATCH - LEXICAL_WEIGHT]
    results = search_many(kb, lines, k=1, filters=Filters(kind=("objection",))) if lines else []
    for sentence, hits in zip(lines, results):
        if not hits or hits[0].score < OBJECTION_MATCH or hits[0].doc_key in plans:
            continue
        hit = hits[0]
        objection = hit.section.rsplit(" > ", 1)[-1]
        response = hit.text.split("**Response:**", 1)[-1].strip()
        plans[hit.doc_key] = ObjectionPlan(raised=sentence, objection=objection, response=CitedText(text=response, sources=[pack.add(hit)]))
    return list(plans.values())


def deal_facts(record: dict[str, Any]) -> DealFacts:
    """The facts of a deal record, as artifacts show them."""
    return DealFacts(
        id=record["id"], name=record["name"], account=record["account"], rep=record["rep"], stage=record["stage"],
        status=record["status"], amount=record["amount"], currency=record.get("currency"), close_date=record["close_date"], next_step=record["next_step"],
        last_activity=record["last_activity"], contacts=_contacts(record["contacts"]),
    )
