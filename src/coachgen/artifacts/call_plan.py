"""The pre-call plan (``coachgen prep``): grounded facts from code, connecting prose from the model.

Deal facts come from the records; MEDDPICC status from what the notes establish; gap questions,
discovery questions, objection responses and content to send are lines of the team's own
documents, found by retrieval and cited. The model writes the objective, outcomes, agenda,
scenarios and value story; its citations and names are checked, and when it fails the plan is
still produced from the grounded parts, with a note.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from coachgen.artifacts.common import (
    ArtifactHeader,
    CitedText,
    Prepared,
    SourcePack,
    SourceRef,
    grounding_problems,
    record_facts,
    stale_notes,
    utc_now,
    write_prose,
)
from coachgen.artifacts.grounding import (
    Contact,
    DealFacts,
    ObjectionPlan,
    bullets,
    deal_facts,
    first_sentence,
    gap_question,
    matched_objections,
    plain,
    section_hit,
)
from coachgen.artifacts.meddpicc import assess
from coachgen.errors import InputError
from coachgen.retrieval import Filters, search

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.prompts import PromptLibrary

__all__ = ["CALL_TYPES", "CallPlan", "PlanDraft", "PreparedCall", "build_call_plan", "plan_call", "prepare_call"]

CALL_TYPES = ("discovery", "demo", "evaluation", "proposal", "negotiation", "check-in")
ROLE_CARES = {
    "cfo": "payback period, budget cycle and risk", "vp finance": "payback period and team capacity",
    "controller": "days to close the books and audit findings", "ap": "hours spent chasing approvals and duplicates",
    "it": "security review, SSO and ERP integration", "ciso": "security review and data residency",
    "procurement": "price, terms and vendor risk", "legal": "contract terms and data protection",
}


class Attendee(BaseModel):
    name: str
    role: str
    stance: Literal["supporter", "neutral", "skeptical", "unknown"] = Field(description="From the notes; unknown when they say nothing.")
    cares_about: str = Field(description="What people in this role usually weigh.")


class MeddpiccItem(BaseModel):
    element: str
    status: Literal["known", "unknown", "risk"] = Field(description="Decided by code from the deal notes.")
    evidence: str | None = Field(description="The note sentence that decided the status.")
    question: CitedText | None = Field(description="The methodology's question that closes the gap.")


class Scenario(BaseModel):
    if_they_say: str = Field(max_length=240, description="What the buyer might say.")
    then_do: str = Field(max_length=320, description="What the rep does then.")
    sources: list[int] = Field(description="Numbers of the sources this stands on.")


class ValueStory(BaseModel):
    why_us: str = Field(max_length=400, description="Why we are in business.")
    their_need: str = Field(max_length=400, description="The buyer's need, in their words.")
    how_we_solve: str = Field(max_length=400, description="How we meet that need.")
    sources: list[int] = Field(description="Numbers of the sources this stands on.")


class PlanDraft(BaseModel):
    """What the model writes; everything else in the plan comes from records and sources."""

    objective: str = Field(min_length=10, max_length=200, description="The advance: one concrete commitment the buyer makes on this call.")
    best_outcome: str = Field(min_length=10, max_length=200, description="The best realistic result of the call.")
    minimum_outcome: str = Field(min_length=10, max_length=200, description="The least the rep accepts before ending the call.")
    agenda: list[str] = Field(min_length=3, max_length=5, description="Three to five short agenda steps, the upfront contract first.")
    sources: list[int] = Field(min_length=1, max_length=5, description="Numbers of the sources the objective stands on.")


class CallPlan(BaseModel):
    """A pre-call plan; the published schema of ``coachgen prep --format json``."""

    header: ArtifactHeader
    deal: DealFacts
    call_type: str
    objective: CitedText
    best_outcome: str
    minimum_outcome: str
    agenda: list[str]
    attendees: list[Attendee]
    meddpicc: list[MeddpiccItem]
    discovery_questions: list[CitedText]
    objections: list[ObjectionPlan]
    scenarios: list[Scenario]
    value_story: ValueStory
    content_to_send: list[CitedText]
    sources: list[SourceRef]
    notes: list[str] = Field(description="What the reader should know: fallbacks, dropped items, stale sources.")


@dataclass
class PreparedCall(Prepared):
    """Everything gathered before the model is called; ``messages`` is what a dry run prints."""

    deal: DealFacts
    call_type: str
    attendees: list[Attendee]
    meddpicc: list[MeddpiccItem]
    discovery_questions: list[CitedText]
    objections: list[ObjectionPlan]
    content_to_send: list[CitedText]
    scenarios: list[Scenario]
    value_story: ValueStory
    fallback: PlanDraft


def _cares(role: str) -> str:
    lowered = role.lower()
    for key, cares in ROLE_CARES.items():
        if re.search(rf"\b{re.escape(key)}\b", lowered):
            return cares
    return "how this affects their own work"


def _stance(name: str, notes: str) -> str:
    first = name.split()[0]
    mentions = [s for s in re.split(r"(?<=[.!?])\s+|\n", notes) if first in s]
    text = " ".join(mentions).lower()
    if not mentions:
        return "unknown"
    if re.search(r"champion|preferred|confirmed|agreed|liked|verbal|sponsor", text):
        return "supporter"
    if re.search(r"worried|concern|never|doubt|won't|can't|too high|not a good time|think about", text):
        return "skeptical"
    return "neutral"


def _discovery_questions(kb: "KnowledgeBase", roles: list[str], stage: str, pack: SourcePack) -> list[CitedText]:
    questions: list[CitedText] = []
    topics = [f"Questions for the {role}" for role in roles] + [f"{stage} questions", "Pain and its cost", "Decision and paper process"]
    for topic in topics:
        hits = kb.search_memo(topic, k=1, per_doc=1, filters=Filters(kind=("discovery",)))
        for hit in hits:
            for line in bullets(hit.text, question_only=True)[:2]:
                if len(questions) < 5 and all(line != q.text for q in questions):
                    questions.append(CitedText(text=line, sources=[pack.add(hit)]))
    return questions[:5]


def _fallback(kb: "KnowledgeBase", deal: DealFacts, pain: str | None, pack: SourcePack) -> PlanDraft:
    """Objective, outcomes and agenda from the stage's exit criteria in the sales process."""
    stage_hit = section_hit(kb, f"{deal.stage} stage exit criteria", "playbook", deal.stage)
    exit_line = None
    if stage_hit is not None:
        match = re.search(r"Exit criteria:\s*(.+)", stage_hit.text)
        exit_line = first_sentence(match.group(1)).strip().rstrip(".") if match else None
    cited = [pack.add(stage_hit)] if stage_hit is not None else list(sorted(pack.numbers()))[:1]
    objective = f"The buyer commits to this exit criterion: {exit_line}." if exit_line else "The buyer commits to a dated next step they own."
    return PlanDraft(
        objective=objective[:200],
        best_outcome=(f"{exit_line}, with a date in the calendar." if exit_line else "A dated next step owned by the buyer.")[:200],
        minimum_outcome=(f"Agreement on: {deal.next_step}" if deal.next_step else "A dated next step and the name of who decides.")[:200],
        agenda=[
            "Upfront contract: confirm the time, the purpose and what a good outcome is for both sides.",
            f"Recap what we heard: {pain}"[:160] if pain else "Recap the problem and its cost in the buyer's words.",
            "Close the biggest MEDDPICC gap with its question.",
            "Handle the open objections.",
            "Ask for the advance and agree the next step with a date.",
        ],
        sources=cited or [1],
    )


