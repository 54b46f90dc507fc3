"""Grounded building blocks shared by artifacts: deal facts, note sentences, and lines of the team's documents."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coachgen.artifacts.common import CitedText, SourcePack
from coachgen.artifacts.meddpicc import split_sentences
from coachgen.retrieval import Hit

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = [
    "OBJECTION_MATCH", "Contact", "DealFacts", "ObjectionPlan", "cite", "deal_facts", "first_sentence",
    "gap_question", "matched_objections", "module_for_text", "module_hit", "objection_entries", "objection_of", "plain", "raised_objections",
    "read_deal_notes", "response_of", "sentences",
]

OBJECTION_MATCH = 0.5  # cosine of a note sentence to an objection's wording from which the notes raise it


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


def sentences(notes: str) -> list[str]:
    """Note sentences long enough to carry an objection."""
    return [s for s in split_sentences(notes) if len(s) > 12]


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", plain(" ".join(text.split())))[0]


def cite(kb: "KnowledgeBase", record: Any, pack: SourcePack) -> list[int]:
    """The source number of the chunk holding a knowledge record (empty when it has none)."""
    hit = kb.knowledge.hit(record)
    return [pack.add(hit)] if hit is not None else []


def gap_question(kb: "KnowledgeBase", element: str, pack: SourcePack) -> CitedText | None:
    """The team's question that closes the gap on a qualification element, cited; None when the material has none."""
    record = kb.knowledge.gap_question(element)
    if record is None:
        return None
    return CitedText(text=record.text.strip('"“”'), sources=cite(kb, record, pack))


def objection_entries(kb: "KnowledgeBase") -> list[Hit]:
    """Every objection record as a citable entry: the chunk holding it, headed by the objection, with its response.

    The entry's ``doc_key`` identifies the objection (drill attempts are stored under it): the library
    document for a YAML entry, else the document plus the objection's words.
    """
    key = ("objection-entries",)
    if key not in kb._memo:
        entries = []
        for record in kb.knowledge.objections():
            hit = kb.knowledge.hit(record)
            if hit is None:
                continue
            doc_key = record.provenance.doc_key if record.provenance.found_by == "yaml" else \
                f"{record.provenance.doc_key}#{re.sub(r'[^a-z0-9]+', '-', record.text.lower()).strip('-')[:60]}"
            entries.append(replace(hit, section=f"{hit.section} > {record.text}", text=f"**Response:** {record.response}", doc_key=doc_key,
                                   tags=list(record.tags) or hit.tags, stages=list(record.stages) or hit.stages))
        kb._memo[key] = entries
    return kb._memo[key]


def objection_of(entry: Hit) -> str:
    """The objection an entry holds."""
    return entry.section.rsplit(" > ", 1)[-1]


def response_of(entry: Hit) -> str:
    """The team's response to an entry's objection."""
    return plain(entry.text.split("**Response:**", 1)[-1].strip())


def _entry_vectors(kb: "KnowledgeBase", entries: list[Hit]) -> Any:
    import numpy as np

    key = ("objection-vectors", tuple(entry.doc_key for entry in entries))
    if key not in kb._memo:
        vectors = kb.embedder.embed_batch([objection_of(entry) for entry in entries]) if entries else []
        kb._memo[key] = np.asarray(vectors, dtype=np.float32).reshape(len(entries), -1)
    return kb._memo[key]


def read_deal_notes(kb: "KnowledgeBase", notes: str) -> list[Any]:
    """Every note sentence read by meaning (:mod:`coachgen.note_reading`), with the team's competitor names; memoised per text."""
    from coachgen.note_reading import read_notes

    key = ("note-readings", notes)
    if key not in kb._memo:
        kb._memo[key] = read_notes(kb.embedder, notes, [c.text for c in kb.knowledge.competitors()])
    return kb._memo[key]


def raised_objections(kb: "KnowledgeBase", notes: str) -> list[tuple[str, Hit]]:
    """(note sentence, entry) for each objection the notes raise: a sentence read as a buyer's concern, or a threat
    the buyer side voices itself (procurement's "15% off to stay in"), never a buying signal, a commitment, info or
    the rep's own words, whose cosine to the objection's wording reaches OBJECTION_MATCH; each objection once, at
    its best sentence."""
    import numpy as np

    entries = objection_entries(kb)
    lines = [r.sentence for r in read_deal_notes(kb, notes) if len(r.sentence) > 12
             and (r.label == "concern" and r.speaker != "rep" or r.label == "risk" and r.speaker == "buyer")]
    if not lines or not entries:
        return []
    vectors = np.asarray(kb.embedder.embed_batch(lines), dtype=np.float32)
    scores = vectors @ _entry_vectors(kb, entries).T
    found: dict[str, tuple[float, str, Hit]] = {}
    for row, sentence in enumerate(lines):
        best = int(scores[row].argmax())
        score = float(scores[row, best])
        entry = entries[best]
        if score >= OBJECTION_MATCH and score > found.get(entry.doc_key, (0.0, "", entry))[0]:
            found[entry.doc_key] = (score, sentence, entry)
    ordered = sorted(found.values(), key=lambda item: lines.index(item[1]))
    return [(sentence, entry) for _, sentence, entry in ordered]


def matched_objections(kb: "KnowledgeBase", notes: str, pack: SourcePack) -> list[ObjectionPlan]:
    """The team's objections the notes raise, each with its cited response (see :func:`raised_objections`)."""
    return [ObjectionPlan(raised=sentence, objection=objection_of(entry), response=CitedText(text=response_of(entry), sources=[pack.add(entry)]))
            for sentence, entry in raised_objections(kb, notes)]


def module_hit(kb: "KnowledgeBase", module: Any) -> Hit | None:
    """A training-module record as a citable hit whose title is the module's name."""
    hit = kb.knowledge.hit(module) if module is not None else None
    return replace(hit, title=module.text) if hit is not None else None


def module_for_text(kb: "KnowledgeBase", text: str) -> Any:
    """The training module for the skill ``text`` is about (e.g. an objection and its response), else the objection-handling one."""
    from coachgen.knowledge.miners.sections import skill_of

    skill = skill_of(text)
    return (kb.knowledge.module_for(skill) if skill else None) or kb.knowledge.module_for("objection handling")


def deal_facts(record: dict[str, Any]) -> DealFacts:
    """The facts of a deal record, as artifacts show them."""
    return DealFacts(
        id=record["id"], name=record["name"], account=record["account"], rep=record["rep"], stage=record["stage"],
        status=record["status"], amount=record["amount"], currency=record.get("currency"), close_date=record["close_date"], next_step=record["next_step"],
        last_activity=record["last_activity"], contacts=_contacts(record["contacts"]),
    )
