"""The post-call debrief (``coachgen debrief``): questions that turn a call into learning.

The structure is a coach's: how the call ended and what the buyer committed to; the advance
against the stored plan's objective; what went well and what to improve; MEDDPICC changes since
the plan; the skill behind any stumble (a training module, cited); one agreed change and a check-in
date. Call notes are read by meaning first (:mod:`coachgen.note_reading`): only a buyer's concern is
discussed as an objection, and only the rep's own admission is a stumble. What the new notes say happened
(:mod:`coachgen.artifacts.call_outcome`) is kept with the debrief: who was on the call, the dated next steps,
and each concession, tested against the team's rule (trade, never give). Facts and sources come from code; the
model adds up to three follow-up questions, checked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coachgen.artifacts.common import (
    ArtifactHeader,
    CitedText,
    Prepared,
    SourcePack,
    SourceRef,
    record_facts,
    stale_notes,
    utc_now,
    write_prose,
)
from coachgen.artifacts.call_outcome import (
    Attendee, CallOutcome, Concession, NextStep, concession_question, concession_rule, missing_rule_note, read_outcome,
)
from coachgen.artifacts.grounding import (
    DealFacts,
    deal_facts,
    cite,
    gap_question,
    matched_objections,
    module_for_text,
    read_deal_notes,
)
from coachgen.artifacts.drafts import draft_checker
from coachgen.artifacts.deciding_issue import DecidingIssue, find_deciding_issue
from coachgen.artifacts.meddpicc import assess_readings
from coachgen.retrieval import Filters, search
from coachgen.untrusted import neutralise

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.prompts import PromptLibrary

__all__ = ["CHECK_IN_DAYS", "Debrief", "DebriefDraft", "PreparedDebrief", "build_debrief", "prepare_debrief"]

CHECK_IN_DAYS = 7


class MeddpiccChange(BaseModel):
    element: str
    before: str = Field(description="Status in the stored plan (or 'no plan').")
    now: str = Field(description="Status from the notes including this call.")
    evidence: str | None = Field(description="The note sentence behind the current status.")


class SkillPointer(BaseModel):
    stumble: str = Field(description="The rep's own admission in the call notes (a miss or a self-rating).")
    objection: str = Field(description="The library objection the call raised that the admission is about, else the admission's skill.")
    module: CitedText = Field(description="The training module that teaches the skill behind it.")


class DebriefQuestion(BaseModel):
    topic: str
    question: str
    sources: list[int] = Field(default_factory=list)


class DebriefDraft(BaseModel):
    """What the model writes: follow-up questions tailored to this call."""

    questions: list[str] = Field(min_length=1, max_length=3, description="Up to three follow-up questions about this call.")
    sources: list[int] = Field(min_length=1, max_length=5, description="Numbers of the sources the questions stand on.")


class Debrief(BaseModel):
    """A debrief; the published schema of ``coachgen debrief --format json``."""

    header: ArtifactHeader
    deal: DealFacts
    plan_objective: str | None = Field(description="The stored plan's objective, if a plan was made.")
    call_notes: str | None
    deciding_issue: DecidingIssue = Field(description="The one thing that decides the deal after this call, with the team's answer.")
    questions: list[DebriefQuestion]
    meddpicc_changes: list[MeddpiccChange]
    skills: list[SkillPointer]
    check_in: str = Field(description="Date to check on the agreed change.")
    sources: list[SourceRef]
    notes: list[str]
    attendees: list[Attendee] = Field(default_factory=list, description="Who the new call notes place on the call; new names are candidates.")
    next_steps: list[NextStep] = Field(default_factory=list, description="Steps the new call notes agree, with their dates; undated ones flagged.")
    concessions: list[Concession] = Field(default_factory=list, description="What the rep gave on the call, and whether something came back.")


@dataclass
class PreparedDebrief(Prepared):
    deal: DealFacts
    plan_objective: str | None
    call_notes: str | None
    questions: list[DebriefQuestion]
    changes: list[MeddpiccChange]
    skills: list[SkillPointer]
    check_in: str
    deciding: DecidingIssue
    outcome: CallOutcome


def _changes(plan: dict[str, Any] | None, readings: list[Any]) -> list[MeddpiccChange]:
    before = {item["element"]: item["status"] for item in (plan or {}).get("meddpicc", [])}
    return [MeddpiccChange(element=s.element, before=before.get(s.element, "no plan"), now=s.status, evidence=s.evidence)
            for s in assess_readings(readings)]


def _about(kb: "KnowledgeBase", admission: str, raised: list[Any]) -> Any:
    """The objection of this call that the rep's admission is about (the most similar one), if any was raised."""
    if not raised:
        return None
    import numpy as np

    vectors = np.asarray(kb.embedder.embed_batch([admission] + [o.raised for o in raised]), dtype=np.float32)
    return raised[int((vectors[1:] @ vectors[0]).argmax())]


