"""Lessons from a rep's closed-lost deals: why each was lost, and what the notes say the rep can do differently.

Each lost deal's notes are read sentence by sentence (:mod:`coachgen.note_reading`):

- the CRM's closed-lost reason field, and the sentence that states the loss ("Lost to ...", "went with ..."),
  are the reason;
- the rep's own admission ("never met the CFO") and a risk the rep observed ("only contact was ...") are
  lessons, each tied to a skill: the skill its words name (``defaults/skills.yaml``), else the skill behind
  the qualification gap it shows (``element_skills``), else none;
- a concession given for nothing (:func:`coachgen.artifacts.call_outcome.concessions`) is an own miss of
  negotiation;
- a buyer's concern is shown with the team's answer to it, when the library has one.

Only the rep's own misses count as evidence for the development plan (weak, like a debrief stumble), one per
lost deal and skill; risks and a buyer's concern are shown as context, not as the rep's gap. The ``LOST_DEALS`` most recent lost deals are read.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from coachgen.artifacts.call_outcome import concessions
from coachgen.artifacts.common import CitedText, SourcePack
from coachgen.artifacts.grounding import matched_objections, read_deal_notes
from coachgen.knowledge.defaults import load
from coachgen.note_reading import states_loss

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["LOST_DEALS", "Lesson", "LostDeal", "lost_deals"]

LOST_DEALS = 5


class Lesson(BaseModel):
    kind: Literal["own miss", "risk", "buyer concern"]
    sentence: str = Field(description="The note sentence, as written.")
    skill: str | None = Field(description="The skill it speaks to (None for a buyer's concern or when no skill is named).")
    answer: CitedText | None = Field(default=None, description="The team's answer to a buyer's concern, cited.")


class LostDeal(BaseModel):
    deal: str
    closed: str | None
    crm_reason: str | None = Field(default=None, description="The CRM's closed-lost reason field.")
    reason: str | None = Field(description="The note sentence that states the loss, if one does.")
    lessons: list[Lesson]


def _skill(reading: Any) -> str | None:
    """The skill a lesson's words name, else the one behind the qualification gap it shows."""
    from coachgen.knowledge.miners.sections import skill_of

    named = skill_of(reading.sentence)
    if named:
        return named
    by_element = load("skills").get("element_skills", {})
    return next((by_element[e.lower()] for e, status in reading.meddpicc.items() if status == "gap" and e.lower() in by_element), None)


def _read(kb: "KnowledgeBase", deal: dict[str, Any], pack: SourcePack) -> LostDeal:
    notes = kb.records.notes(deal["id"]) or ""
    readings = read_deal_notes(kb, notes)
    reason = next((r.sentence for r in readings if states_loss(r.sentence)), None)
    given = [c.sentence for c in concessions(kb, notes) if not c.traded]
    lessons = [Lesson(kind="own miss", sentence=sentence, skill=load("concessions")["next_steps"]["skill"]) for sentence in given]
    lessons += [Lesson(kind="own miss" if r.label == "admission" else "risk", sentence=r.sentence, skill=_skill(r))
                for r in readings if r.label in ("admission", "risk") and r.sentence not in (reason, *given)]
    lessons += [Lesson(kind="buyer concern", sentence=o.raised, skill=None, answer=o.response) for o in matched_objections(kb, notes, pack)]
    return LostDeal(deal=deal["id"], closed=deal.get("close_date") or deal.get("stage_changed"), crm_reason=deal.get("lost_reason") or None,
                    reason=reason, lessons=lessons)


def lost_deals(kb: "KnowledgeBase", rep: str, as_of: date, pack: SourcePack) -> list[LostDeal]:
    """The rep's most recent closed-lost deals (closed by ``as_of``) with their reasons and lessons; only deals whose notes say something."""
    lost = [d for d in kb.records.deals(rep=rep, status="lost") if (d.get("close_date") or "") <= as_of.isoformat()]
    lost.sort(key=lambda d: d.get("close_date") or "", reverse=True)
    read = (_read(kb, deal, pack) for deal in lost[:LOST_DEALS])
    return [item for item in read if item.crm_reason or item.reason or item.lessons]
