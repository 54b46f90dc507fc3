"""Per-rep development plans (``coachgen train``): coach the one skill that holds a rep back, never a strength.

Evidence, each item tied to a skill and read as strong, weak or neutral:

- **Drills**: the rep's average per rubric criterion over the last ``DRILL_DAYS`` days (at least
  ``MIN_ATTEMPTS`` attempts): >= 4 strong, < 3 weak. Each criterion names its skill in the rubric.
- **Debriefs**: every stumble (the rep's own admission in the call notes, never a buyer's words) a stored
  debrief of the rep's deals traced to a training module is weak evidence for that module's skill.
- **Lost deals**: the rep's own miss in the notes of one of their recent closed-lost deals, tied to a skill
  (:mod:`coachgen.artifacts.lost_lessons`), is weak evidence for that skill, once per deal and skill; the
  plan lists every lost deal's reason and lessons, a buyer's concern with the team's answer.
- **Lead measures** against the rest of the team (the rep's manager's other reps, else everyone else), over all their deals:
  ``LEAD_SKILLS`` maps each measure to a skill. A rate at or under 0.8 x the team's is weak, at or over
  1.1 x strong (cycle time the other way round: >= 1.25 x weak, <= 0.9 x strong). Rates need at least
  ``MIN_CLOSED`` closed deals on both sides.

A skill with any strong evidence is a strength and is never assigned, even when other evidence is
weak (that is reported as mixed). The focus is the skill with the most weak evidence (ties: drills before debriefs and lost deals before lead measures,
then the widest gap). Activity
(share of open deals quiet for longer than the activity threshold, against the team's) decides the
skill-or-will note. No evidence at all gives no focus, only how to get some. Check-ins and the target date fall on the
team's working days (setting ``working_days``).
"""

from __future__ import annotations

import json
import re
import statistics
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from coachgen.artifacts.common import (
    ArtifactHeader,
    CitedText,
    SourcePack,
    SourceRef,
    as_langchain,
    money,
    stale_notes,
    utc_now,
    write_prose,
)
from coachgen.artifacts.drill import pick_objections, resolve_rubric, skill_module
from coachgen.artifacts.lost_lessons import LostDeal, lost_deals
from coachgen.metrics import conversion, main_currency, period_of
from coachgen.process import Process, is_open, knowledge_stages, resolve_process

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.prompts import PromptLibrary

__all__ = [
    "DRILL_DAYS", "LEAD_SKILLS", "MIN_ATTEMPTS", "MIN_CLOSED", "DevelopmentPlan", "Evidence", "check_in_calendar", "choose_focus",
    "plan_development", "rep_actions",
]

DRILL_DAYS = 90
MIN_ATTEMPTS = 2
MIN_CLOSED = 3
CHECK_IN_EVERY = 14
TARGET_DAYS = 42
LEAD_SKILLS = {
    "early conversion": "discovery",
    "mid-funnel conversion": "demo",
    "proposal conversion": "objection handling",
    "negotiation conversion": "negotiation",
    "win rate": "closing",
    "cycle time": "multithreading",
    "average deal size": "negotiation",
}
#: Conversion measures by the call type of a stage (its stage record, a setting, or the generic vocabulary): no stage names here.
_FUNNEL = {"discovery": "early conversion", "demo": "mid-funnel conversion", "evaluation": "mid-funnel conversion",
           "proposal": "proposal conversion", "negotiation": "negotiation conversion"}


class Evidence(BaseModel):
    source: Literal["drill", "debrief", "lost deal", "lead measure", "activity"]
    skill: str | None = Field(description="The skill it speaks to (None for activity).")
    signal: Literal["strong", "weak", "neutral"]
    detail: str
    rep_value: float | None = None
    team_value: float | None = None


