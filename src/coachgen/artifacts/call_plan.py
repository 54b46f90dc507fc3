"""The pre-call plan (``coachgen prep``): grounded facts from code, connecting prose from the model.

Deal facts come from the records; MEDDPICC status from what the notes establish; gap questions,
discovery questions, objection responses and content worth sending are lines of the team's own
documents, found by retrieval and cited, without what belongs to stages the deal has passed
(:mod:`coachgen.artifacts.stage_scope`). The model writes the objective, outcomes, agenda,
scenarios and value story; its citations and names are checked, and when it fails the plan is
still produced from the grounded parts, with a note. The day the advance is due is decided by code
(:mod:`coachgen.artifacts.advance`), never written by the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

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
from coachgen.artifacts.advance import Advance, advance_for, call_day
from coachgen.artifacts.call_outcome import CallOutcome, latest_outcome
from coachgen.artifacts.drafts import draft_checker
from coachgen.artifacts.deciding_issue import DecidingIssue, conflicts_with, find_deciding_issue
from coachgen.artifacts.grounding import (
    Contact,
    DealFacts,
    ObjectionPlan,
    deal_facts,
    first_sentence,
    cite,
    gap_question,
    matched_objections,
    read_deal_notes,
    plain,
)
from coachgen.knowledge.defaults import load
from coachgen.knowledge.profile import missing_note
from coachgen.artifacts.meddpicc import assess_readings
from coachgen.artifacts.stage_scope import StageScope, stage_scope
from coachgen.errors import InputError
from coachgen.retrieval import Filters, search

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.prompts import PromptLibrary

__all__ = ["CALL_TYPES", "CallPlan", "PlanDraft", "PreparedCall", "build_call_plan", "plan_call", "prepare_call"]

CALL_TYPES = ("discovery", "demo", "evaluation", "proposal", "negotiation", "check-in")


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
    why_us: str = Field(max_length=400, description="Why buyers choose us, from the team's value drivers.")
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
    deciding_issue: DecidingIssue = Field(description="The one thing that decides the deal now, with the team's answer; the plan opens with it.")
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
    stage_scope: StageScope | None = Field(None, description="The deal's place in the team's process and what the plan leaves out for it.")
    call_date: str | None = Field(None, description="The day of the call (ISO date).")
    advance_by: str | None = Field(None, description="The day the buyer's commitment is due (ISO date, a working day), decided by code.")
    advance_basis: str | None = Field(None, description="Where advance_by came from: the deal's next step, or the call date and COACHGEN_ADVANCE_DAYS.")
    last_call: CallOutcome | None = Field(None, description="Who was on the deal's last recorded call, the next steps agreed there (dated or not) "
                                                            "and the concessions made, as its debrief read them.")


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
    deciding: DecidingIssue
    scope: StageScope
    advance: Advance
    last_call: CallOutcome | None = None


def _cares(role: str) -> str:
    data = load("personas")
    words = set(re.findall(r"[a-z]+", role.lower()))
    return next((entry["cares"] for entry in data["cares"] if words & set(entry["roles"])), data["default_cares"])


def _stance(name: str, notes: str) -> str:
    first = name.split()[0] if name.split() else name
    mentions = [s for s in re.split(r"(?<=[.!?])\s+|\n", notes) if first and first in s]
    text = " ".join(mentions).lower()
    if not mentions:
        return "unknown"
    cues = load("personas")["stance"]
    for stance in ("supporter", "skeptical"):
        if any(re.search(rf"\b{re.escape(cue)}", text) for cue in cues[stance]):
            return stance
    return "neutral"


def _current(records: list[Any], scope: StageScope) -> list[Any]:
    """The records not tied only to stages the deal has passed."""
    return [r for r in records if not scope.is_passed(r.stages)]


def _discovery_questions(kb: "KnowledgeBase", roles: list[str], stage: str, pack: SourcePack, scope: StageScope,
                         meddpicc: list[MeddpiccItem]) -> list[CitedText]:
    """Up to five of the team's questions, none tied only to passed stages: for the people in the room first, then for
    the stage, then any; past discovery, those tagged for this stage or later, then the gap questions of what is open."""
    store = kb.knowledge
    if scope.past_discovery:
        ranked = [q for q in _current(store.questions(), scope) if q.stages]
        gaps = [m.question for status in ("risk", "unknown") for m in meddpicc if m.status == status and m.question is not None]
    else:
        ranked = [q for role in roles for q in store.questions(persona=role)]
        ranked += [q for q in store.questions() if stage.lower() in (s.lower() for s in q.stages) or stage.lower() in q.topic.lower()]
        ranked += [q for q in store.questions() if q.element is None]
        ranked, gaps = _current(ranked, scope), []
    questions: list[CitedText] = []
    for item in [*ranked, *gaps]:
        if len(questions) < 5 and all(item.text != q.text for q in questions):
            questions.append(item if isinstance(item, CitedText) else CitedText(text=item.text, sources=cite(kb, item, pack)))
    return questions


def _fallback(kb: "KnowledgeBase", deal: DealFacts, pain: str | None, pack: SourcePack, deciding: DecidingIssue, advance: Advance) -> PlanDraft:
    """Objective, outcomes and agenda from the stage's exit criteria in the team's sales process; the advance's day from code."""
    stage = kb.knowledge.stage(deal.stage) if deal.stage else None
    exit_line = first_sentence(stage.exit_criteria[0]).strip().rstrip(".") if stage is not None and stage.exit_criteria else None
    cited = (cite(kb, stage, pack) if stage is not None else []) or list(sorted(pack.numbers()))[:1]
    objective = f"The buyer commits to this exit criterion: {exit_line}." if exit_line else "The buyer commits to a dated next step they own."
    return PlanDraft(
        objective=objective[:200],
        best_outcome=(f"{exit_line}, with a date in the calendar." if exit_line else "A dated next step owned by the buyer.")[:200],
        minimum_outcome=(f"Agreement on: {deal.next_step}" if deal.next_step else "A dated next step and the name of who decides.")[:200],
        agenda=[
            "Upfront contract: confirm the time, the purpose and what a good outcome is for both sides.",
            f"Settle the deciding issue first: {deciding.issue}"[:160] if deciding.kind in ("concern", "risk") else
            (f"Recap what we heard: {pain}"[:160] if pain else "Recap the problem and its cost in the buyer's words."),
            "Close the biggest MEDDPICC gap with its question.",
            "Handle the other open objections." if deciding.kind in ("concern", "risk") else "Handle the open objections.",
            f"Ask for the advance, due by {advance.due:%A} {advance.due.isoformat()}, and agree who does what by then.",
        ],
        sources=cited or [1],
    )