def _scenarios(objections: list[ObjectionPlan], pack: SourcePack, kb: "KnowledgeBase") -> list[Scenario]:
    """If they say the objection the notes raised, do what the library's response says."""
    scenarios = [Scenario(if_they_say=o.objection, then_do=first_sentence(o.response.text)[:320], sources=o.response.sources)
                 for o in objections[:3]]
    if scenarios:
        return scenarios
    hits = kb.search_memo("We need to think about it", k=1, filters=Filters(kind=("objection",)))
    return [Scenario(if_they_say=plain(h.section.rsplit(" > ", 1)[-1]), then_do=first_sentence(h.text.split("**Response:**", 1)[-1]),
                     sources=[pack.add(h)]) for h in hits]


def _value_story(kb: "KnowledgeBase", pain: str | None, pack: SourcePack) -> ValueStory:
    """Why we are in business and how we solve it from the product doc; their need from the notes."""
    why_hit = section_hit(kb, "why we are in business", "product", "Why we are in business")
    what_hit = section_hit(kb, "what the product does", "product", "What it does")
    return ValueStory(
        why_us=first_sentence(why_hit.text)[:400] if why_hit else "",
        their_need=(pain or "Not yet established in the notes: find it on this call.")[:400],
        how_we_solve=" ".join(bullets(what_hit.text)[:2])[:400] if what_hit else "",
        sources=[pack.add(hit) for hit in (why_hit, what_hit) if hit is not None],
    )


