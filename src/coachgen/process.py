"""The team's sales process as facts the pipeline math needs, each saying where it came from.

Stage order, stuck-after days per stage, the activity window, the coverage target and the call type
per stage are taken, in this order, from:

1. **the knowledge base**: the team's stage records (``KnowledgeStore.stages()``: order, stuck days,
   call type), matched to CRM stage names by their words;
2. **settings**: ``COACHGEN_STAGE_ORDER``, ``COACHGEN_STUCK_DAYS``, ``COACHGEN_ACTIVITY_DAYS``,
   ``COACHGEN_COVERAGE_TARGET``, ``COACHGEN_CALL_TYPES``;
3. **the data**: open stages ordered by the median created date of their deals (a stage whose deals
   have no start date yet comes first; every stage needs ``min_deals`` deals); stuck days as a
   percentile of the stage's open deals' days in stage; the activity window as a percentile of open
   deals' days since their last activity; the coverage target as 1 / the team's win rate over its
   closed deals;
4. **a labelled default** shipped as data (``knowledge/defaults/process.yaml``, and the generic stage
   vocabulary for order and call type).

Every :class:`Fact` carries its source, and :meth:`Process.notes` says them in words. A stage that no
record, setting or vocabulary entry recognises is listed in :attr:`Process.unrecognised` and still
takes part in conversion, after the stages that are placed.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, Literal, Sequence

from coachgen.knowledge.defaults import load
from coachgen.knowledge.stage_vocabulary import StageVocabulary, stage_key

if TYPE_CHECKING:
    from coachgen.knowledge.records import Stage
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import Settings

__all__ = ["STALE_EXPORT_DAYS", "Fact", "Process", "as_day", "call_type_for", "is_open", "knowledge_stages", "resolve_process", "review_date"]

#: An export whose latest date is more than this many days before today is reviewed as of that date.
STALE_EXPORT_DAYS = 30

Source = Literal["knowledge base", "settings", "data", "default"]


@dataclass(frozen=True)
class Fact:
    """One process fact and where it came from."""

    value: Any
    source: Source
    detail: str = ""

    def origin(self) -> str:
        """``data: 80th percentile of 412 open deals' days in stage``."""
        return self.source + (f": {self.detail}" if self.detail else "")


def as_day(value: Any) -> date | None:
    """A date from a record value (ISO text or a date); blank is None."""
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def is_open(deal: dict[str, Any]) -> bool:
    """Open, and still in the latest export (a deal a re-import no longer held is not counted as pipeline)."""
    return deal["status"] == "open" and not deal.get("missing_since")


def _name(stage: str | None) -> str:
    return (stage or "").strip().lower()


def _defaults() -> dict[str, Any]:
    return load("process")


@dataclass(frozen=True)
class Process:
    """The facts of the team's process; stages are identified by their lower-cased names."""

    order: tuple[str, ...]
    order_fact: Fact
    stuck: dict[str, Fact]
    stuck_other: Fact
    activity: Fact
    coverage: Fact
    call_types: dict[str, Fact]
    unrecognised: tuple[str, ...] = ()
    shown: dict[str, str] = field(default_factory=dict)
    placed: tuple[str, ...] = ()

    def rank(self, stage: str | None) -> int:
        """Position of a stage in the process; stages the order does not hold come after it."""
        name = _name(stage)
        return self.order.index(name) if name in self.order else len(self.order)

    def limits(self) -> dict[str, int]:
        """Stuck-after days by stage."""
        return {stage: fact.value for stage, fact in self.stuck.items()}

    def call_type(self, stage: str | None) -> str:
        """The call type of a plan for a deal at ``stage``."""
        fact = self.call_types.get(_name(stage))
        return fact.value if fact is not None else _defaults()["call_type_other"]

    def notes(self) -> list[str]:
        """Where each fact came from, in words a manager reads."""
        shown = lambda stage: self.shown.get(stage, stage)  # noqa: E731
        lines = [f"Stage order: {' > '.join(shown(s) for s in self.order) or 'no open stages'} ({self.order_fact.origin()})."]
        by_origin: dict[str, list[str]] = defaultdict(list)
        for stage in self.order:
            fact = self.stuck.get(stage, self.stuck_other)
            by_origin[fact.origin()].append(f"{shown(stage)} {fact.value} days")
        lines += [f"Stuck after: {', '.join(items)} ({origin})." for origin, items in by_origin.items()]
        lines.append(f"Activity window: {self.activity.value} days without activity ({self.activity.origin()}).")
        lines.append(f"Coverage target: {self.coverage.value:.1f}x the remaining quota ({self.coverage.origin()}).")
        for stage in self.unrecognised:
            lines.append(f"Stage '{shown(stage)}' is in no stage record, setting or the generic stage vocabulary: conversion places it "
                         f"{'where its data puts it' if stage in self.placed else 'after the others'}; name it in COACHGEN_STAGE_ORDER "
                         "or the playbook's stages.")
        return lines