class DevelopmentPlan(BaseModel):
    """A rep's development plan; the published schema of ``coachgen train --format json``."""

    header: ArtifactHeader
    rep: str
    as_of: str
    evidence: list[Evidence]
    focus: str | None = Field(description="The one skill to work on (None when the evidence shows no gap or there is none).")
    diagnosis: str
    strengths: list[str] = Field(description="Skills the evidence shows as strong: not assigned.")
    mixed: list[str] = Field(description="Skills with both strong and weak evidence: watched, not assigned.")
    modules: list[CitedText] = Field(description="Training modules that teach the focus skill.")
    drills: list[str] = Field(description="Drills assigned, as 'objection (why)'.")
    manager_actions: list[str]
    target: str | None
    target_date: str | None
    check_ins: list[str] = Field(description="Check-in dates (ISO), exportable with --ics.")
    skill_or_will: str
    summary: str = Field(description="A short note to the rep (the model's, checked; else written from the facts).")
    how_to_get_evidence: list[str]
    lost_deals: list[LostDeal] = Field(default_factory=list, description="The rep's recent closed-lost deals: why each was lost and its lessons.")
    sources: list[SourceRef]
    notes: list[str]


class SummaryDraft(BaseModel):
    """What the model writes: a short note to the rep."""

    note: str = Field(min_length=10, max_length=700, description="Two or three sentences to the rep.")


def _ratio_signal(rep: float, team: float, higher_is_better: bool = True) -> str:
    if team <= 0:
        return "neutral"
    ratio = rep / team
    if higher_is_better:
        return "weak" if ratio <= 0.8 else "strong" if ratio >= 1.1 else "neutral"
    return "weak" if ratio >= 1.25 else "strong" if ratio <= 0.9 else "neutral"


def _drill_evidence(kb: "KnowledgeBase", rep: str, as_of: date) -> list[Evidence]:
    rubric, _ = resolve_rubric(kb)
    since = (as_of - timedelta(days=DRILL_DAYS)).isoformat()
    attempts = [a for a in kb.records.attempts(rep) if since <= a["created_at"][:10] <= as_of.isoformat()]
    by_skill: dict[str, list[float]] = {}
    names: dict[str, set[str]] = {}
    for attempt in attempts:
        for item in json.loads(attempt["scorecard"])["criteria"]:
            skill = next((c.skill for c in rubric.criteria if c.id == item["criterion"]), None)
            if skill:
                by_skill.setdefault(skill, []).append(item["score"])
                names.setdefault(skill, set()).add(item["name"])
    evidence = []
    for skill, scores in sorted(by_skill.items()):
        average = statistics.mean(scores)
        enough = len(attempts) >= MIN_ATTEMPTS
        signal = ("strong" if average >= 4 else "weak" if average < 3 else "neutral") if enough else "neutral"
        detail = f"drills: average {average:.1f} of 5 on {', '.join(sorted(names[skill]))} over {len(attempts)} attempt(s) in {DRILL_DAYS} days"
        evidence.append(Evidence(source="drill", skill=skill, signal=signal, rep_value=round(average, 2),
                                 detail=detail + ("" if enough else f" (fewer than {MIN_ATTEMPTS}: not judged)")))
    return evidence


def _debrief_evidence(kb: "KnowledgeBase", rep: str) -> list[Evidence]:
    deal_ids = {d["id"] for d in kb.records.deals(rep=rep)}
    modules = {module.text: module for module in kb.knowledge.modules()}
    evidence = []
    for row in kb.db.execute("SELECT deal_id, created_at, debrief FROM debriefs ORDER BY created_at"):
        if row["deal_id"] not in deal_ids:
            continue
        for skill in json.loads(row["debrief"]).get("skills", []):
            module = modules.get(skill["module"]["text"])
            skills = [module.skill.lower()] if module is not None and module.skill else []
            if skills:
                evidence.append(Evidence(source="debrief", skill=skills[0], signal="weak",
                                         detail=f"debrief of {row['deal_id']} ({row['created_at'][:10]}): the rep's own words \"{skill['stumble']}\""))
    return evidence


def _lost_evidence(lost: list[LostDeal]) -> list[Evidence]:
    """The rep's own misses in lost deals, as weak evidence for the skill each names: one item per deal and skill."""
    evidence: dict[tuple[str, str], Evidence] = {}
    for item in lost:
        for lesson in item.lessons:
            if lesson.kind == "own miss" and lesson.skill and (item.deal, lesson.skill) not in evidence:
                evidence[(item.deal, lesson.skill)] = Evidence(source="lost deal", skill=lesson.skill, signal="weak",
                                                               detail=f"lost deal {item.deal} ({item.closed or 'date unknown'}): \"{lesson.sentence}\"")
    return list(evidence.values())


