"""All pipeline math, each figure defined once. Inputs are deal records as ``Records.deals`` returns them.

Definitions (``as_of`` is the day of the review; the period is the calendar quarter or month holding it):

- **Won / lost in a period**: status ``won`` / ``lost`` (from the stage's meaning) with a close date inside
  the period and not after ``as_of``. Deals without a close date are never counted as closed in a period.
- **Win rate**: won / (won + lost), counting deals closed in the period; ``None`` when none closed.
- **Open pipeline**: deals whose status is ``open``, grouped by stage, with their count and summed amount
  (a missing amount counts as 0 and is reported in ``missing_amounts``). A deal that a re-import of its
  export no longer held (``missing_since``) is not open pipeline; it is counted in ``missing_from_export``.
- **Pipeline in period**: open deals whose close date falls inside the period (or is already past: slipped
  deals still count, they are what the rep must close).
- **Quota for the period**: the rep's annual quota / 4 (quarter) or / 12 (month); ``None`` when unknown or 0.
- **Remaining quota**: period quota minus won amount in the period, not below 0.
- **Coverage**: pipeline in period / remaining quota; ``None`` when the quota is unknown or already met.
- **Cycle time**: close date minus created date, in days, of deals won in the period; the median is
  reported; deals without either date are left out.
- **Average deal size**: mean amount of deals won in the period.
- **Stage conversion**: with only each deal's current stage known, a deal is taken to have reached every
  stage up to its current one (a won deal reached them all; a lost deal only the first, since where it
  dropped is unknown). Conversion from stage *i* to *i+1* = deals that reached *i+1* / deals that reached *i*.
  Stages follow the process order (:mod:`coachgen.process`); a stage the order does not hold comes after
  the others, never dropped.
- **Stuck**: an open deal whose days in its current stage (since ``stage_changed``, else ``created``)
  exceed the stage's threshold, or whose days since ``last_activity`` exceed the activity window. The
  thresholds come from :mod:`coachgen.process` (the team's records, settings, data, or a labelled default).
- **Needed pipeline**: remaining quota / win rate; the **pipeline gap** is needed minus pipeline in period.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable, Mapping, Sequence

from coachgen.knowledge.defaults import load
from coachgen.process import as_day, is_open, resolve_process

__all__ = [
    "Period", "RepMetrics", "StuckDeal", "conversion", "main_currency", "period_of", "rep_metrics", "stage_rank", "stuck_deals",
]


@dataclass(frozen=True)
class Period:
    """A calendar quarter or month."""

    kind: str
    start: date
    end: date

    @property
    def label(self) -> str:
        """'2026-Q4' or '2026-11'."""
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}" if self.kind == "quarter" else self.start.strftime("%Y-%m")

    def previous(self) -> "Period":
        """The period before this one."""
        return period_of(self.start - timedelta(days=1), self.kind)


def period_of(day: date, kind: str = "quarter") -> Period:
    """The quarter or month holding ``day``."""
    if kind not in ("quarter", "month"):
        raise ValueError("period must be 'quarter' or 'month'")
    first_month = (day.month - 1) // 3 * 3 + 1 if kind == "quarter" else day.month
    start = date(day.year, first_month, 1)
    months = 3 if kind == "quarter" else 1
    next_month = first_month + months
    end = date(day.year + (next_month - 1) // 12, (next_month - 1) % 12 + 1, 1) - timedelta(days=1)
    return Period(kind, start, end)


_day = as_day


def _stage(deal: dict[str, Any]) -> str:
    return (deal.get("stage") or "").strip().lower()


@dataclass(frozen=True)
class StuckDeal:
    id: str
    account: str  # the account, else the deal's name, else its id
    stage: str | None
    amount: float | None
    days_in_stage: int | None
    days_since_activity: int | None
    reason: str


@dataclass
class RepMetrics:
    """Every number of one rep's (or a team's) review; ``None`` means 'cannot be known from the data'."""

    rep: str
    period: str
    quota_period: float | None
    won_count: int
    lost_count: int
    won_amount: float
    win_rate: float | None
    median_cycle_days: float | None
    average_deal_size: float | None
    open_by_stage: dict[str, dict[str, float]]
    open_amount: float
    pipeline_in_period: float
    remaining_quota: float | None
    coverage: float | None
    needed_pipeline: float | None
    pipeline_gap: float | None
    conversion: dict[str, float | None]
    stuck: list[StuckDeal] = field(default_factory=list)
    missing_amounts: int = 0
    previous: dict[str, Any] | None = None
    coverage_target: float | None = None
    currency: str | None = None
    missing_from_export: int = 0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready numbers."""
        return asdict(self)