def _scenarios(kb: "KnowledgeBase", objections: list[ObjectionPlan], stage: str, pack: SourcePack, scope: StageScope) -> list[Scenario]:
    """If they say the objection the notes raised, do what the team's response says; else the objections of this stage
    (else any not tied only to passed stages)."""
    scenarios = [Scenario(if_they_say=o.objection, then_do=first_sentence(o.response.text)[:320], sources=o.response.sources)
                 for o in objections[:3]]
    if scenarios:
        return scenarios
    pool = _current(kb.knowledge.objections(), scope)
    staged = [o for o in pool if stage.lower() in (s.lower() for s in o.stages)] or pool
    return [Scenario(if_they_say=o.text[:240], then_do=first_sentence(plain(o.response))[:320], sources=cite(kb, o, pack))
            for o in staged[:2] if o.response]


def _value_story(kb: "KnowledgeBase", pain: str | None, pack: SourcePack) -> ValueStory:
    """Why buyers buy from the team's value drivers and customer proof; their need from the notes."""
    drivers = kb.knowledge.value_drivers()
    proof = kb.knowledge.proof_points()
    why = drivers[0] if drivers else None
    how = drivers[1:3] or proof[:1]
    how_text = " ".join(first_sentence(r.text if not getattr(r, "result", "") else f"{r.text}: {r.result}") for r in how)
    return ValueStory(
        why_us=(first_sentence(why.detail or why.text) if why else "")[:400],
        their_need=(pain or "Not yet established in the notes: find it on this call.")[:400],
        how_we_solve=how_text[:400],
        sources=list(dict.fromkeys(n for record in ([why] if why else []) + list(how) for n in cite(kb, record, pack))),
    )