def _missing(kb: "KnowledgeBase", focus: str | None, modules: list[CitedText]) -> list[str]:
    """A note when the plan cannot point to a training module because the knowledge base has none for it."""
    from coachgen.knowledge.profile import missing_note

    if not kb.knowledge.modules():
        return [missing_note("training_module", "the plan cannot assign a training module")]
    if focus is not None and not modules:
        return [f"No training module in the knowledge base teaches {focus}: add one whose title or front matter 'skills' names it."]
    return []


def _closed_rates(deals: list[dict[str, Any]]) -> dict[str, float | None]:
    won = [d for d in deals if d["status"] == "won"]
    closed = [d for d in deals if d["status"] in ("won", "lost")]
    cycles = [(date.fromisoformat(d["close_date"]) - date.fromisoformat(d["created"])).days for d in won if d.get("close_date") and d.get("created")]
    sizes = [d["amount"] for d in won if d.get("amount") is not None]
    enough = len(closed) >= MIN_CLOSED
    return {
        "win rate": len(won) / len(closed) if enough else None,
        "cycle time": float(statistics.median(cycles)) if enough and cycles else None,
        "average deal size": statistics.mean(sizes) if enough and sizes else None,
        "closed": float(len(closed)),
    }


def _stage_group(rates: dict[str, float | None], stages: tuple[str, ...]) -> float | None:
    values = [value for step, value in rates.items() if step.split("->")[0] in stages and value is not None]
    return statistics.mean(values) if values else None


def _lead_evidence(rep_deals: list[dict[str, Any]], team_deals: list[dict[str, Any]], process: Process) -> list[Evidence]:
    evidence = []
    rep_rates, team_rates = _closed_rates(rep_deals), _closed_rates(team_deals)
    closed_note = f" ({int(rep_rates['closed'])} closed deals vs the team's {int(team_rates['closed'])})"
    for measure in ("win rate", "cycle time", "average deal size"):
        mine, theirs = rep_rates[measure], team_rates[measure]
        if mine is None or theirs is None:
            continue
        signal = _ratio_signal(mine, theirs, higher_is_better=measure != "cycle time")
        shown = (f"{mine:.0%} vs team {theirs:.0%}" if measure == "win rate" else f"{mine:.0f} days vs team {theirs:.0f}" if measure == "cycle time"
                 else f"{money(mine, main_currency(team_deals))} vs team {money(theirs, main_currency(team_deals))}")
        evidence.append(Evidence(source="lead measure", skill=LEAD_SKILLS[measure], signal=signal, rep_value=round(mine, 4),
                                 team_value=round(theirs, 4), detail=f"{measure}: {shown}{closed_note}"))
    if len(rep_deals) >= 5:
        mine_conv, team_conv = conversion(rep_deals, process.order), conversion(team_deals, process.order)
        for measure in dict.fromkeys(_FUNNEL.values()):
            stages = tuple(s for s in process.order if _FUNNEL.get(process.call_type(s)) == measure)
            mine, theirs = _stage_group(mine_conv, stages), _stage_group(team_conv, stages)
            if mine is None or theirs is None:
                continue
            evidence.append(Evidence(source="lead measure", skill=LEAD_SKILLS[measure], signal=_ratio_signal(mine, theirs),
                                     rep_value=round(mine, 4), team_value=round(theirs, 4),
                                     detail=f"{measure} ({'/'.join(s for s in stages if any(k.startswith(s) for k in mine_conv))}): {mine:.0%} vs team {theirs:.0%}"))
    return evidence


def _activity(process: Process, rep_deals: list[dict[str, Any]], team_deals: list[dict[str, Any]], as_of: date) -> Evidence | None:
    limit = process.activity.value

    def quiet_share(deals: list[dict[str, Any]]) -> float | None:
        open_deals = [d for d in deals if is_open(d)]
        dated = [d for d in open_deals if d.get("last_activity")]
        if not dated:
            return None
        return sum(1 for d in dated if (as_of - date.fromisoformat(d["last_activity"])).days > limit) / len(dated)

    mine, theirs = quiet_share(rep_deals), quiet_share(team_deals)
    if mine is None or theirs is None:
        return None
    low = mine >= 0.5 and mine >= 2 * theirs
    return Evidence(source="activity", skill=None, signal="weak" if low else "neutral", rep_value=round(mine, 4), team_value=round(theirs, 4),
                    detail=f"activity: {mine:.0%} of open deals quiet for over {limit} days vs team {theirs:.0%}")