def _concession_questions(kb: "KnowledgeBase", outcome: CallOutcome, pack: SourcePack) -> tuple[list[DebriefQuestion], list[str]]:
    """One question per concession: what came back, against the team's rule (cited) when it was given for nothing; and the
    note on what to add when a concession was given for nothing and the knowledge base states no rule."""
    given = any(not c.traded for c in outcome.concessions)
    rule = concession_rule(kb, pack) if given else None
    questions = [DebriefQuestion(topic="Concession traded" if c.traded else "Concession", question=concession_question(c, rule),
                                 sources=[] if c.traded or rule is None else rule.sources) for c in outcome.concessions]
    return questions, [missing_rule_note()] if given and rule is None else []


def prepare_debrief(kb: "KnowledgeBase", prompts: "PromptLibrary", deal_id: str, call_notes: str | None = None,
                    today: date | None = None) -> PreparedDebrief:
    """Gather the debrief's grounded parts and prompt; calls no model."""
    deal = deal_facts(kb.records.deal(deal_id))
    call_notes = neutralise(call_notes) if call_notes else call_notes
    stored = kb.records.latest_plan(deal_id)
    plan = json.loads(stored) if stored else None
    objective = plan["objective"]["text"] if plan else None
    notes = "\n".join(filter(None, [kb.records.notes(deal_id), call_notes]))
    pack = SourcePack()
    for hit in search(kb, f"{deal.account or deal.name or deal.id} notes", k=20, per_doc=10, filters=Filters(deal=(deal.id,))):
        pack.add(hit)
    buyers = ", ".join(c.name for c in deal.contacts) or "the buyer"
    questions = [
        DebriefQuestion(topic="How it ended", question=f"How did the call end, and what exactly did {buyers} commit to, by when?"),
        DebriefQuestion(topic="Advance", question=(
            f"The plan's objective was: \"{objective}\" Did you get that advance, a smaller one, or only a continuation?"
            if objective else "No plan was stored for this deal: what was the call's objective, and did the buyer commit to it?")),
        DebriefQuestion(topic="Went well", question="What went well that you would do again on the next call?"),
        DebriefQuestion(topic="To improve", question="Where did the conversation stall, and what would you try instead?"),
    ]
    changes = _changes(plan, read_deal_notes(kb, notes))
    deciding = find_deciding_issue(kb, notes, deal.contacts, assess_readings(read_deal_notes(kb, notes)), pack)
    if deciding.kind in ("concern", "risk"):
        answer = f" The team's answer: {deciding.answer.text}" if deciding.answer else ""
        questions.insert(0, DebriefQuestion(topic="Deciding issue", question=f"The deal turns on \"{deciding.issue}\" Did this call settle it, "
                                            f"and what did the buyer say about it?{answer}", sources=deciding.answer.sources if deciding.answer else []))
    for change in changes:
        if change.now != "known":
            cited = gap_question(kb, change.element, pack)
            if cited is not None:
                questions.append(DebriefQuestion(topic=f"MEDDPICC: {change.element}", question=f"What did you learn about {change.element.lower()}? Next time ask: {cited.text}", sources=cited.sources))
    skills = []
    raised = matched_objections(kb, call_notes or "", pack)
    for admission in (r for r in read_deal_notes(kb, call_notes or "") if r.label == "admission"):
        about = _about(kb, admission.sentence, raised)
        module = module_for_text(kb, f"{about.objection} {about.response.text}" if about else admission.sentence)
        questions.append(DebriefQuestion(topic="Your words", question=f"You wrote: \"{admission.sentence}\" What would you say instead next time?"))
        if module is not None:
            skills.append(SkillPointer(stumble=admission.sentence, objection=about.objection if about else module.skill or module.text,
                                       module=CitedText(text=module.text, sources=cite(kb, module, pack))))
    for objection in raised:
        questions.append(DebriefQuestion(topic="Skill", question=f"When they said \"{objection.raised}\", how did you respond? The team's answer: {objection.response.text}", sources=objection.response.sources))
    outcome = read_outcome(kb, deal, call_notes, today or date.today())
    asked, missing = _concession_questions(kb, outcome, pack)
    questions += asked
    check_in = kb.settings.on_working_day((today or date.today()) + timedelta(days=CHECK_IN_DAYS)).isoformat()
    questions.append(DebriefQuestion(topic="One change", question=f"What is the one thing you will do differently on the next call? We check in on {check_in}."))
    variables = {"deal": deal.model_dump(), "objective": objective, "call_notes": call_notes or "", "sources": pack.for_prompt()}
    messages = prompts.messages("debrief", variables)
    record_text = " ".join(str(value) for value in kb.records.deal(deal_id).values() if value)
    known_text = " ".join([record_text, notes, pack.text()])
    return PreparedDebrief(deal, objective, call_notes, questions, changes, skills, check_in, deciding, outcome,
                           pack=pack, missing=missing, known_text=known_text, trusted=record_facts(kb.records.deal(deal_id)), messages=messages,
                           prompt_hash=prompts.fingerprint("debrief"),
                           check=draft_checker(kb, "debrief", known=known_text, trusted=record_facts(kb.records.deal(deal_id)), sources=pack.numbers()))


