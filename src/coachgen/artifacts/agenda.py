"""The weekly team meeting (``coachgen agenda``): results, pipeline cadence, stuck deals, news, one skill drill.

Built from records and the knowledge base only: wins and losses since last week's meeting, the team's
lead-measure reading, the stuck deals worth the team's time, announcements and product docs reviewed
in the last 30 days, and one skill topic: the one debriefs named most in the last 30 days, else the
objection the team's notes raise most, with the training module that teaches it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coachgen.artifacts.common import SourcePack, SourceRef, money
from coachgen.artifacts.grounding import cite, matched_objections, module_for_text
from coachgen.errors import NotFoundError
from coachgen.metrics import main_currency, rep_metrics, stuck_deals
from coachgen.process import knowledge_stages, resolve_process
from coachgen.retrieval import Filters

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["AgendaBlock", "TeamAgenda", "weekly_agenda"]

NEWS_DAYS = 30
BLOCK_MINUTES = {"Wins and losses": 10, "Pipeline cadence": 15, "Stuck deals": 15, "Product news": 5, "Skill drill": 15}


class AgendaBlock(BaseModel):
    title: str
    minutes: int = Field(description="Time box.")
    lines: list[str]
    sources: list[int] = Field(default_factory=list)


class TeamAgenda(BaseModel):
    """A weekly sales meeting agenda."""

    week: str
    team: str
    reps: list[str]
    blocks: list[AgendaBlock]
    sources: list[SourceRef]


def _skill(kb: "KnowledgeBase", deals: list[dict[str, Any]], week: date, pack: SourcePack) -> AgendaBlock:
    since = (week - timedelta(days=NEWS_DAYS)).isoformat()
    named = Counter()
    for text in kb.records.debriefs_since(since):  # a debrief counts once per module, however many stumbles it names
        named.update({skill["module"]["text"] for skill in json.loads(text).get("skills", [])})
    if named:
        module, count = named.most_common(1)[0]
        record = next((m for m in kb.knowledge.modules() if m.text == module), None)
        return AgendaBlock(title="Skill drill", minutes=BLOCK_MINUTES["Skill drill"],
                           lines=[f"{module}: named in {count} debrief(s) in the last {NEWS_DAYS} days."],
                           sources=cite(kb, record, pack) if record is not None else [])
    raised: Counter = Counter()
    for deal in deals:
        if deal["status"] == "open" and deal["notes"]:
            for plan in matched_objections(kb, kb.records.notes(deal["id"]), SourcePack()):
                raised[plan.objection] += 1
    if not raised:
        return AgendaBlock(title="Skill drill", minutes=BLOCK_MINUTES["Skill drill"], lines=["No debriefs or objections yet: pick a recent call to replay."])
    objection, count = raised.most_common(1)[0]
    module = module_for_text(kb, objection)
    line = f"Handling \"{objection}\" (raised in {count} open deal(s)): drill it in pairs"
    return AgendaBlock(title="Skill drill", minutes=BLOCK_MINUTES["Skill drill"],
                       lines=[line + (f" with {module.text}." if module is not None else ".")],
                       sources=cite(kb, module, pack) if module is not None else [])


def weekly_agenda(kb: "KnowledgeBase", manager: str | None = None, week: date | None = None) -> TeamAgenda:
    """The agenda for the team meeting in the week of ``week`` (default today)."""
    week = week or date.today()
    last = week - timedelta(days=7)
    roster = [r for r in kb.records.reps() if manager is None or (r["manager"] or "").lower() == manager.lower()]
    if manager is not None and not roster:
        raise NotFoundError(f"no reps report to '{manager}'; 'coachgen reps list' shows managers")
    names = {r["rep"] for r in roster} if manager else {r["rep"] for r in roster} | {d["rep"] for d in kb.records.deals() if d["rep"]}
    deals = [d for d in kb.records.deals() if d["rep"] in names]
    pack = SourcePack()
    closed = [d for d in deals if d["status"] in ("won", "lost") and d["close_date"] and last.isoformat() < d["close_date"] <= week.isoformat()]
    results = [f"{'Won' if d['status'] == 'won' else 'Lost'}: {d['account'] or d['name'] or d['id']} ({d['rep']}, {money(d['amount'], d.get('currency'))})"
               for d in closed]
    quotas = [r["quota"] for r in roster]
    process = resolve_process(kb.records.deals(), kb.settings, knowledge_stages(kb), week)
    limits = {"stuck_days": process.limits(), "activity_days": process.activity.value, "other_days": process.stuck_other.value}
    code = main_currency(deals)
    metrics = rep_metrics("team", deals, sum(q for q in quotas if q) if quotas and all(quotas) else None, week, order=process.order,
                          coverage_target=process.coverage.value, currency=code, **limits)
    cadence = [f"Won {money(metrics.won_amount, code)} in {metrics.period}; pipeline in period {money(metrics.pipeline_in_period, code)}"
               + (f", coverage {metrics.coverage:.1f}x" if metrics.coverage is not None else "")
               + (f", win rate {metrics.win_rate:.0%}" if metrics.win_rate is not None else "") + "."]
    stuck = [f"{s.account} ({s.id}, {money(s.amount, code)}): {s.reason}. What would have to be true for it to move this week?"
             for s in stuck_deals(deals, week, **limits)[:5]]
    news = []
    recent = (week - timedelta(days=NEWS_DAYS)).isoformat()
    for row in kb.catalog.documents():
        if row["kind"] in ("announcement", "product") and row["reviewed"] and recent <= row["reviewed"] <= week.isoformat() \
                and not (row["expires"] and row["expires"] < week.isoformat()):
            hits = kb.search_memo(row["title"], k=1, filters=Filters(kind=(row["kind"],)))
            numbers = [pack.add(hit) for hit in hits if hit.doc_key == row["key"]]
            news.append((f"{row['title']} (reviewed {row['reviewed']})", numbers))
    blocks = [
        AgendaBlock(title="Wins and losses", minutes=BLOCK_MINUTES["Wins and losses"], lines=results or ["No deals closed since last week."]),
        AgendaBlock(title="Pipeline cadence", minutes=BLOCK_MINUTES["Pipeline cadence"], lines=cadence),
        AgendaBlock(title="Stuck deals", minutes=BLOCK_MINUTES["Stuck deals"], lines=stuck or ["No stuck deals."]),
        AgendaBlock(title="Product news", minutes=BLOCK_MINUTES["Product news"], lines=[line for line, _ in news] or ["Nothing reviewed in the last 30 days."],
                    sources=[n for _, numbers in news for n in numbers]),
        _skill(kb, deals, week, pack),
    ]
    return TeamAgenda(week=week.isoformat(), team=manager or "all reps", reps=sorted(names), blocks=blocks, sources=pack.refs())