def _gap(item: Evidence) -> float:
    """How far below par a weak item is: the shortfall against the team, or below a drill score of 3."""
    if item.source == "drill" and item.rep_value is not None:
        return (3 - item.rep_value) / 2
    if item.rep_value is not None and item.team_value:
        ratio = item.rep_value / item.team_value
        return ratio - 1 if item.detail.startswith("cycle time") else 1 - ratio
    return 0.0


def choose_focus(evidence: list[Evidence]) -> tuple[str | None, list[str], list[str]]:
    """The focus skill, the strengths and the mixed skills, by the rules of the module docstring."""
    skills: dict[str, list[Evidence]] = {}
    for item in evidence:
        if item.skill:
            skills.setdefault(item.skill, []).append(item)
    strengths = sorted(s for s, items in skills.items() if any(i.signal == "strong" for i in items))
    mixed = sorted(s for s in strengths if any(i.signal == "weak" for i in skills[s]))
    order = {"drill": 0, "debrief": 1, "lost deal": 1, "lead measure": 2}
    candidates = [(sum(i.signal == "weak" for i in items), -min(order[i.source] for i in items if i.signal == "weak"),
                   max(_gap(i) for i in items if i.signal == "weak"), s)
                  for s, items in skills.items() if s not in strengths and any(i.signal == "weak" for i in items)]
    focus = max(candidates)[3] if candidates else None
    return focus, [s for s in strengths if s not in mixed], mixed


def _team_deals(kb: "KnowledgeBase", rep: str) -> list[dict[str, Any]]:
    """The deals of the rep's team WITHOUT the rep (the manager's other reps, else everyone else): a rep is never compared with themself."""
    roster = {r["rep"]: r for r in kb.records.reps()}
    manager = (roster.get(rep) or {}).get("manager")
    members = {name for name, row in roster.items() if manager and row.get("manager") == manager} or None
    return [d for d in kb.records.deals() if (members is None or d["rep"] in members) and (d["rep"] or "").lower() != rep.lower()]


def _target(rep: str, focus: str, evidence: list[Evidence], as_of: date) -> tuple[str, date]:
    weak = [i for i in evidence if i.skill == focus and i.signal == "weak"]
    first = min(weak, key=lambda i: {"drill": 0, "lead measure": 1, "debrief": 2, "lost deal": 2}[i.source])
    if first.source == "drill":
        return f"average 4.0 or more on {focus} criteria over the next 3 drill attempts (now {first.rep_value:.1f})", as_of + timedelta(days=TARGET_DAYS)
    if first.source == "lead measure":
        measure = first.detail.split(":", 1)[0]
        end = period_of(period_of(as_of).end + timedelta(days=1)).end
        shown = (lambda v: f"{v:.0%}") if "conversion" in measure or measure == "win rate" else \
            (lambda v: f"{v:.0f} days") if measure == "cycle time" else money
        return f"{measure} from {shown(first.rep_value)} to the team's {shown(first.team_value)}", end
    return f"no stumble on {focus} in the next 3 debriefs", as_of + timedelta(days=TARGET_DAYS)


def _actions(rep: str, focus: str, evidence: list[Evidence]) -> list[str]:
    sources = {i.source for i in evidence if i.skill == focus and i.signal == "weak"}
    actions = []
    if "drill" in sources:
        actions.append(f"Run the assigned drills with {rep} in your weekly 1:1 (coachgen drill --rep \"{rep}\" --interactive) and compare the scores.")
    if "lead measure" in sources:
        actions.append(f"Review {rep}'s deals at the weak stage together each week, deal by deal (coachgen pipeline \"{rep}\").")
    if "lost deal" in sources:
        actions.append(f"Go through {rep}'s lost deals below with them: what the notes say went wrong, and what {focus} would have changed.")
    if "debrief" in sources or not actions:
        actions.append(f"Join {rep}'s next call where {focus} matters; plan it together before (coachgen prep) and debrief it the same day (coachgen debrief).")
    actions.append(f"Spend about 3 hours coaching {rep} this month and log it (coachgen coach log \"{rep}\" --minutes N --type 1on1).")
    return actions


