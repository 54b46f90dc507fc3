"""Deal hygiene for a Monday pipeline review: what a manager checks on each open deal before trusting the forecast.

Flags: the close date has passed; the next step has no date (or is a bare "follow up"); one contact or none
(single-threaded); no economic buyer in the notes (read by meaning, :mod:`coachgen.note_reading`; only for
deals closing in the period, where it decides the forecast). Money at risk in the period is the amount of an
open deal closing in it (or already past its date) that has a flag or is stuck. Commit, from the data, is
what is won in the period plus the open deals closing in it with no flag and not stuck.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coachgen.knowledge.defaults import load
from coachgen.metrics import Period
from coachgen.note_reading import find_date
from coachgen.process import as_day, is_open

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["DealHygiene", "deal_hygiene", "money_at_risk"]


class DealHygiene(BaseModel):
    """One open deal's hygiene flags."""

    id: str
    account: str
    amount: float | None
    close_date: str | None
    in_period: bool = Field(description="The close date falls in the review period or has already passed.")
    stuck: bool = False
    flags: list[str]


def _contacts(text: str | None) -> int:
    return len([part for part in (text or "").replace("\n", ";").split(";") if part.strip()])


def _flags(kb: "KnowledgeBase", deal: dict[str, Any], as_of: date, in_period: bool, contacts_known: bool) -> list[str]:
    from coachgen.artifacts.grounding import read_deal_notes
    from coachgen.artifacts.meddpicc import assess_readings

    flags = []
    close = as_day(deal.get("close_date"))
    if close is not None and close < as_of:
        flags.append(f"close date {close.isoformat()} has passed")
    elif close is None:
        flags.append("no close date")
    step = (deal.get("next_step") or "").strip()
    if not step:
        flags.append("no next step")
    elif find_date(step) is None:
        vague = any(f" {cue} " in f" {step.lower()} " for cue in load("note_meaning")["vague_next_step"])
        flags.append(f"next step \"{step}\" is {'a follow-up with no date' if vague else 'undated'}")
    if contacts_known and _contacts(deal.get("contacts")) <= 1:
        flags.append("single-threaded (one contact or none)")
    if in_period and deal.get("notes"):
        status = next(s for s in assess_readings(read_deal_notes(kb, kb.records.notes(deal["id"]))) if s.element == "Economic buyer")
        if status.status != "known":
            flags.append("no economic buyer in the notes" if status.status == "unknown" else f"economic buyer at risk: \"{status.evidence}\"")
    elif in_period:
        flags.append("no notes: economic buyer unknown")
    return flags


def deal_hygiene(kb: "KnowledgeBase", deals: list[dict[str, Any]], as_of: date, period: Period, stuck_ids: set[str]) -> tuple[list[DealHygiene], list[str]]:
    """Flags for every open deal, and notes on what the data cannot show (with how to add it)."""
    open_deals = [d for d in deals if is_open(d)]
    contacts_known = any(d.get("contacts") for d in kb.records.deals())
    notes = [] if contacts_known else [
        "Contacts are not in the CRM export, so single-threading cannot be judged: add a contacts column ('Name (Role); Name (Role)') and re-import."]
    result = []
    for deal in open_deals:
        close = as_day(deal.get("close_date"))
        in_period = close is not None and close <= period.end
        result.append(DealHygiene(id=deal["id"], account=deal.get("account") or deal.get("name") or deal["id"], amount=deal.get("amount"),
                                  close_date=close.isoformat() if close else None, in_period=in_period, stuck=deal["id"] in stuck_ids,
                                  flags=_flags(kb, deal, as_of, in_period, contacts_known)))
    return result, notes


def money_at_risk(hygiene: list[DealHygiene], top: int = 3) -> list[DealHygiene]:
    """The deals closing in the period (or past their date) with a flag or stuck, largest amount first."""
    risky = [h for h in hygiene if h.in_period and (h.flags or h.stuck)]
    return sorted(risky, key=lambda h: -(h.amount or 0))[:top]
