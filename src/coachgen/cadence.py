"""Coaching cadence: hours per rep per month against the 3-hour target, who is under-coached, the trend.

Teams whose managers coach about 3 hours per rep per month reach about 107% of target; this module
keeps the count honest. Months are calendar months; a rep on the roster (or, with no roster, owning an open deal) with no entries has 0 hours.

:func:`priorities` directs the next hours: reps under 3 hours in the rolling ``ROLLING_DAYS`` days, ranked by need
(how far the rep's win rate on closed deals sits below the rest of the team's; reps with fewer than ``MIN_CLOSED``
closed deals come after, need unknown), and names the trap of coaching the best rep most.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from coachgen.errors import InputError
from coachgen.metrics import period_of

if TYPE_CHECKING:
    from coachgen.records import Records

__all__ = ["COACHING_TYPES", "ROLLING_DAYS", "TARGET_HOURS", "Priority", "RepCadence", "cadence", "log_coaching", "priorities"]

TARGET_HOURS = 3.0
COACHING_TYPES = ("1on1", "call-prep", "debrief", "pipeline-review", "drill")
TREND_MONTHS = 3
ROLLING_DAYS = 30
MIN_CLOSED = 2  # closed deals before a win rate ranks a rep: a ranking of where to spend the next hour, not a verdict
TRAP = ("The trap: coaching the best rep most. Time with a top performer feels productive, but the hours move the "
        "team's number most where the gap is; give them to the reps at the top of this list.")


@dataclass(frozen=True)
class RepCadence:
    """One rep's coaching hours this month and in the months before it (oldest first)."""

    rep: str
    hours: float
    target: float
    under_coached: bool
    by_type: dict[str, float]
    trend: list[float]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def log_coaching(records: "Records", rep: str, minutes: int, kind: str, note: str | None = None, day: date | None = None) -> None:
    """Record coaching time; the rep must be on the roster or own a deal."""
    if kind not in COACHING_TYPES:
        raise InputError(f"--type '{kind}' is not one of {', '.join(COACHING_TYPES)}")
    if not 1 <= minutes <= 24 * 60:
        raise InputError("--minutes must be between 1 and 1440")
    records.log_coaching(records.rep_name(rep), (day or date.today()).isoformat(), minutes, kind, note)


def _month_hours(records: "Records", month_start: date) -> dict[str, dict[str, float]]:
    month = period_of(month_start, "month")
    hours: dict[str, dict[str, float]] = {}
    for entry in records.coaching(month.start.isoformat(), month.end.isoformat()):
        per_type = hours.setdefault(entry["rep"], {})
        per_type[entry["type"]] = per_type.get(entry["type"], 0.0) + entry["minutes"] / 60
    return hours


def cadence(records: "Records", month: date, manager: str | None = None) -> list[RepCadence]:
    """Every rep's coaching hours for the month holding ``month``, with the two months before as trend."""
    roster = [r for r in records.reps() if manager is None or (r["manager"] or "").lower() == manager.lower()]
    starts = [period_of(month, "month").start]
    for _ in range(TREND_MONTHS - 1):
        starts.insert(0, period_of(starts[0] - timedelta(days=1), "month").start)
    months = [_month_hours(records, start) for start in starts]
    # without a roster, the reps are those who own open deals: each still shows 0 hours rather than vanishing
    owners = {d["rep"] for d in records.deals(status="open") if d["rep"]} if manager is None and not roster else set()
    reps = sorted({r["rep"] for r in roster} | owners | (set(months[-1]) if manager is None else set()))
    result = []
    for rep in reps:
        current = months[-1].get(rep, {})
        hours = round(sum(current.values()), 2)
        result.append(RepCadence(rep, hours, TARGET_HOURS, hours < TARGET_HOURS, {k: round(v, 2) for k, v in sorted(current.items())},
                                 [round(sum(m.get(rep, {}).values()), 2) for m in months]))
    return result


@dataclass(frozen=True)
class Priority:
    """One rep's coaching hours over the rolling window and their need."""

    rep: str
    hours: float
    under_coached: bool
    win_rate: float | None
    team_win_rate: float | None
    need: float | None
    reason: str


def _win_rate(deals: list[dict[str, Any]]) -> tuple[float | None, int]:
    closed = [d for d in deals if d["status"] in ("won", "lost")]
    return (sum(d["status"] == "won" for d in closed) / len(closed) if len(closed) >= MIN_CLOSED else None), len(closed)


def priorities(records: "Records", as_of: date, manager: str | None = None) -> tuple[list[Priority], list[str]]:
    """Reps by coaching need over the rolling window (under-coached first), and notes naming the trap."""
    start = as_of - timedelta(days=ROLLING_DAYS - 1)
    hours: dict[str, float] = {}
    for entry in records.coaching(start.isoformat(), as_of.isoformat()):
        hours[entry["rep"]] = hours.get(entry["rep"], 0.0) + entry["minutes"] / 60
    reps = [row.rep for row in cadence(records, as_of, manager)]
    deals = records.deals()
    result = []
    for rep in reps:
        mine = [d for d in deals if (d["rep"] or "").lower() == rep.lower()]
        others = [d for d in deals if (d["rep"] or "").lower() != rep.lower() and (manager is None or d["rep"] in reps)]
        (rate, closed), (team, _) = _win_rate(mine), _win_rate(others)
        need = round(team - rate, 4) if rate is not None and team is not None else None
        reason = (f"win rate {rate:.0%} vs {team:.0%} for the rest of the team" if need is not None
                  else f"need unknown: {closed} closed deal(s), fewer than {MIN_CLOSED}")
        spent = round(hours.get(rep, 0.0), 2)
        result.append(Priority(rep, spent, spent < TARGET_HOURS * ROLLING_DAYS / 30, rate, team, need, reason))
    result.sort(key=lambda p: (not p.under_coached, p.need is None, -(p.need or 0), p.rep))
    notes = [TRAP]
    rated = [p for p in result if p.win_rate is not None]
    most = max(result, key=lambda p: p.hours, default=None)
    if rated and most is not None and most.hours > 0:
        best = max(rated, key=lambda p: p.win_rate or 0)
        neediest = next((p for p in result if p.under_coached and p.need is not None and p.need > 0), None)
        if most.rep == best.rep and neediest is not None and neediest.rep != best.rep:
            notes.insert(0, f"{best.rep} has the best win rate ({best.win_rate:.0%}) and got the most coaching ({most.hours:.1f} h in "
                            f"{ROLLING_DAYS} days) while {neediest.rep} got {neediest.hours:.1f} h: move hours to {neediest.rep}.")
    return result, notes