def rep_actions(plan: "DevelopmentPlan") -> list[str]:
    """What the rep and their manager do together, told to the rep (the manager's actions, from the same evidence)."""
    if plan.focus is None:
        return []
    sources = {i.source for i in plan.evidence if i.skill == plan.focus and i.signal == "weak"}
    actions = []
    if "drill" in sources:
        actions.append(f"Play the assigned drills before our weekly 1:1 (coachgen drill --rep \"{plan.rep}\" --interactive); we compare the scores there.")
    if "lead measure" in sources:
        actions.append("Bring your deals at the weak stage to our weekly review; we go through them one by one.")
    if "lost deal" in sources:
        actions.append("We go through your lost deals together: what the notes say, and what we would both do differently.")
    if "debrief" in sources or not actions:
        actions.append(f"I join your next call where {plan.focus} matters: we plan it together before and debrief it the same day.")
    return actions


def _will_note(focus: str | None, activity: Evidence | None) -> str:
    low = activity is not None and activity.signal == "weak"
    if low and focus is None:
        return ("Will, not skill: the skills evidence shows no gap but activity is low (" + activity.detail.split(": ", 1)[1] +  # type: ignore[union-attr]
                "). Have a conversation about motivation and what gets in the way before any course.")
    if low:
        return (f"Skill and will: a gap in {focus}, and activity is low (" + activity.detail.split(": ", 1)[1] +  # type: ignore[union-attr]
                "). Start with a conversation about what gets in the way, then the skill work.")
    if focus:
        return f"Skill: the gap is in {focus} while activity is in line with the team, so practice and training fit."
    return "No sign of a will problem: activity is in line with the team." if activity else "Activity cannot be judged: no open deals with a last-activity date."


def _fallback_summary(rep: str, focus: str | None, strengths: list[str], target: str | None) -> str:
    parts = [f"{rep.split()[0]}, you are strong at {', '.join(strengths)}: keep doing that."] if strengths else [f"{rep.split()[0]},"]
    parts.append("the evidence shows no single skill to work on right now." if focus is None
                 else f"the one skill to work on next is {focus}; the target is {target}.")
    if strengths:
        parts[1] = parts[1][0].upper() + parts[1][1:]
    return " ".join(parts)


def _summary(kb: "KnowledgeBase", model: Any, prompts: "PromptLibrary", rep: str, evidence: list[Evidence], focus: str | None,
             strengths: list[str], target: str | None, known: str) -> tuple[str, tuple[int, int], list[str], bool]:
    from coachgen.artifacts.drafts import draft_checker

    variables = {"rep": rep, "evidence": [i.detail for i in evidence], "focus": focus, "strengths": strengths, "target": target}
    messages = prompts.messages("train", variables)
    check = draft_checker(kb, "train", known=known, trusted=known, focus=focus, strengths=list(strengths))

    fallback = SummaryDraft.model_construct(note=_fallback_summary(rep, focus, strengths, target))
    draft, tokens, notes = write_prose(model, as_langchain(messages), SummaryDraft, check, fallback, "the note to the rep is written from the facts.")
    return " ".join(draft.note.split()), tokens, notes, draft is not fallback