def stage_rank(stage: str | None, order: Sequence[str]) -> int:
    """Position of a stage in the sales process; stages the order does not hold come after it."""
    lowered = (stage or "").strip().lower()
    return list(order).index(lowered) if lowered in order else len(order)


def conversion(deals: Iterable[dict[str, Any]], order: Sequence[str] | None = None) -> dict[str, float | None]:
    """Stage-to-stage conversion over the open stages present, as defined in the module docstring.

    ``order`` is the process order of lower-cased stage names (default: :func:`coachgen.process.resolve_process`).
    """
    deals = list(deals)
    order = list(order if order is not None else resolve_process(deals).order)
    present = sorted({_stage(d) for d in deals if is_open(d)}, key=lambda s: (stage_rank(s, order), s))
    if not present:
        return {}
    reached = {stage: 0 for stage in present}
    for deal in deals:
        if deal["status"] == "won":
            top = len(present) - 1
        elif deal["status"] == "lost":
            top = 0
        elif is_open(deal):
            top = present.index(_stage(deal))
        else:
            continue
        for stage in present[: top + 1]:
            reached[stage] += 1
    won = sum(1 for d in deals if d["status"] == "won")
    steps = list(zip(present, present[1:] + ["won"]))
    return {f"{a or '(no stage)'}->{b or '(no stage)'}": ((reached[b] if b != "won" else won) / reached[a] if reached[a] else None)
            for a, b in steps}


def stuck_deals(deals: Iterable[dict[str, Any]], as_of: date, stuck_days: Mapping[str, int] | None = None,
                activity_days: int | None = None, other_days: int | None = None) -> list[StuckDeal]:
    """Open deals over their stage's days-in-stage threshold or without activity for ``activity_days``.

    ``stuck_days`` maps lower-cased stage names to days; other stages use ``other_days``. Thresholds not
    given are the labelled defaults (``knowledge/defaults/process.yaml``); reviews pass the team's own
    from :func:`coachgen.process.resolve_process`.
    """
    defaults = load("process")
    thresholds = {key.lower(): days for key, days in (stuck_days or {}).items()}
    other = other_days or defaults["stuck_after_days"]
    activity = activity_days or defaults["activity_days"]
    found = []
    for deal in deals:
        if not is_open(deal):
            continue
        entered = _day(deal.get("stage_changed")) or _day(deal.get("created"))
        active = _day(deal.get("last_activity"))
        in_stage = (as_of - entered).days if entered else None
        quiet = (as_of - active).days if active else None
        limit = thresholds.get(_stage(deal), other)
        reasons = []
        if in_stage is not None and in_stage > limit:
            reasons.append(f"{in_stage} days in {deal['stage'] or 'its stage'} (limit {limit})")
        if quiet is not None and quiet > activity:
            reasons.append(f"no activity for {quiet} days")
        if reasons:
            label = deal.get("account") or deal.get("name") or deal["id"]
            found.append(StuckDeal(deal["id"], label, deal["stage"], deal.get("amount"), in_stage, quiet, "; ".join(reasons)))
    return sorted(found, key=lambda s: -(s.amount or 0))