def build_debrief(prepared: PreparedDebrief, model: Any, model_name: str) -> Debrief:
    """Add the model's checked follow-up questions (if usable) and assemble the debrief."""
    empty = DebriefDraft.model_construct(questions=[], sources=[])
    draft, tokens, notes = write_prose(model, prepared.messages_as_langchain(), DebriefDraft, prepared.check, empty,
                                       "the debrief has only the coaching questions built from the plan and the playbooks.")
    extra = [DebriefQuestion(topic="Follow-up", question=q, sources=draft.sources) for q in draft.questions]
    cut = next((i + 1 for i, q in enumerate(prepared.questions) if q.topic == "To improve"), len(prepared.questions))  # after self-assessment
    questions = prepared.questions[:cut] + extra + prepared.questions[cut:]
    header = ArtifactHeader(artifact="debrief", model=model_name, prompt_hash=prepared.prompt_hash,
                            chunk_ids=[h.id for h in prepared.pack.hits], generated_at=utc_now(),
                            input_tokens=tokens[0], output_tokens=tokens[1],
                            model_wrote=[f"questions[{cut + i}]" for i in range(len(extra))])
    return Debrief(header=header, deal=prepared.deal, plan_objective=prepared.plan_objective, call_notes=prepared.call_notes,
                   deciding_issue=prepared.deciding,
                   questions=questions, meddpicc_changes=prepared.changes, skills=prepared.skills, check_in=prepared.check_in,
                   sources=prepared.pack.refs(), notes=notes + prepared.missing + stale_notes(prepared.pack),
                   attendees=prepared.outcome.attendees, next_steps=prepared.outcome.next_steps, concessions=prepared.outcome.concessions)
