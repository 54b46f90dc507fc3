"""Where a deal stands in the team's sales process, so a plan leaves out what belongs to stages already passed.

The order of the stages is the team's stage records when the deal's stage is one of them; else what
:func:`coachgen.process.resolve_process` decides from settings, the team's own open deals or the generic stage
vocabulary. The discovery part of the process is the stages whose call type is discovery (the stage record's,
the settings', else the labelled default's). A record tagged with stages is left out when every one of them
comes before the deal's stage; untagged discovery questions are discovery material, left out once the deal
is past the discovery part. When the deal's stage has no place in the order, nothing is left out and the
scope says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

from pydantic import BaseModel, Field

from coachgen.knowledge.stage_vocabulary import stage_key

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["DISCOVERY", "StageScope", "stage_scope"]

#: The call type of the stages that make up the discovery part of a process.
DISCOVERY = "discovery"

_ORIGIN = {"knowledge base": "the team's stage records", "settings": "COACHGEN_STAGE_ORDER",
           "data": "the order of the team's own open deals", "default": "the generic stage vocabulary"}


class StageScope(BaseModel):
    """What the plan keeps for the deal's place in the process; published in ``prep --format json``."""

    stage: str | None = Field(description="The deal's stage.")
    order: list[str] = Field(description="The stages of the process in order, as the plan placed the deal.")
    source: str | None = Field(description="Where the order came from: knowledge base, settings, data or default; None when unknown.")
    position: int | None = Field(description="The deal's stage's place in the order (0 first); None when it has none.")
    passed: list[str] = Field(description="Stages the deal has already passed: material tied only to them is left out.")
    past_discovery: bool = Field(description="True when the deal is past the discovery part: the questions close open qualification gaps.")
    note: str = Field(description="One line saying what was left out and why, or why nothing was.")

    def is_passed(self, stages: Iterable[str]) -> bool:
        """True when every one of ``stages`` is a stage the deal has passed (an empty or unknown list is not)."""
        tags = [t for t in stages if t.strip()]
        keys = [stage_key(s) for s in self.passed]
        return bool(tags) and all(_place(tag, keys) is not None for tag in tags)


@dataclass(frozen=True)
class _Order:
    names: tuple[str, ...]
    call_types: tuple[str, ...]
    source: str


def _place(name: str, keys: Sequence[str]) -> int | None:
    """Where ``name`` stands among stage ``keys``: the same words, else one name inside the other."""
    wanted = stage_key(name)
    if not wanted:
        return None
    exact = next((i for i, key in enumerate(keys) if key == wanted), None)
    return exact if exact is not None else next(
        (i for i, key in enumerate(keys) if key and (f" {key} " in f" {wanted} " or f" {wanted} " in f" {key} ")), None)


def _order(kb: "KnowledgeBase", stage: str) -> _Order:
    """The process order the deal's stage is placed in: the stage records, else settings, data or the vocabulary."""
    from coachgen.process import call_type_for, knowledge_stages, resolve_process

    records = knowledge_stages(kb)
    if records and _place(stage, [stage_key(r.text) for r in records]) is not None:
        names = tuple(r.text for r in records)
        return _Order(names, tuple(call_type_for(n, kb.settings, records).value for n in names), "knowledge base")
    deals = [] if kb.settings.stage_order.strip() else kb.records.deals(status="open")
    process = resolve_process(deals, kb.settings, ())
    names = tuple(process.shown.get(s, s) for s in process.placed)
    return _Order(names, tuple(call_type_for(n, kb.settings, records).value for n in names), process.order_fact.source)


def stage_scope(kb: "KnowledgeBase", stage: str | None, call_type: str) -> StageScope:
    """The scope of a ``call_type`` plan for a deal at ``stage``."""
    if not (stage or "").strip():
        return StageScope(stage=stage, order=[], source=None, position=None, passed=[], past_discovery=False,
                          note="Nothing is left out by stage: the deal has no stage on record.")
    order = _order(kb, stage)
    position = _place(stage, [stage_key(n) for n in order.names])
    if position is None:
        return StageScope(stage=stage, order=list(order.names), source=None, position=None, passed=[], past_discovery=False,
                          note=f"Nothing is left out by stage: '{stage}' has no place in the team's process (stage records, "
                               "COACHGEN_STAGE_ORDER, the team's own deals or the generic stage vocabulary).")
    discovery = [i for i, kind in enumerate(order.call_types) if kind == DISCOVERY]
    past = bool(discovery) and position > max(discovery) and call_type != DISCOVERY
    where = f"'{stage}' is stage {position + 1} of {len(order.names)} in the process ({_ORIGIN[order.source]})"
    if past:
        note = (f"{where}, past discovery: the questions close the qualification still open instead of general discovery "
                "questions, and material tied only to earlier stages is left out.")
    elif position:
        note = f"{where}: material tied only to earlier stages is left out."
    else:
        note = f"{where}: nothing comes before it, so nothing is left out."
    return StageScope(stage=stage, order=list(order.names), source=order.source, position=position,
                      passed=list(order.names[:position]), past_discovery=past, note=note)