def _missing(kb: "KnowledgeBase", stage: str, stage_record: Any, meddpicc: list[MeddpiccItem], questions: list[CitedText],
             content: list[CitedText], value_story: ValueStory, scope: StageScope) -> list[str]:
    """A note for each part of the plan the knowledge base had nothing for."""
    store = kb.knowledge
    notes = []
    if not store.stages():
        notes.append(missing_note("stage", "the objective is not tied to a stage's exit criteria"))
    elif stage_record is None:
        notes.append(f"The stage '{stage}' is not among the sales process stages of the knowledge base, so the objective is not tied to its exit criteria.")
    if any(item.status != "known" and item.question is None for item in meddpicc):
        notes.append(missing_note("gap_question", "the open qualification elements have no question to close them"))
    if not questions and not scope.past_discovery:
        notes.append(missing_note("discovery_question", "the plan lists no discovery questions"))
    if not store.objections():
        notes.append(missing_note("objection", "objections in the notes are not matched to a response"))
    if not content:
        notes.append(missing_note("content_item", "the plan suggests no content worth sending"))
    if not value_story.sources:
        notes.append(missing_note("value_driver", "the value story has only the buyer's need"))
    return notes


def prepare_call(
    kb: "KnowledgeBase",
    prompts: "PromptLibrary",
    deal_id: str,
    call_type: str | None = None,
    attendees: list[tuple[str, str]] | None = None,
    call_date: date | None = None,
) -> PreparedCall:
    """Gather the grounded parts and the prompt for a call on ``deal_id`` on ``call_date`` (default: the next working day); calls no model."""
    record = kb.records.deal(deal_id)
    if call_type is not None and call_type not in CALL_TYPES:
        raise InputError(f"--call-type '{call_type}' is not one of {', '.join(CALL_TYPES)}")
    day = call_day(kb.settings, call_date)
    stage = record["stage"] or ""
    stage_record = kb.knowledge.stage(stage) if stage else None
    if call_type is None:  # the stage record's call type, else the settings', else the generic stage vocabulary's
        from coachgen.process import call_type_for

        call_type = call_type_for(stage, kb.settings, [stage_record] if stage_record is not None else []).value
        call_type = call_type if call_type in CALL_TYPES else "check-in"
    deal = deal_facts(record)
    scope = stage_scope(kb, stage, call_type)
    notes = kb.records.notes(deal_id)
    pack = SourcePack()
    for hit in search(kb, f"{deal.account or deal.name or deal.id} notes", k=20, per_doc=10, filters=Filters(deal=(deal.id,))):
        pack.add(hit)
    people = [Contact(name=n, role=r) for n, r in attendees] if attendees else deal.contacts
    crew = [Attendee(name=p.name, role=p.role, stance=_stance(p.name, notes), cares_about=_cares(p.role)) for p in people]
    competitors = kb.knowledge.competitors_in(notes)
    statuses = assess_readings(read_deal_notes(kb, notes))
    meddpicc = [
        MeddpiccItem(element=s.element, status=s.status, evidence=s.evidence,
                     question=None if s.status == "known" else gap_question(kb, s.element, pack))
        for s in statuses
    ]
    objections = matched_objections(kb, notes, pack)
    for competitor in competitors:
        cite(kb, competitor, pack)
    roles = [p.role for p in people if p.role != "unknown"]
    questions = _discovery_questions(kb, roles, stage, pack, scope, meddpicc)
    content = [CitedText(text=f"{item.text}: {item.when}" if item.when else item.text, sources=cite(kb, item, pack))
               for item in _current(kb.knowledge.content(), scope)[:6]]
    pain = next((s.evidence for s in statuses if s.element == "Identify pain" and s.evidence), None)
    scenarios = _scenarios(kb, objections, stage, pack, scope)
    value_story = _value_story(kb, pain, pack)
    deciding = find_deciding_issue(kb, notes, people, statuses, pack)
    advice = [(o.objection, o.response.text) for o in objections] + [(s.if_they_say, s.then_do) for s in scenarios]
    deciding.conflicts = list(dict.fromkeys(conflicts_with(deciding, advice, [p.name for p in people])))
    last_call = latest_outcome(kb, deal_id)
    advance = advance_for(kb.settings, deal, day, last_call.next_steps)
    fallback = _fallback(kb, deal, pain, pack, deciding, advance)
    known_text = " ".join([str(record.get(key) or "") for key in record] + [pack.text()])
    variables = {"deal": deal.model_dump(), "call_type": call_type, "attendees": [a.model_dump() for a in crew], "sources": pack.for_prompt()}
    messages = prompts.messages("prep", variables)
    missing = _missing(kb, stage, stage_record, meddpicc, questions, content, value_story, scope)
    return PreparedCall(deal, call_type, crew, meddpicc, questions, objections, content, scenarios, value_story, fallback, deciding,
                        scope, advance, last_call,
                        missing=missing, pack=pack, known_text=known_text, trusted=record_facts(record), messages=messages, prompt_hash=prompts.fingerprint("prep"),
                        check=draft_checker(kb, "prep", known=known_text, trusted=record_facts(record), sources=pack.numbers()))