def plan_development(kb: "KnowledgeBase", prompts: "PromptLibrary", rep: str, model: Any, model_name: str,
                     as_of: date | None = None) -> DevelopmentPlan:
    """A development plan for ``rep`` from drills, debriefs and lead measures, as the module docstring describes."""
    as_of = as_of or date.today()
    rep = kb.records.rep_name(rep)
    pack = SourcePack()
    rep_deals = kb.records.deals(rep=rep)
    team_deals = _team_deals(kb, rep)
    process = resolve_process(kb.records.deals(), kb.settings, knowledge_stages(kb), as_of)
    lost = lost_deals(kb, rep, as_of, pack)
    evidence = _drill_evidence(kb, rep, as_of) + _debrief_evidence(kb, rep) + _lost_evidence(lost) + _lead_evidence(rep_deals, team_deals, process)
    activity = _activity(process, rep_deals, team_deals, as_of)
    focus, strengths, mixed = choose_focus(evidence)
    judged = [i for i in evidence if i.signal != "neutral"]
    how_to: list[str] = []
    closed = sum(1 for d in rep_deals if d["status"] in ("won", "lost"))
    if not any(i.source == "drill" and i.signal != "neutral" for i in evidence):
        how_to.append(f"Run at least {MIN_ATTEMPTS} scored drills: coachgen drill --rep \"{rep}\" --interactive --count {MIN_ATTEMPTS}.")
    if not any(i.source == "debrief" for i in evidence):
        how_to.append(f"Debrief {rep}'s next calls with notes: coachgen debrief DEAL --notes \"...\".")
    if closed < MIN_CLOSED:
        how_to.append(f"Lead measures need {MIN_CLOSED} closed deals; {rep} has {closed}.")
    modules: list[CitedText] = []
    drills: list[str] = []
    target = target_date = None
    actions: list[str] = []
    check_ins: list[str] = []
    if focus is not None:
        diagnosis = f"Focus on {focus}: " + "; ".join(i.detail for i in judged if i.skill == focus and i.signal == "weak") + "."
        module = skill_module(kb, focus)
        if module is not None:
            modules.append(CitedText(text=module.title, sources=[pack.add(module)]))
        target, when = _target(rep, focus, evidence, as_of)
        when = kb.settings.on_working_day(when)
        target_date = when.isoformat()
        day = as_of + timedelta(days=7)
        while day <= when:
            check_ins.append(kb.settings.on_working_day(day).isoformat())
            day += timedelta(days=CHECK_IN_EVERY)
        check_ins = list(dict.fromkeys(c for c in check_ins if c <= target_date))
        if target_date not in check_ins:
            check_ins.append(target_date)
        drills = [f"{p.objection} ({p.why})" for p in pick_objections(kb, rep, count=3, today=as_of)]
        actions = _actions(rep, focus, evidence)
    elif judged:
        diagnosis = "No skill gap in the evidence: " + "; ".join(i.detail for i in judged) + "."
    else:
        diagnosis = f"No evidence yet for {rep}: no drill scores, debrief stumbles or lead measures that differ from the team. Nothing is assigned."
    will = _will_note(focus, activity)
    shown = evidence + ([activity] if activity else [])
    tokens, notes, by_model = (0, 0), [], False
    if judged:
        known = " ".join([rep, *(i.detail for i in shown), focus or "", target or "", target_date or "", *strengths])
        summary, tokens, notes, by_model = _summary(kb, model, prompts, rep, shown, focus, strengths, target, known)
    else:
        summary = _fallback_summary(rep, None, [], None)
    header = ArtifactHeader(artifact="train", model=model_name, prompt_hash=prompts.fingerprint("train"), chunk_ids=[h.id for h in pack.hits],
                            generated_at=utc_now(), input_tokens=tokens[0], output_tokens=tokens[1], model_wrote=["summary"] if by_model else [])
    return DevelopmentPlan(header=header, rep=rep, as_of=as_of.isoformat(), evidence=shown, focus=focus, diagnosis=diagnosis,
                           strengths=strengths, mixed=mixed, modules=modules, drills=drills, manager_actions=actions, target=target,
                           target_date=target_date, check_ins=check_ins, skill_or_will=will, summary=summary, how_to_get_evidence=how_to,
                           lost_deals=lost, sources=pack.refs(), notes=notes + _missing(kb, focus, modules) + stale_notes(pack))


def check_in_calendar(plan: DevelopmentPlan) -> str:
    """The plan's check-ins as an iCalendar file (``coachgen train --ics``, the web app's download); ``InputError`` with none."""
    from coachgen.calendar_ics import CalendarEvent, to_ics
    from coachgen.errors import InputError

    if not plan.check_ins:
        raise InputError(f"no check-ins to export: the plan for {plan.rep} assigns no focus yet")
    events = [CalendarEvent(date.fromisoformat(d), f"Coaching check-in: {plan.rep} ({plan.focus})", f"Target: {plan.target}, by {plan.target_date}.")
              for d in plan.check_ins]
    return to_ics(events, f"{plan.rep} development plan")