def knowledge_stages(kb: "KnowledgeBase") -> list["Stage"]:
    """The knowledge base's stage records, in process order (empty when it has none)."""
    import sqlite3

    from coachgen.knowledge.store import KnowledgeStore

    store = getattr(kb, "knowledge", None) or KnowledgeStore(kb)
    try:
        return list(store.stages())
    except sqlite3.OperationalError:  # an index written before stage records were kept
        return []


def _match(name: str, stages: Sequence["Stage"]) -> "Stage | None":
    """The stage record a CRM stage name refers to: the same words, else one name inside the other."""
    wanted = stage_key(name)
    if not wanted:
        return None
    keys = [(stage_key(s.text), s) for s in stages]
    exact = next((s for key, s in keys if key == wanted), None)
    return exact or next((s for key, s in keys if key and (f" {key} " in f" {wanted} " or f" {wanted} " in f" {key} ")), None)


def _percentile(values: list[int], pct: int) -> int:
    ordered = sorted(values)
    return max(1, math.ceil(statistics.quantiles(ordered, n=100, method="inclusive")[pct - 1])) if len(ordered) > 1 else max(1, ordered[0])


def _data_order(open_deals: list[dict[str, Any]], vocabulary: StageVocabulary, min_deals: int) -> tuple[str, ...] | None:
    counts: Counter[str] = Counter()
    created: dict[str, list[int]] = defaultdict(list)
    for deal in open_deals:
        stage = _name(deal["stage"])
        counts[stage] += 1
        day = as_day(deal.get("created"))
        if day is not None:
            created[stage].append(day.toordinal())
    dated = [s for s in created if len(created[s]) >= min_deals]
    undated = [s for s in counts if s not in created and counts[s] >= min_deals]
    if len(dated) + len(undated) < 2 or not dated:
        return None
    undated.sort(key=lambda s: (vocabulary.meaning(s).position or 0, s))
    dated.sort(key=lambda s: -statistics.median(created[s]))
    return tuple(undated + dated)


def _vocabulary_order(stages: Iterable[str], vocabulary: StageVocabulary) -> tuple[str, ...]:
    return tuple(sorted(stages, key=lambda s: (vocabulary.meaning(s).position is None, vocabulary.meaning(s).position or 0, s)))


def call_type_for(stage: str | None, settings: "Settings | None" = None, stages: Sequence["Stage"] = ()) -> Fact:
    """The call type for a deal at ``stage``: its stage record, else settings, else the generic vocabulary's step."""
    record = _match(stage or "", stages)
    if record is not None and record.call_type:
        return Fact(record.call_type.strip().lower(), "knowledge base", f"stage record '{record.text}'")
    configured = settings.stage_call_types().get(_name(stage)) if settings is not None else None
    if configured:
        return Fact(configured, "settings", "COACHGEN_CALL_TYPES")
    meaning = StageVocabulary().meaning(stage)
    defaults = _defaults()
    if meaning.step is not None:
        return Fact(defaults["call_types"].get(meaning.step, defaults["call_type_other"]), "default", f"generic step '{meaning.step}'")
    return Fact(defaults["call_type_other"], "default", "stage not recognised")