def build_call_plan(prepared: PreparedCall, model: Any, model_name: str) -> CallPlan:
    """Ask the model for the prose, check it, and assemble the plan (falling back to grounded prose)."""
    draft, tokens, notes = write_prose(model, prepared.messages_as_langchain(), PlanDraft, prepared.check, prepared.fallback,
                                       "the objective, outcomes and agenda come from the sales process.")
    notes += prepared.missing + stale_notes(prepared.pack)
    header = ArtifactHeader(
        artifact="prep", model=model_name, prompt_hash=prepared.prompt_hash, chunk_ids=[h.id for h in prepared.pack.hits],
        generated_at=utc_now(), input_tokens=tokens[0], output_tokens=tokens[1],
        model_wrote=[] if draft is prepared.fallback else ["objective", "best_outcome", "minimum_outcome", "agenda"],
    )
    return CallPlan(
        header=header, deal=prepared.deal, call_type=prepared.call_type, deciding_issue=prepared.deciding,
        objective=CitedText(text=draft.objective, sources=draft.sources), best_outcome=draft.best_outcome,
        minimum_outcome=draft.minimum_outcome, agenda=draft.agenda, attendees=prepared.attendees,
        meddpicc=prepared.meddpicc, discovery_questions=prepared.discovery_questions, objections=prepared.objections,
        scenarios=prepared.scenarios, value_story=prepared.value_story, content_to_send=prepared.content_to_send,
        sources=prepared.pack.refs(), notes=notes, stage_scope=prepared.scope, call_date=prepared.advance.call_date.isoformat(),
        advance_by=prepared.advance.due.isoformat(), advance_basis=prepared.advance.basis,
        last_call=prepared.last_call if prepared.last_call is not None and prepared.last_call.call_notes else None,
    )


def plan_call(
    kb: "KnowledgeBase",
    deal_id: str,
    call_type: str | None = None,
    attendees: list[tuple[str, str]] | None = None,
    model: Any = None,
    prompts: "PromptLibrary | None" = None,
    call_date: date | None = None,
) -> CallPlan:
    """Generate a pre-call plan for ``deal_id`` and store it with the deal (the debrief compares against it)."""
    from coachgen.llm.guard import chat_model
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary

    prepared = prepare_call(kb, prompts or PromptLibrary(kb.settings), deal_id, call_type, attendees, call_date)
    model = model if model is not None else chat_model(kb, artifact="prep")
    plan = build_call_plan(prepared, model, model_label(model))
    kb.records.save_plan(plan.deal.id, plan.header.generated_at, plan.model_dump_json())
    return plan
