"""Pipeline reviews on lead measures (``coachgen pipeline``): per rep, or a team side by side.

Every number comes from :mod:`coachgen.metrics`, with the process facts (stage order, stuck-after
days, activity window, coverage target) the team's own (:mod:`coachgen.process`); the review's notes say
where each fact came from. The reading turns the numbers into the lead measure a manager coaches from,
and the questions are about deals, not the person, so it is safe to say a deal has a problem.

For Monday: hygiene flags per open deal and the three deals with the most money at risk in the period
(:mod:`coachgen.artifacts.deal_hygiene`), commit and the gap to quota, "close this period?" asked only of
deals whose close date is in the period (a deal closing later is never pulled in), and always
"which deal are you least sure about?".
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coachgen.artifacts.common import money as money_in
from coachgen.artifacts.deal_hygiene import DealHygiene, deal_hygiene, money_at_risk
from coachgen.errors import InputError, NotFoundError
from coachgen.metrics import RepMetrics, main_currency, period_of, rep_metrics
from coachgen.process import Process, knowledge_stages, resolve_process, review_date

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["PipelineReview", "RepReview", "review_pipeline"]


class RepReview(BaseModel):
    rep: str
    metrics: dict[str, Any] = Field(description="Every figure, as defined in coachgen.metrics.")
    reading: list[str] = Field(description="What the lead measures say.")
    questions: list[str] = Field(description="Coaching questions framed around deals.")
    commit: float = Field(0.0, description="Won in the period plus open deals closing in it with no hygiene flag and not stuck.")
    gap_to_quota: float | None = Field(None, description="Period quota minus commit, not below 0; None when the quota is unknown.")
    top_deals: list[DealHygiene] = Field(default_factory=list, description="The three deals with the most money at risk in the period.")
    hygiene: list[DealHygiene] = Field(default_factory=list, description="Every open deal's hygiene flags.")


class PipelineReview(BaseModel):
    """A pipeline review; the JSON carries every number."""

    as_of: str
    period: str
    scope: str
    reps: list[RepReview]
    team: RepReview | None = None
    notes: list[str] = Field(default_factory=list, description="Where the review date and each process fact came from; stages nobody recognises.")


def _reading(m: RepMetrics, process: Process) -> list[str]:
    money = lambda value: money_in(value, m.currency)  # noqa: E731
    lines = []
    if m.quota_period is None:
        lines.append("Quota unknown: coverage and the pipeline needed cannot be computed; import the rep roster with a quota.")
    elif m.remaining_quota == 0:
        lines.append(f"Quota for {m.period} reached ({money(m.won_amount)} won against {money(m.quota_period)}).")
    elif m.win_rate is None:
        lines.append(f"No deals closed in {m.period} yet, so there is no win rate; coverage is {m.coverage:.1f}x the remaining {money(m.remaining_quota)}." if m.coverage is not None
                     else f"No deals closed in {m.period} yet.")
    elif m.pipeline_gap is not None and m.pipeline_gap > 0:
        lines.append(f"At a {m.win_rate:.0%} win rate you need {money(m.needed_pipeline)} of pipeline to close the remaining "
                     f"{money(m.remaining_quota)}; you have {money(m.pipeline_in_period)}, so {money(m.pipeline_gap)} more.")
    else:
        lines.append(f"At a {m.win_rate:.0%} win rate the {money(m.pipeline_in_period)} in {m.period} covers the remaining {money(m.remaining_quota)}.")
    if m.coverage is not None:
        lines.append(f"Coverage {m.coverage:.1f}x against a target of {process.coverage.value:.1f}x the remaining quota "
                     f"({process.coverage.origin()}).")
    if m.stuck:
        lines.append(f"{len(m.stuck)} open deals are stuck, worth {money(sum(s.amount or 0 for s in m.stuck))}.")
    weakest = min(((step, rate) for step, rate in m.conversion.items() if rate is not None), key=lambda pair: pair[1], default=None)
    if weakest:
        lines.append(f"Weakest stage conversion: {weakest[0]} at {weakest[1]:.0%}.")
    if m.previous and m.previous.get("win_rate") is not None and m.win_rate is not None:
        change = m.win_rate - m.previous["win_rate"]
        lines.append(f"Win rate {m.win_rate:.0%} against {m.previous['win_rate']:.0%} in {m.previous['period']} ({change:+.0%}).")
    if m.missing_amounts:
        lines.append(f"{m.missing_amounts} deals have no amount; they count as 0.")
    if m.missing_from_export:
        lines.append(f"{m.missing_from_export} deals are no longer in the latest export; they are left out of open pipeline.")
    return lines


LEAST_SURE = "Which deal are you least sure about, and what would make you sure?"


def _questions(m: RepMetrics, period_word: str, process: Process, top: list[DealHygiene], as_of: date) -> list[str]:
    """Questions about the deals at risk: "close this period?" only for a deal whose close date is in the period."""
    questions = []
    stuck = {s.id: s for s in m.stuck}
    for deal in top:
        if deal.close_date and deal.close_date < as_of.isoformat():
            questions.append(f"{deal.account}'s close date {deal.close_date} has passed: what is the real date, and what has the buyer committed to next?")
        else:
            questions.append(f"Will {deal.account} close by {deal.close_date} this {period_word}? What has the buyer committed to, and by when? "
                             f"({'; '.join(deal.flags) or stuck[deal.id].reason})")
        quiet = stuck.get(deal.id)
        if quiet and quiet.days_since_activity and quiet.days_since_activity > process.activity.value:
            questions.append(f"What has changed at {deal.account} since the last conversation, and who else there could we reach?")
    if m.pipeline_gap and m.pipeline_gap > 0:
        questions.append("Which accounts could produce the missing pipeline, and what first meeting would start each one?")
    return questions + [LEAST_SURE]


def _review(kb: "KnowledgeBase", rep: str, deals: list[dict[str, Any]], quota: float | None, as_of: date, period: str, process: Process,
            currency: str | None, notes: list[str]) -> RepReview:
    metrics = rep_metrics(rep, deals, quota, as_of, period, order=process.order, stuck_days=process.limits(),
                          activity_days=process.activity.value, other_days=process.stuck_other.value,
                          coverage_target=process.coverage.value, currency=currency)
    hygiene, missing = deal_hygiene(kb, deals, as_of, period_of(as_of, period), {s.id for s in metrics.stuck})
    notes += [note for note in missing if note not in notes]
    top = money_at_risk(hygiene)
    commit = metrics.won_amount + sum(h.amount or 0 for h in hygiene if h.in_period and not h.flags and not h.stuck)
    gap = max(metrics.quota_period - commit, 0.0) if metrics.quota_period else None
    reading = _reading(metrics, process)
    reading.insert(1, f"Commit {money_in(commit, currency)} (won plus clean deals closing in {metrics.period})"
                   + (f"; gap to quota {money_in(gap, currency)}." if gap is not None else
                      "; gap to quota unknown: import the rep roster with a quota column (coachgen reps import roster.csv)."))
    return RepReview(rep=rep, metrics=metrics.as_dict(), reading=reading, questions=_questions(metrics, period, process, top, as_of),
                     commit=commit, gap_to_quota=gap, top_deals=top, hygiene=hygiene)


def review_pipeline(kb: "KnowledgeBase", rep: str | None = None, team: bool = False, manager: str | None = None,
                    as_of: date | None = None, period: str = "quarter") -> PipelineReview:
    """A review of one rep, or of a manager's team (or everyone) with team totals."""
    if period not in ("quarter", "month"):
        raise InputError("--period must be quarter or month")
    all_deals = kb.records.deals()
    notes: list[str] = []
    if as_of is None:
        as_of, note = review_date(all_deals)
        notes += [note] if note else []
    process = resolve_process(all_deals, kb.settings, knowledge_stages(kb), as_of)
    notes += process.notes()
    currencies = {d["currency"] for d in all_deals if d.get("currency")}
    if len(currencies) > 1:
        notes.append(f"Amounts are in several currencies ({', '.join(sorted(currencies))}); sums add them as they are.")
    currency = main_currency(all_deals) or (kb.settings.currency.upper() if kb.settings.currency else None)
    limits = {"process": process, "currency": currency, "notes": notes}
    roster = {r["rep"]: r for r in kb.records.reps()}
    by_rep: dict[str, list[dict[str, Any]]] = {}
    for deal in all_deals:
        by_rep.setdefault(deal["rep"] or "unassigned", []).append(deal)
    if not team:
        if rep not in by_rep and rep not in roster:
            raise NotFoundError(f"no rep '{rep}' in the deals or the roster; 'coachgen reps list' shows them")
        quota = roster.get(rep, {}).get("quota")
        review = _review(kb, rep, by_rep.get(rep, []), quota, as_of, period, **limits)
        return PipelineReview(as_of=as_of.isoformat(), period=review.metrics["period"], scope=rep, reps=[review], notes=notes)
    members = sorted(r for r, row in roster.items() if manager is None or (row["manager"] or "").lower() == manager.lower())
    if manager is None:
        members = sorted(set(members) | set(by_rep))
    if not members:
        raise NotFoundError(f"no reps report to '{manager}'; 'coachgen reps list' shows managers")
    reviews = [_review(kb, name, by_rep.get(name, []), roster.get(name, {}).get("quota"), as_of, period, **limits) for name in members]
    quotas = [roster.get(name, {}).get("quota") for name in members]
    team_quota = sum(q for q in quotas if q) if all(quotas) else None
    team_deals = [deal for name in members for deal in by_rep.get(name, [])]
    totals = _review(kb, f"team {manager}" if manager else "all reps", team_deals, team_quota, as_of, period, **limits)
    return PipelineReview(as_of=as_of.isoformat(), period=totals.metrics["period"], scope=manager or "all reps", reps=reviews, team=totals,
                          notes=notes)