def prepare_call(
    kb: "KnowledgeBase",
    prompts: "PromptLibrary",
    deal_id: str,
    call_type: str | None = None,
    attendees: list[tuple[str, str]] | None = None,
) -> PreparedCall:
    """Gather the grounded parts and the prompt for a call on ``deal_id``; calls no model."""
    record = kb.records.deal(deal_id)
    if call_type is not None and call_type not in CALL_TYPES:
        raise InputError(f"--call-type '{call_type}' is not one of {', '.join(CALL_TYPES)}")
    stage = record["stage"] or ""
    if call_type is None:  # the settings' call type for the stage, else the generic stage vocabulary's
        from coachgen.process import call_type_for

        call_type = call_type_for(stage, kb.settings).value
        call_type = call_type if call_type in CALL_TYPES else "check-in"
    deal = deal_facts(record)
    notes = kb.records.notes(deal_id)
    pack = SourcePack()
    for hit in search(kb, f"{deal.account} notes", k=20, per_doc=10, filters=Filters(deal=(deal.id,))):
        pack.add(hit)
    people = [Contact(name=n, role=r) for n, r in attendees] if attendees else deal.contacts
    crew = [Attendee(name=p.name, role=p.role, stance=_stance(p.name, notes), cares_about=_cares(p.role)) for p in people]
    statuses = assess(notes)
    meddpicc = [
        MeddpiccItem(element=s.element, status=s.status, evidence=s.evidence,
                     question=None if s.status == "known" else gap_question(kb, s.element, pack))
        for s in statuses
    ]
    objections = matched_objections(kb, notes, pack)
    for competitor in ("Quorvel", "Brightbook"):
        if competitor.lower() in notes.lower():
            for hit in kb.search_memo(f"battlecard {competitor} where we win", k=1, filters=Filters(kind=("battlecard",))):
                pack.add(hit)
    roles = [p.role for p in people if p.role != "unknown"]
    questions = _discovery_questions(kb, roles, stage, pack)
    content_hit = section_hit(kb, "content to send after the call", "product", "Content to send")
    content = [CitedText(text=line, sources=[pack.add(content_hit)]) for line in bullets(content_hit.text)] if content_hit else []
    pain = next((s.evidence for s in statuses if s.element == "Identify pain" and s.evidence), None)
    scenarios = _scenarios(objections, pack, kb)
    value_story = _value_story(kb, pain, pack)
    fallback = _fallback(kb, deal, pain, pack)
    known_text = " ".join([str(record.get(key) or "") for key in record] + [pack.text()])
    variables = {"deal": deal.model_dump(), "call_type": call_type, "attendees": [a.model_dump() for a in crew], "sources": pack.for_prompt()}
    messages = prompts.messages("prep", variables)
    return PreparedCall(deal, call_type, crew, meddpicc, questions, objections, content, scenarios, value_story, fallback,
                        pack=pack, known_text=known_text, trusted=record_facts(record), messages=messages, prompt_hash=prompts.fingerprint("prep"))


def _draft_problems(draft: PlanDraft, valid: set[int], known_text: str, trusted: str) -> list[str]:
    texts = [draft.objective, draft.best_outcome, draft.minimum_outcome, *draft.agenda]
    return grounding_problems(texts, draft.sources, valid, known_text, repeated=("the agenda", draft.agenda), trusted=trusted)


def build_call_plan(prepared: PreparedCall, model: Any, model_name: str) -> CallPlan:
    """Ask the model for the prose, check it, and assemble the plan (falling back to grounded prose)."""
    valid = prepared.pack.numbers()

    def check(draft: PlanDraft) -> None:
        problems = _draft_problems(draft, valid, prepared.known_text, prepared.trusted)
        if problems:
            raise ValueError("; ".join(problems))

    draft, tokens, notes = write_prose(model, prepared.messages_as_langchain(), PlanDraft, check, prepared.fallback,
                                       "the objective, outcomes and agenda come from the sales process.")
    notes += stale_notes(prepared.pack)
    header = ArtifactHeader(
        artifact="prep", model=model_name, prompt_hash=prepared.prompt_hash, chunk_ids=[h.id for h in prepared.pack.hits],
        generated_at=utc_now(), input_tokens=tokens[0], output_tokens=tokens[1],
    )
    return CallPlan(
        header=header, deal=prepared.deal, call_type=prepared.call_type,
        objective=CitedText(text=draft.objective, sources=draft.sources), best_outcome=draft.best_outcome,
        minimum_outcome=draft.minimum_outcome, agenda=draft.agenda, attendees=prepared.attendees,
        meddpicc=prepared.meddpicc, discovery_questions=prepared.discovery_questions, objections=prepared.objections,
        scenarios=prepared.scenarios, value_story=prepared.value_story, content_to_send=prepared.content_to_send,
        sources=prepared.pack.refs(), notes=notes,
    )


def plan_call(
    kb: "KnowledgeBase",
    deal_id: str,
    call_type: str | None = None,
    attendees: list[tuple[str, str]] | None = None,
    model: Any = None,
    prompts: "PromptLibrary | None" = None,
) -> CallPlan:
    """Generate a pre-call plan for ``deal_id`` and store it with the deal (the debrief compares against it)."""
    from coachgen.llm.guard import chat_model
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary

    prepared = prepare_call(kb, prompts or PromptLibrary(kb.settings), deal_id, call_type, attendees)
    model = model if model is not None else chat_model(kb)
    plan = build_call_plan(prepared, model, model_label(model))
    kb.records.save_plan(plan.deal.id, plan.header.generated_at, plan.model_dump_json())
    return plan