def _closed_in(deals: list[dict[str, Any]], period: Period, as_of: date, status: str) -> list[dict[str, Any]]:
    last = min(period.end, as_of)
    return [d for d in deals if d["status"] == status and (c := _day(d.get("close_date"))) and period.start <= c <= last]


def closed_figures(deals: list[dict[str, Any]], period: Period, as_of: date) -> dict[str, Any]:
    """Won/lost counts, won amount, win rate, median cycle, average size for deals closed in the period."""
    won, lost = _closed_in(deals, period, as_of, "won"), _closed_in(deals, period, as_of, "lost")
    cycles = [(_day(d["close_date"]) - _day(d["created"])).days for d in won if _day(d.get("created"))]
    amounts = [d["amount"] for d in won if d.get("amount") is not None]
    return {
        "won_count": len(won), "lost_count": len(lost), "won_amount": float(sum(amounts)),
        "win_rate": len(won) / (len(won) + len(lost)) if won or lost else None,
        "median_cycle_days": float(statistics.median(cycles)) if cycles else None,
        "average_deal_size": sum(amounts) / len(amounts) if amounts else None,
    }


def rep_metrics(rep: str, deals: list[dict[str, Any]], annual_quota: float | None, as_of: date, kind: str = "quarter",
                order: Sequence[str] | None = None, stuck_days: Mapping[str, int] | None = None,
                activity_days: int | None = None, other_days: int | None = None, coverage_target: float | None = None,
                currency: str | None = None) -> RepMetrics:
    """Every figure of the module docstring for one rep (or a team, given its deals and summed quota)."""
    period = period_of(as_of, kind)
    closed = closed_figures(deals, period, as_of)
    open_deals = [d for d in deals if is_open(d)]
    order = list(order if order is not None else resolve_process(deals, as_of=as_of).order)
    by_stage: dict[str, dict[str, float]] = {}
    for deal in sorted(open_deals, key=lambda d: stage_rank(d["stage"], order)):
        slot = by_stage.setdefault(deal["stage"] or "(no stage)", {"count": 0, "amount": 0.0})
        slot["count"] += 1
        slot["amount"] += deal.get("amount") or 0.0
    in_period = [d for d in open_deals if (c := _day(d.get("close_date"))) and c <= period.end]
    pipeline = float(sum(d.get("amount") or 0.0 for d in in_period))
    quota = annual_quota / (4 if kind == "quarter" else 12) if annual_quota else None
    remaining = max(quota - closed["won_amount"], 0.0) if quota else None
    coverage = pipeline / remaining if remaining else None
    needed = remaining / closed["win_rate"] if remaining and closed["win_rate"] else None
    previous = closed_figures(deals, period.previous(), period.previous().end)
    return RepMetrics(
        rep=rep, period=period.label, quota_period=quota, **closed, open_by_stage=by_stage,
        open_amount=float(sum(d.get("amount") or 0.0 for d in open_deals)), pipeline_in_period=pipeline,
        remaining_quota=remaining, coverage=coverage, needed_pipeline=needed,
        pipeline_gap=(needed - pipeline) if needed is not None else None, conversion=conversion(deals, order),
        stuck=stuck_deals(deals, as_of, stuck_days, activity_days, other_days),
        missing_amounts=sum(1 for d in deals if d.get("amount") is None and (is_open(d) or d["status"] != "open")),
        previous={"period": period.previous().label, **previous}, coverage_target=coverage_target,
        currency=currency if currency is not None else main_currency(deals),
        missing_from_export=sum(1 for d in deals if d.get("missing_since")),
    )


def main_currency(deals: Iterable[dict[str, Any]]) -> str | None:
    """The currency most of the deals' amounts are in."""
    counts: dict[str, int] = {}
    for deal in deals:
        if deal.get("currency"):
            counts[deal["currency"]] = counts.get(deal["currency"], 0) + 1
    return max(counts, key=lambda code: counts[code]) if counts else None