def resolve_process(deals: Sequence[dict[str, Any]], settings: "Settings | None" = None, stages: Sequence["Stage"] = (),
                    as_of: date | None = None) -> Process:
    """Every process fact for these deals, from the knowledge base's stages, settings, the data, or defaults."""
    defaults = _defaults()
    tuning = defaults["data"]
    vocabulary = StageVocabulary()
    as_of = as_of or date.today()
    open_deals = [d for d in deals if is_open(d)]
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    for deal in open_deals:
        spelled[_name(deal["stage"])][(deal["stage"] or "(no stage)").strip()] += 1
    shown = {stage: names.most_common(1)[0][0] for stage, names in spelled.items()}
    present = list(shown)
    matched = {stage: _match(stage, stages) for stage in present}
    configured = [_name(s) for s in (settings.stage_order.split(",") if settings is not None else []) if s.strip()]

    if stages:
        ranked = [_name(s.text) for s in stages]
        placed = [(ranked.index(_name(matched[s].text)) if matched[s] is not None else None, s) for s in present]
        order = [s for _, s in sorted((p for p in placed if p[0] is not None), key=lambda p: p[0])]
        order_fact = Fact([s.text for s in stages], "knowledge base", f"{len(stages)} stage records")
    elif configured:
        order = [s for s in configured if s in shown] + [s for s in configured if s not in shown]
        order_fact = Fact(configured, "settings", "COACHGEN_STAGE_ORDER")
    elif (by_data := _data_order(open_deals, vocabulary, tuning["min_deals"])) is not None:
        order = list(by_data)
        order_fact = Fact(list(by_data), "data", f"stages with at least {tuning['min_deals']} open deals, by the median created date "
                                                  "of their deals, undated stages first; other stages after them")
    else:
        order = [s for s in _vocabulary_order(present, vocabulary) if vocabulary.meaning(s).position is not None]
        order_fact = Fact(order, "default", "generic stage vocabulary")
    known = set(configured) | {s for s in present if matched[s] is not None} | {s for s in present if vocabulary.meaning(s).position is not None}
    unrecognised = tuple(s for s in present if s and s not in known)
    placed = tuple(order)
    order += [s for s in _vocabulary_order((s for s in present if s not in order), vocabulary)]

    stuck: dict[str, Fact] = {}
    limits = settings.stuck_limits() if settings is not None else {}
    for stage in present:
        record = matched[stage]
        if record is not None and record.stuck_days:
            stuck[stage] = Fact(record.stuck_days, "knowledge base", "the stage's record")
        elif stage in limits:
            stuck[stage] = Fact(limits[stage], "settings", "COACHGEN_STUCK_DAYS")
        else:
            days = [(as_of - entered).days for d in open_deals if _name(d["stage"]) == stage
                    and (entered := as_day(d.get("stage_changed")) or as_day(d.get("created"))) is not None and entered <= as_of]
            if len(days) >= tuning["min_deals"]:
                stuck[stage] = Fact(_percentile(days, tuning["stuck_percentile"]), "data",
                                    f"{tuning['stuck_percentile']}th percentile of the days in stage of the stage's open deals")
    stuck_other = Fact(defaults["stuck_after_days"], "default", "generic process default")

    if settings is not None and settings.activity_days:
        activity = Fact(settings.activity_days, "settings", "COACHGEN_ACTIVITY_DAYS")
    else:
        quiet = [(as_of - day).days for d in open_deals if (day := as_day(d.get("last_activity"))) is not None and day <= as_of]
        activity = (Fact(_percentile(quiet, tuning["activity_percentile"]), "data",
                         f"{tuning['activity_percentile']}th percentile of {len(quiet):,} open deals' days since their last activity")
                    if len(quiet) >= tuning["min_deals"] else Fact(defaults["activity_days"], "default", "generic process default"))

    closed = [d for d in deals if d["status"] in ("won", "lost")]
    won = sum(1 for d in closed if d["status"] == "won")
    if settings is not None and settings.coverage_target:
        coverage = Fact(float(settings.coverage_target), "settings", "COACHGEN_COVERAGE_TARGET")
    elif len(closed) >= tuning["min_closed"] and won:
        coverage = Fact(round(len(closed) / won, 1), "data", f"1 / the team's {won / len(closed):.0%} win rate over {len(closed):,} closed deals")
    else:
        coverage = Fact(float(defaults["coverage_target"]), "default", "generic process default")

    call_types = {stage: call_type_for(shown.get(stage, stage), settings, stages) for stage in order}
    return Process(tuple(order), order_fact, stuck, stuck_other, activity, coverage, call_types, unrecognised,
                   {**shown, **{s: s for s in order if s not in shown}}, placed)


def review_date(deals: Iterable[dict[str, Any]], today: date | None = None) -> tuple[date, str | None]:
    """The default review day: today, or the latest date in the data when that is over STALE_EXPORT_DAYS old (with a note)."""
    today = today or date.today()
    latest: date | None = None
    for deal in deals:
        fields = ["created", "stage_changed", "last_activity"] + (["close_date"] if deal["status"] in ("won", "lost") else [])
        for name in fields:
            day = as_day(deal.get(name))
            if day is not None and day <= today and (latest is None or day > latest):
                latest = day
    if latest is None or (today - latest).days <= STALE_EXPORT_DAYS:
        return today, None
    return latest, (f"Reviewed as of {latest.isoformat()}, the latest date in the data ({(today - latest).days} days before today), "
                    "so an old export does not make every open deal look stuck; pass --as-of to choose the day.")
