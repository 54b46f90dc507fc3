"""Render artifacts as Markdown, JSON or one self-contained, escaped HTML file.

Artifacts first become a simple outline (title, meta lines, sections of items), so Markdown and
HTML are two views of the same content. Outline text mixes coachgen's words with text it did not
write (CRM fields, notes, playbook lines, model prose), already neutralised upstream; each format
still shows it only as text: HTML escapes every character that means markup, and Markdown escapes
backslashes, ``<``, link and image syntax, and a block marker at the start of any line (``#``, ``>``,
``=``/``-`` underlines, list markers, fences, tables, link definitions), and keeps a multi-line item
inside its list item, so no line of it can become a heading, a link, an image or raw HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

__all__ = [
    "FORMATS", "Outline", "Section", "agenda_outline", "cadence_outline", "debrief_outline", "drill_outline", "pipeline_outline",
    "plan_outline", "render", "rep_debrief_outline", "rep_train_outline", "session_outline", "train_outline",
]

FORMATS = ("md", "json", "html")


@dataclass
class Section:
    """A heading and its lines; ``numbered`` lists are ordered."""

    title: str
    items: list[str] = field(default_factory=list)
    numbered: bool = False


@dataclass
class Outline:
    title: str
    meta: list[str]
    sections: list[Section]


def _cite(numbers: list[int]) -> str:
    return " " + "".join(f"[{n}]" for n in numbers) if numbers else ""


def _money(value: float | None, currency: str | None = None) -> str:
    from coachgen.artifacts.common import money

    return money(value, currency)


def _deciding_section(issue: Any) -> Section:
    """The deciding issue, its answer from the library and the advice that conflicts with it."""
    said = f" (said {issue.said_on})" if issue.said_on else ""
    items = [f"{issue.issue.rstrip('.')}{said}: {issue.why}." if issue.kind != "none" else issue.issue]
    if issue.answer is not None:
        items.append(f"Library: {issue.objection} Answer: {issue.answer.text}{_cite(issue.answer.sources)}")
    elif issue.kind in ("concern", "risk"):
        items.append("The knowledge base has no answer to it: add the objection and its response to the library.")
    items += [f"Check: {line}" for line in issue.conflicts]
    return Section("The deciding issue", items)


def _due(plan: Any) -> list[str]:
    """The day the advance is due and why, when the plan carries one."""
    if not plan.advance_by:
        return []
    from datetime import date

    due = date.fromisoformat(plan.advance_by)
    call = f"Call on {date.fromisoformat(plan.call_date):%A} {plan.call_date}; the" if plan.call_date else "The"
    return [f"{call} buyer's commitment is due by {due:%A} {due.isoformat()}" + (f": {plan.advance_basis}" if plan.advance_basis else "") + "."]


def _questions_section(plan: Any) -> Section:
    """Discovery questions; past discovery, the questions that close the qualification still open."""
    past = plan.stage_scope is not None and plan.stage_scope.past_discovery
    if not past:
        empty = "None found in the knowledge base (see the notes for how to add them)."
    elif any(m.status != "known" for m in plan.meddpicc):
        empty = "The knowledge base has no question for the qualification still open (see the notes for how to add them)."
    else:
        empty = "Every qualification element is known: nothing left to ask about qualification."
    return Section("Questions for what is still open" if past else "Discovery questions",
                   [q.text + _cite(q.sources) for q in plan.discovery_questions] or [empty], numbered=bool(plan.discovery_questions))


def plan_outline(plan: Any) -> Outline:
    """The outline of a :class:`~coachgen.artifacts.call_plan.CallPlan`."""
    deal, head = plan.deal, plan.header
    sections = [
        _deciding_section(plan.deciding_issue),
        Section("Deal", [f"Stage: {deal.stage} ({deal.status})", f"Amount: {_money(deal.amount, getattr(deal, 'currency', None))}", f"Close date: {deal.close_date or 'unknown'}",
                         f"Rep: {deal.rep or 'unknown'}", f"Next step on record: {deal.next_step or 'none'}",
                         f"Last activity: {deal.last_activity or 'unknown'}"] + ([f"Process: {plan.stage_scope.note}"] if plan.stage_scope else [])),
        Section("Objective (the advance)" + _drafted(head, "objective"), [plan.objective.text + _cite(plan.objective.sources)] + _due(plan)
                + [f"Best outcome: {plan.best_outcome}", f"Minimum acceptable: {plan.minimum_outcome}"]),
        Section("Agenda and upfront contract" + _drafted(head, "agenda"), list(plan.agenda), numbered=True),
        Section("Attendees", [f"{a.name} ({a.role}): {a.stance}; cares about {a.cares_about}" for a in plan.attendees] or ["No attendees known: ask who will join."]),
        *_last_call_section(plan),
        Section("MEDDPICC", [
            f"{m.element}: {m.status}" + (f" (\"{m.evidence}\")" if m.evidence else "")
            + (f". Ask: {m.question.text}{_cite(m.question.sources)}" if m.question else "")
            for m in plan.meddpicc
        ]),
        _questions_section(plan),
        Section("Objections raised in the notes", [
            f"They said: \"{o.raised}\". Library: {o.objection} Response: {o.response.text}{_cite(o.response.sources)}" for o in plan.objections
        ] or ["None found in the notes."]),
        Section("If they say X, do Y", [f"If they say \"{s.if_they_say}\": {s.then_do}{_cite(s.sources)}" for s in plan.scenarios]
                or ["No objection responses in the knowledge base (see the notes)."]),
        Section("Value story", [line for line in (
            f"Why buyers choose us: {plan.value_story.why_us}" if plan.value_story.why_us else "Why buyers choose us: no value drivers in the knowledge base.",
            f"Their need: {plan.value_story.their_need}",
            f"How we solve it: {plan.value_story.how_we_solve}{_cite(plan.value_story.sources)}" if plan.value_story.how_we_solve else None) if line]),
        Section("Content for the buyer", [c.text + _cite(c.sources) for c in plan.content_to_send] or ["Nothing found in the knowledge base."]),
    ]
    return Outline(f"Pre-call plan: {deal.account or deal.name or 'deal'} ({deal.id}), {plan.call_type} call", _meta(head), sections + _closing(plan))


def debrief_outline(debrief: Any) -> Outline:
    """The outline of a :class:`~coachgen.artifacts.debrief.Debrief`."""
    deal = debrief.deal
    sections = [
        _deciding_section(debrief.deciding_issue),
        Section("Deal", [f"Stage: {deal.stage} ({deal.status})", f"Plan objective: {debrief.plan_objective or 'no plan was stored'}",
                         f"Call notes: {debrief.call_notes or 'none given'}"]),
        Section("Debrief questions", [f"{q.topic}: {q.question}{_cite(q.sources)}{_drafted(debrief.header, f'questions[{i}]')}"
                                      for i, q in enumerate(debrief.questions)], numbered=True),
        *_outcome_sections(debrief),
        Section("MEDDPICC since the plan", [f"{c.element}: {c.before} -> {c.now}" + (f" (\"{c.evidence}\")" if c.evidence else "")
                                            for c in debrief.meddpicc_changes]),
        Section("Skill behind the stumbles", [f"\"{s.stumble}\" ({s.objection}): practise with {s.module.text}{_cite(s.module.sources)}"
                                              for s in debrief.skills] or ["No objection of the knowledge base in the call notes."]),
        Section("Check-in", [f"Agree one change and check in on {debrief.check_in}."]),
    ]
    return Outline(f"Debrief: {deal.account or deal.name or 'deal'} ({deal.id})", _meta(debrief.header), sections + _closing(debrief))


def _attendee(person: Any) -> str:
    new = f" NEW: not among the deal's contacts, add them if right (\"{person.evidence}\")" if person.new else ""
    return f"{person.name} ({person.role}){new}"


def _step(step: Any) -> str:
    when = f"by {step.when}" + (f" ({step.due})" if step.due else "") if step.dated else "no date agreed: agree one"
    return f"{step.step} [owner: {step.owner}; {when}]"


def _concession(given: Any) -> str:
    return f"Traded: \"{given.sentence}\" (in return: \"{given.got}\")" if given.traded else f"Given for nothing back: \"{given.sentence}\""


def _outcome_sections(debrief: Any) -> list[Section]:
    """Who was on the call, the next steps agreed and the concessions made, from the new call notes."""
    if not debrief.call_notes:
        return []
    return [
        Section("Who was on the call", [_attendee(p) for p in debrief.attendees] or ["The notes name nobody: who was on the call?"]),
        Section("Next steps agreed", [_step(s) for s in debrief.next_steps] or ["The notes record no next step: what did the buyer agree to, by when?"]),
        Section("Concessions", [_concession(c) for c in debrief.concessions] or ["None recorded in the notes."]),
    ]


def _last_call_section(plan: Any) -> list[Section]:
    """What the deal's last recorded call settled (its debrief's reading): who came, what was agreed by when, what was given."""
    call = plan.last_call
    if call is None:
        return []
    day = (call.recorded_at or "")[:10]
    lines = ([f"On the call: {_attendee(p)}" for p in call.attendees] + [f"Agreed: {_step(s)}" for s in call.next_steps]
             + [_concession(c) for c in call.concessions])
    return [Section(f"From the last call ({day})" if day else "From the last call",
                    lines or ["Its notes name no attendee, next step or concession."])]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def _summary(m: dict[str, Any]) -> str:
    coverage = "n/a" if m["coverage"] is None else f"{m['coverage']:.1f}x"
    cycle = "n/a" if m["median_cycle_days"] is None else f"{m['median_cycle_days']:.0f} d"
    code = m.get("currency")
    return (f"won {_money(m['won_amount'], code)} ({m['won_count']} won, {m['lost_count']} lost), win rate {_pct(m['win_rate'])}, "
            f"pipeline in period {_money(m['pipeline_in_period'], code)}, coverage {coverage}, median cycle {cycle}, "
            f"average deal {_money(m['average_deal_size'], code)}, stuck {len(m['stuck'])}")


def _flag_counts(hygiene: list[Any]) -> str:
    counts: dict[str, int] = {}
    for deal in hygiene:
        for flag in deal.flags:
            kind = flag.split('"')[0].split(":")[0].split(" 20")[0].strip()
            counts[kind] = counts.get(kind, 0) + 1
    flagged = sum(1 for deal in hygiene if deal.flags)
    return f"{flagged} of {len(hygiene)} open deals flagged" + (": " + ", ".join(f"{n} {k}" for k, n in counts.items()) if counts else "")


def pipeline_outline(review: Any, detail: bool = False) -> Outline:
    """The outline of a :class:`~coachgen.artifacts.pipeline_review.PipelineReview`; ``detail`` adds every figure and flagged deal."""
    sections = []
    if review.team is not None:
        sections.append(Section("Team side by side", [f"{r.rep}: {_summary(r.metrics)}" for r in review.reps]
                                + [f"Team total: {_summary(review.team.metrics)}"]))
        sections.append(Section("Team reading", list(review.team.reading)))
    for rep in review.reps:
        m, code = rep.metrics, rep.metrics.get("currency")
        top = [f"Discuss: {d.id} {d.account} ({_money(d.amount, code)}, closes {d.close_date}): {'; '.join(d.flags) or 'stuck'}" for d in rep.top_deals]
        lines = [_summary(m), *[f"Reading: {line}" for line in rep.reading], *top, f"Hygiene: {_flag_counts(rep.hygiene)}"]
        if detail:
            lines += [
                f"Quota for {m['period']}: {_money(m['quota_period'], code)}; remaining {_money(m['remaining_quota'], code)}",
                "Open pipeline by stage: " + (", ".join(f"{stage} {int(v['count'])} ({_money(v['amount'], code)})" for stage, v in m["open_by_stage"].items()) or "none"),
                "Stage conversion: " + (", ".join(f"{step} {_pct(rate)}" for step, rate in m["conversion"].items()) or "n/a"),
                *[f"Stuck: {s['id']} {s['account']} ({s['stage']}, {_money(s['amount'], code)}): {s['reason']}" for s in m["stuck"][:10]],
                *[f"Flagged: {d.id} {d.account} ({_money(d.amount, code)}): {'; '.join(d.flags)}" for d in rep.hygiene if d.flags][:25],
            ]
        sections.append(Section(f"{rep.rep}", lines + [f"Ask: {q}" for q in rep.questions]))
    if review.notes:
        sections.append(Section("Notes", list(review.notes)))
    meta = [f"as of {review.as_of} | period {review.period} | scope {review.scope}" + ("" if detail else " | --detail for every figure")]
    return Outline(f"Pipeline review: {review.scope}, {review.period}", meta, sections)


def agenda_outline(agenda: Any) -> Outline:
    """The outline of a :class:`~coachgen.artifacts.agenda.TeamAgenda`."""
    total = sum(block.minutes for block in agenda.blocks)
    sections = [Section(f"{block.title} ({block.minutes} min)", [line + (_cite(block.sources) if i == 0 else "") for i, line in enumerate(block.lines)])
                for block in agenda.blocks]
    sections.append(Section("Sources", [f"[{s.number}] {s.file} > {s.section.split(' > ', 1)[-1]}" for s in agenda.sources] or ["none"]))
    return Outline(f"Weekly sales meeting: {agenda.team}, week of {agenda.week}", [f"{len(agenda.reps)} reps | {total} minutes"], sections)


def cadence_outline(rows: list[Any], month: Any, ranked: list[Any] | None = None, notes: list[str] | None = None) -> Outline:
    """The outline of a coaching-cadence table (:func:`coachgen.cadence.cadence`), with the rolling ranking by need
    (:func:`coachgen.cadence.priorities`) when given."""
    label = month.strftime("%Y-%m")
    lines = [f"{r.rep}: {r.hours:.1f} h of {r.target:.0f}{' (UNDER)' if r.under_coached else ''}; trend "
             + " -> ".join(f"{h:.1f}" for h in r.trend) for r in rows]
    under = [r.rep for r in rows if r.under_coached]
    sections = [Section("Hours per rep", lines or ["No reps."]), Section("Under-coached", under or ["Nobody."])]
    if ranked is not None:
        sections.append(Section("Who to coach next (last 30 days, by need)",
                                [f"{p.rep}: {p.hours:.1f} h{' (UNDER)' if p.under_coached else ''}; {p.reason}" for p in ranked] or ["No reps."]))
        sections.append(Section("Watch out", list(notes or [])))
    return Outline(f"Coaching cadence: {label}", ["target: 3 hours per rep per month"], sections)


def _rubric_lines(rubric: Any) -> list[str]:
    lines = [f"{c.name} (weight {w:.0%}): 5 = {c.levels[5]} 1 = {c.levels[1]}" for c, w in zip(rubric.criteria, rubric.weights().values())]
    lines.append(f"Pass mark: {rubric.pass_mark:g} of 5 (weighted average)")
    lines += [f"Blocker, fails the attempt: {b.description}" for b in rubric.blockers]
    return lines


def drill_outline(drill: Any) -> Outline:
    """The outline of a :class:`~coachgen.artifacts.drill.Drill`."""
    sections = []
    for number, card in enumerate(drill.cards, 1):
        drafted = _drafted(drill.header, f"cards[{number - 1}].buyer_line")
        persona = f"{card.persona.name} ({card.persona.role}" + (f", {card.persona.account}" if card.persona.account else "") + ")"
        items = [f"Why this one: {card.why}", f"Buyer: {persona}", f"Situation: {card.situation}", f"They say: \"{card.buyer_line}\"{drafted}",
                 f"Difficulty {card.difficulty}" + (f"; then they push back: {' / '.join(card.pushbacks)}" if card.pushbacks else "")]
        items += [f"A strong answer: {line.text}{_cite(line.sources)}" for line in card.strong_answer]
        sections.append(Section(f"Card {number}: {card.objection}", items))
    sections.append(Section(f"Rubric: {drill.rubric.title} (version {drill.rubric.version})", _rubric_lines(drill.rubric)))
    title = f"Objection drills{' for ' + drill.rep if drill.rep else ''}"
    return Outline(title, _meta(drill.header), sections + _closing(drill))


def session_outline(session: Any) -> Outline:
    """The outline of a :class:`~coachgen.artifacts.roleplay.DrillSession`."""
    sections = []
    for attempt in session.attempts:
        card = attempt.card
        sheet = attempt.scorecard
        verdict = "PASSED" if sheet.passed else "NOT PASSED"
        sections.append(Section(f"{card.objection} ({verdict}, {sheet.score:.1f} of 5)", [
            *[f"{'Buyer' if turn.speaker == 'buyer' else 'You'}: {turn.text}{DRAFTED if turn.by_model else ''}" for turn in attempt.transcript],
        ]))
        sections.append(Section("Scores", [
            f"{c.name}: {c.score:g} ({c.by})" + (f" - you said \"{c.evidence}\"" if c.evidence else " - nothing in your answers shows it")
            for c in sheet.criteria
        ] + [f"Blocker: {b.description} You said \"{b.evidence}\"" for b in sheet.blockers]))
        extremes = [f"Your strongest sentence: \"{sheet.strongest}\"" if sheet.strongest else None,
                    f"Your weakest sentence: \"{sheet.weakest}\"" if sheet.weakest else None]
        sections.append(Section("Feedback", [f"Keep: {sheet.keep}", f"Start: {sheet.start}", f"Stop: {sheet.stop}",
                                             *[line for line in extremes if line],
                                             *[f"Practise with: {m.text}{_cite(m.sources)}" for m in attempt.practise],
                                             f"This objection comes back on {attempt.next_due}.", *sheet.notes]))
    title = f"Drill session: {session.rep} (rubric {session.rubric_id} {session.rubric_version})"
    return Outline(title, _meta(session.header), sections + _closing(session))


def rep_train_outline(plan: Any) -> Outline:
    """The development plan written to the rep (``train --for rep``): what they do well, the one skill, what we do together.

    The manager's diagnosis (skill or will), mixed evidence and how to gather more stay in the manager's version.
    """
    from coachgen.artifacts.development_plan import rep_actions

    kind = {"strong": "a strength", "weak": "to work on", "neutral": "no signal yet"}
    sections = [
        Section("A note from your manager" + _drafted(plan.header, "summary"), [plan.summary]),
        Section("What you do well (keep doing it; nothing is assigned for it)", list(plan.strengths) or ["Nothing stands out yet: the drills below will show it."]),
        Section("What the evidence shows", [f"{e.detail} ({kind[e.signal]})" for e in plan.evidence if e.source != "activity"] or ["No evidence yet."]),
    ]
    if plan.focus:
        sections += [
            Section(f"The one skill to work on next: {plan.focus}", [plan.diagnosis]),
            Section("Training", [m.text + _cite(m.sources) for m in plan.modules] or ["No training module in the knowledge base teaches it yet; ask your manager."]),
            Section("Your drills", list(plan.drills) + [f"Play them: coachgen drill --rep \"{plan.rep}\" --interactive"]),
            Section("What we do together", rep_actions(plan)),
            *([Section("What your lost deals teach", _lost_lines(plan.lost_deals))] if plan.lost_deals else []),
            Section("Your target", [f"{plan.target}, by {plan.target_date}"]),
            Section("Our check-ins", list(plan.check_ins)),
        ]
    else:
        sections.append(Section("Next", ["No skill needs extra work right now; keep drilling so it stays that way."]))
    return Outline(f"Your development plan, {plan.rep.split()[0] if plan.rep.split() else plan.rep} (as of {plan.as_of})", _meta(plan.header),
                   sections + _closing(plan))


def rep_debrief_outline(debrief: Any) -> Outline:
    """The debrief written to the rep (``debrief --for rep``): the questions to think through before the talk, and what to practise."""
    deal = debrief.deal
    sections = [
        _deciding_section(debrief.deciding_issue),
        Section("Think these through before we talk", [f"{q.question}{_cite(q.sources)}{_drafted(debrief.header, f'questions[{i}]')}"
                                                      for i, q in enumerate(debrief.questions)], numbered=True),
        Section("What to practise", [f"You wrote \"{s.stumble}\": practise {s.objection} with {s.module.text}{_cite(s.module.sources)}"
                                     for s in debrief.skills] or ["Nothing from this call; pick the drill you find hardest."]),
        *([Section("What you agreed next", [_step(s) for s in debrief.next_steps])] if debrief.next_steps else []),
        Section("What the call changed in the deal's qualification", [f"{c.element}: {c.before} -> {c.now}" for c in debrief.meddpicc_changes
                                                                      if c.before != c.now] or ["Nothing changed since the plan."]),
        Section("Our check-in", [f"We check in on {debrief.check_in} on the one change you choose."]),
    ]
    return Outline(f"Your debrief: {deal.account or deal.name or 'deal'} ({deal.id})", _meta(debrief.header), sections + _closing(debrief))


def _lost_lines(lost: list[Any]) -> list[str]:
    """One line per lost deal's reason and per lesson, with the skill it points to or the team's answer."""
    lines = []
    for item in lost:
        why = "; ".join(filter(None, [f"CRM reason: {item.crm_reason}" if item.crm_reason else None, item.reason])) or "the notes do not say why it was lost"
        lines.append(f"{item.deal} ({item.closed or 'date unknown'}): {why}")
        for lesson in item.lessons:
            tail = f" (skill: {lesson.skill})" if lesson.skill else f" The team's answer: {lesson.answer.text}{_cite(lesson.answer.sources)}" if lesson.answer else ""
            lines.append(f"{item.deal}, {lesson.kind}: \"{lesson.sentence}\"{tail}")
    return lines


def train_outline(plan: Any) -> Outline:
    """The outline of a :class:`~coachgen.artifacts.development_plan.DevelopmentPlan`."""
    sections = [
        Section("Summary" + _drafted(plan.header, "summary"), [plan.summary]),
        Section("Evidence", [f"{e.detail} [{e.signal}]" for e in plan.evidence] or ["No evidence yet."]),
        Section("Diagnosis", [plan.diagnosis]),
        Section("Already does well (not assigned)", list(plan.strengths) or ["Nothing shown as strong yet."]),
    ]
    if plan.mixed:
        sections.append(Section("Mixed evidence (watched, not assigned)", list(plan.mixed)))
    if plan.focus:
        sections += [
            Section(f"Training for {plan.focus}", [m.text + _cite(m.sources) for m in plan.modules] or ["No training module in the knowledge base teaches it."]),
            Section("Drills assigned", list(plan.drills)),
            Section("What the manager will do", list(plan.manager_actions)),
            Section("Target", [f"{plan.target}, by {plan.target_date}"]),
            Section("Check-ins", list(plan.check_ins)),
        ]
    if plan.lost_deals:
        sections.append(Section("Lessons from lost deals", _lost_lines(plan.lost_deals)))
    sections.append(Section("Skill or will", [plan.skill_or_will]))
    if plan.how_to_get_evidence:
        sections.append(Section("How to get more evidence", list(plan.how_to_get_evidence)))
    return Outline(f"Development plan: {plan.rep} (as of {plan.as_of})", _meta(plan.header), sections + _closing(plan))


DRAFTED = " (drafted by the model)"


def _drafted(head: Any, path: str) -> str:
    """The marker of a part the chat model wrote, else ''."""
    return DRAFTED if path in head.model_wrote else ""


def _meta(head: Any) -> list[str]:
    wrote = (f"drafted by the model (checked): {', '.join(head.model_wrote)}; everything else comes from records and sources"
             if head.model_wrote else "no part was written by a chat model: every line comes from records, sources and rules")
    return [f"model {head.model} | prompt {head.prompt_hash} | {head.generated_at} | tokens in {head.input_tokens}, out {head.output_tokens}",
            f"chunks: {', '.join(head.chunk_ids)}", wrote]


def _closing(artifact: Any) -> list[Section]:
    sections = [Section("Sources", [f"[{s.number}] {s.file} > {s.section.split(' > ', 1)[-1]}" + (f" (reviewed {s.reviewed})" if s.reviewed else "")
                                    + (" STALE" if s.stale else "") for s in artifact.sources])]
    return sections + ([Section("Notes", list(artifact.notes))] if artifact.notes else [])


#: What makes a line a Markdown block where it starts: heading, quote, list item, underline or break, fence, link definition.
_BLOCK_START = re.compile(r"#{1,6}(?:\s|$)|>|[-+*](?:\s|$)|(?:=+|-+|[-*_\s]{3,})$|```|~~~|\[[^\]]*\]:")
_ORDERED_START = re.compile(r"(\d{1,9})(?=[.)](?:\s|$))")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _md_text(text: str, continuation: str | None = "  ") -> str:
    """``text`` as Markdown that shows it literally; its lines stay in one block (``continuation`` indents them),
    or become one line when ``continuation`` is None (headings, meta lines)."""
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\\", "\\\\").replace("<", "\\<").replace("|", "\\|").replace("![", "!\\[").replace("](", "]\\(")
    lines = [" ".join(line.split()) for line in text.split("\n")] if continuation is not None else [" ".join(text.split())]
    escaped = []
    for line in filter(None, lines):
        ordered = _ORDERED_START.match(line)
        if ordered:  # "1. " and "1) " start a numbered list: escape the dot
            line = f"{ordered.group(1)}\\{line[ordered.end():]}"
        elif _BLOCK_START.match(line):
            line = "\\" + line
        escaped.append(line)
    return ("  \n" + (continuation or "")).join(escaped)


def to_markdown(outline: Outline) -> str:
    """Plain Markdown; every piece of text shows as text (see the module docstring)."""
    lines = [f"# {_md_text(outline.title, None)}", "", *[f"_{_md_text(line, None)}_  " for line in outline.meta], ""]
    for section in outline.sections:
        lines += [f"## {_md_text(section.title, None)}", ""]
        lines += [f"{n}. {_md_text(item, '   ')}" if section.numbered else f"- {_md_text(item)}" for n, item in enumerate(section.items, 1)]
        lines.append("")
    return "\n".join(lines)


_CSS = "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1d1d1f}" \
       "h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #ddd}.meta{color:#666;font-size:.85rem}"


def to_html(outline: Outline) -> str:
    """One self-contained HTML page; every piece of text is escaped."""
    esc = html.escape
    parts = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{esc(outline.title)}</title>",
             f"<style>{_CSS}</style></head><body>", f"<h1>{esc(outline.title)}</h1>"]
    parts += [f'<p class="meta">{esc(line)}</p>' for line in outline.meta]
    for section in outline.sections:
        tag = "ol" if section.numbered else "ul"
        parts.append(f"<h2>{esc(section.title)}</h2><{tag}>" + "".join(f"<li>{esc(item)}</li>" for item in section.items) + f"</{tag}>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(artifact: BaseModel, fmt: str, outline: Outline) -> str:
    """``artifact`` as md, json or html."""
    if fmt == "json":
        return artifact.model_dump_json(indent=2) + "\n"
    return to_html(outline) if fmt == "html" else to_markdown(outline)
