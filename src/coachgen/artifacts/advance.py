"""When the buyer's commitment on the next call (the plan's advance) is due: a date decided by code, never by a model.

The date is the one the deal's next step on record names, when that falls on or after the call; else the call
date plus ``advance_days`` (a setting). Either way a day off moves to the next working day. The call is on the
day given, else the next working day after today. A next step that writes no year ("by 2 Dec") is read as the
first such day on or after the deal's last recorded activity, so an old export's "19.12." does not become this
December.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TYPE_CHECKING

from coachgen.errors import InputError

if TYPE_CHECKING:
    from coachgen.artifacts.grounding import DealFacts
    from coachgen.settings import Settings

__all__ = ["Advance", "advance_for", "call_day", "step_date"]


@dataclass(frozen=True)
class Advance:
    """The call's day, the day the buyer's commitment is due, and where that day came from."""

    call_date: date
    due: date
    basis: str


def call_day(settings: "Settings", given: date | None = None, today: date | None = None) -> date:
    """The day of the call: ``given`` (not before today), else the next working day after today."""
    today = today or date.today()
    if given is None:
        return settings.on_working_day(today + timedelta(days=1))
    if given < today:
        raise InputError(f"the call date {given.isoformat()} is in the past; a plan is for a call still to come")
    return given


def _parsed(expression: str, default: date) -> date | None:
    from dateutil.parser import ParserError, parse

    dotted = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2,4})?", expression.strip())
    text = "/".join(filter(None, dotted.groups())) if dotted else expression  # 19.12. is day.month, which dateutil misreads
    try:
        return parse(text, default=datetime(default.year, default.month, default.day), dayfirst=bool(dotted), fuzzy=True).date()
    except (ParserError, ValueError, OverflowError):
        return None


def step_date(next_step: str | None, written: date) -> date | None:
    """The calendar date a next step names (a day and a month at least), read as written on ``written``; else None."""
    from coachgen.note_reading import find_date

    expression = find_date(next_step or "")
    if not expression:
        return None
    one, other = _parsed(expression, date(2000, 1, 1)), _parsed(expression, date(2004, 2, 2))
    if one is None or other is None or (one.month, one.day) != (other.month, other.day):
        return None  # "Friday", "14:30": no day a reader of an old record can place
    if one.year != other.year:  # no year written: the first such day on or after the day it was written
        return next((day for year in (written.year, written.year + 1)
                     if (day := _parsed(expression, date(year, 1, 1))) is not None and day >= written), None)
    return one


def _written(deal: "DealFacts", fallback: date) -> date:
    from coachgen.process import as_day

    try:
        return as_day(deal.last_activity) or fallback
    except ValueError:
        return fallback


def advance_for(settings: "Settings", deal: "DealFacts", call_date: date, agreed: list[Any] = ()) -> Advance:
    """The day the advance is due for a call on ``call_date`` on ``deal``, and why that day.

    ``agreed``: the next steps of the deal's last recorded call (:class:`~coachgen.artifacts.call_outcome.NextStep`);
    the earliest dated one owned by the buyer, on or after the call, wins over the CRM's next step.
    """
    buyer_days = sorted(date.fromisoformat(s.due) for s in agreed if s.owner == "buyer" and s.due and s.due >= call_date.isoformat())
    if buyer_days:
        due = settings.on_working_day(buyer_days[0])
        moved = "" if due == buyer_days[0] else f", moved from {buyer_days[0].isoformat()} to a working day"
        return Advance(call_date, due, f"the date the buyer agreed on the last call{moved}")
    named = step_date(deal.next_step, _written(deal, call_date))
    if named is not None and named >= call_date:
        due = settings.on_working_day(named)
        moved = "" if due == named else f", moved from {named.isoformat()} to a working day"
        return Advance(call_date, due, f"the date in the deal's next step on record{moved}")
    why = "the next step on record names no date" if named is None else f"the next step's date {named.isoformat()} is before the call"
    due = settings.on_working_day(call_date + timedelta(days=settings.advance_days))
    return Advance(call_date, due, f"{settings.advance_days} days after the call (COACHGEN_ADVANCE_DAYS), on a working day, as {why}")
