"""Coaching cadence: hours per rep per month against the 3-hour target, who is under-coached, the trend.

Teams whose managers coach about 3 hours per rep per month reach about 107% of target; this module
keeps the count honest. Months are calendar months; a rep on the roster (or, with no roster, owning an open deal) with no entries has 0 hours.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from coachgen.errors import InputError
from coachgen.metrics import period_of

if TYPE_CHECKING:
    from coachgen.records import Records

__all__ = ["COACHING_TYPES", "TARGET_HOURS", "RepCadence", "cadence", "log_coaching"]

TARGET_HOURS = 3.0
COACHING_TYPES = ("1on1", "call-prep", "debrief", "pipeline-review", "drill")
TREND_MONTHS = 3


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
