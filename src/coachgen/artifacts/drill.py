"""Objection-handling drill cards (``coachgen drill``): which objections to practise, and what a strong answer holds.

Which objections: the one asked for (``objection``), those on a topic, those raised recently in
open deals' notes (``from_deals``), or for a rep what spaced repetition says is due, then what their
deals raise, then the rest of the library. Each card has a buyer persona and situation (a real open
deal's contact when there is one), the objection as the buyer says it (the model's line, checked,
else the library's wording), what a strong answer contains (cited lines of the playbook), the
pushbacks a harder buyer adds, and the rubric.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from coachgen.artifacts.common import (
    ArtifactHeader,
    CitedText,
    SourcePack,
    SourceRef,
    money,
    record_facts,
    stale_notes,
    utc_now,
    write_prose,
)
from coachgen.artifacts.grounding import first_sentence, module_hit, objection_entries, objection_of, raised_objections, response_of
from coachgen.artifacts.meddpicc import split_sentences
from coachgen.errors import InputError, NotFoundError
from coachgen.retrieval import Hit
from coachgen.rubric import Rubric, parse_rubric
from coachgen.spaced import schedule

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.prompts import PromptLibrary

__all__ = [
    "DEFAULT_RUBRIC", "DIFFICULTY", "Drill", "DrillCard", "Persona", "Pick", "build_cards", "make_drill", "pick_objections",
    "nearest_objection", "resolve_rubric", "skill_module", "strong_answer",
]

DEFAULT_RUBRIC = "objection-handling"
def nothing_to_drill_note() -> str:
    """The note of a drill with no card because the knowledge base has no objections."""
    from coachgen.knowledge.profile import missing_note

    return missing_note("objection", "there is nothing to drill; 'coachgen drill --objection TEXT' drills one you type")


SAME_OBJECTION = 0.5  # cosine between two objection wordings taken to mean the same objection
RECENT_DEALS = 20  # open deals, most recently active first, whose notes --from-deals reads
DIFFICULTY = {
    1: "The buyer states the objection plainly and accepts a good answer.",
    2: "The buyer pushes back once more after your first answer.",
    3: "A sceptical senior buyer pushes back twice and wants evidence.",
}
_SENIOR = re.compile(r"\b(cfo|ceo|coo|chief|vp|vice president|head|director|controller|owner|founder)\b", re.IGNORECASE)


class Persona(BaseModel):
    name: str
    role: str
    account: str | None = None
    deal_id: str | None = Field(None, description="The open deal the persona comes from, if any.")


class DrillCard(BaseModel):
    """One objection to practise."""

    objection_key: str = Field(description="Library entry id (file#id), or 'custom:<hash>' for an objection given by hand.")
    objection: str = Field(description="The objection as the library words it.")
    why: str = Field(description="Why this card was picked (due, raised in a deal, topic, asked for...).")
    difficulty: int
    persona: Persona
    situation: str
    buyer_line: str = Field(description="What the buyer says to open the drill.")
    pushbacks: list[str] = Field(description="Further objections the buyer raises at this difficulty.")
    strong_answer: list[CitedText] = Field(description="What a strong answer contains, from the playbook.")


class Drill(BaseModel):
    """Drill cards; the published schema of ``coachgen drill --format json``."""

    header: ArtifactHeader
    rep: str | None
    rubric: Rubric
    cards: list[DrillCard]
    sources: list[SourceRef]
    notes: list[str]


class BuyerLine(BaseModel):
    """What the model writes for a card: the buyer's opening line."""

    line: str = Field(min_length=3, max_length=300, description="The buyer's words, first person, at most 40 words.")


@dataclass
class Pick:
    """An objection chosen for a card, and where it came from."""

    hit: Hit | None
    objection: str
    why: str
    deal: dict[str, Any] | None = None
    raised: str | None = None

    @property
    def key(self) -> str:
        """The library entry's key, or ``custom:<hash>`` for an objection that is not in the library."""
        if self.hit is not None and _objection_text(self.hit) == self.objection:
            return self.hit.doc_key
        return f"custom:{hashlib.sha256(self.objection.lower().encode()).hexdigest()[:12]}"


def resolve_rubric(kb: "KnowledgeBase", rubric: str | None = None) -> tuple[Rubric, list[str]]:
    """A rubric by id from the knowledge base, or from a YAML file path; the bundled default when none is ingested."""
    from coachgen.ingest.frontmatter import load_yaml
    from coachgen.ingest.loader import read_text
    wanted = rubric or DEFAULT_RUBRIC
    if rubric and (rubric.endswith((".yaml", ".yml")) or "/" in rubric):
        text, _ = read_text(Path(rubric).expanduser(), rubric, kb.settings.max_file_bytes)
        return parse_rubric(load_yaml(text, rubric), rubric), []
    stored = kb.records.rubric(wanted)
    if stored is not None:
        return Rubric.model_validate_json(stored), []
    if rubric:
        known = ", ".join(kb.records.rubric_ids()) or "none"
        raise NotFoundError(f"no rubric '{rubric}' in the knowledge base (ingested: {known}); give an id or a YAML file path")
    import copy

    from coachgen.knowledge.defaults import load

    parsed = parse_rubric(copy.deepcopy(load("rubric")), "coachgen default rubric")
    return parsed, [f"No rubric '{DEFAULT_RUBRIC}' is ingested in this knowledge base: scored with coachgen's default (version {parsed.version}); "
                    "add a YAML file with 'kind: rubric' to the knowledge base to use your own."]


_objection_text = objection_of
_response = response_of


def nearest_objection(kb: "KnowledgeBase", text: str, entries: list[Hit]) -> Hit | None:
    """The library entry whose objection means the same as ``text`` (cosine of the objection wordings >= SAME_OBJECTION)."""
    import numpy as np

    key = ("objection-wordings", tuple(hit.id for hit in entries))
    if key not in kb._memo:
        kb._memo[key] = [np.asarray(kb.embedder.embed_batch([_objection_text(h) for h in entries]), dtype=np.float32)]
    similarities = kb._memo[key][0] @ np.asarray(kb.embedder.embed_batch([text])[0], dtype=np.float32)
    best = int(similarities.argmax())
    return entries[best] if similarities[best] >= SAME_OBJECTION else None


def _from_deals(kb: "KnowledgeBase", rep: str | None, taken: set[str]) -> list[Pick]:
    deals = [d for d in kb.records.deals(rep=rep, status="open")]
    deals.sort(key=lambda d: (d.get("last_activity") or "", d["id"]), reverse=True)
    picks = []
    for deal in deals[:RECENT_DEALS]:
        for raised, hit in raised_objections(kb, kb.records.notes(deal["id"])):
            if hit.doc_key not in taken:
                taken.add(hit.doc_key)
                picks.append(Pick(hit, objection_of(hit), f"raised in {deal['id']} ({deal['account'] or deal.get('name') or deal['id']}) notes", deal, raised))
    return picks


def pick_objections(kb: "KnowledgeBase", rep: str | None = None, objection: str | None = None, topic: str | None = None,
                    from_deals: bool = False, count: int = 3, today: date | None = None) -> list[Pick]:
    """The objections to drill, best first, as described in the module docstring."""
    if sum(1 for given in (objection is not None, topic is not None, from_deals) if given) > 1:
        raise InputError("give at most one of --objection, --topic and --from-deals")
    if not 1 <= count <= 20:
        raise InputError("--count must be between 1 and 20")
    today = today or date.today()
    entries = objection_entries(kb)
    if not entries and objection is None:
        return []
    by_key = {hit.doc_key: hit for hit in entries}
    if objection is not None:
        text = " ".join(objection.split())
        if not text:
            raise InputError("--objection is empty")
        hit = nearest_objection(kb, text, entries) if entries else None
        if hit is not None and _objection_text(hit).lower().rstrip(".?!") == text.lower().rstrip(".?!"):
            return [Pick(hit, _objection_text(hit), "asked for")]
        why = f"asked for; the strong answer is the library's for \"{_objection_text(hit)}\"" if hit else \
            "asked for; not in the objection library, so the strong answer is the general structure only"
        return [Pick(hit, text, why)]
    taken: set[str] = set()
    picks: list[Pick] = []
    if topic is not None:
        wanted = topic.strip().lower()
        if not wanted:
            raise InputError("--topic is empty")
        tagged = [h for h in entries if wanted in {t.lower() for t in h.tags} or wanted in _objection_text(h).lower()]
        found = tagged or [h for h in entries if set(re.findall(r"[a-z0-9]+", wanted)) & set(re.findall(r"[a-z0-9]+", f"{_objection_text(h)} {_response(h)}".lower()))]
        if not found:
            raise NotFoundError(f"no objection in the library matches topic '{topic}'")
        picks = [Pick(h, _objection_text(h), f"topic '{topic}'") for h in found]
        return picks[:count]
    if rep is not None and not from_deals:
        reviews = schedule(kb.records.attempts(rep))
        due = sorted((r for r in reviews.values() if r.is_due(today) and r.objection_key in by_key), key=lambda r: (r.due, r.last_score))
        for review in due:
            taken.add(review.objection_key)
            picks.append(Pick(by_key[review.objection_key], review.objection,
                              f"due since {review.due.isoformat()} (last score {review.last_score:.1f}, {review.attempts} attempt(s))"))
        practised = set(reviews)
        picks += [p for p in _from_deals(kb, rep, taken | practised) if len(picks) < count]
        taken |= {p.hit.doc_key for p in picks if p.hit}
        picks += [Pick(h, _objection_text(h), "not practised yet") for h in entries if h.doc_key not in taken | practised]
        later = sorted((r for r in reviews.values() if not r.is_due(today) and r.objection_key in by_key), key=lambda r: r.due)
        picks += [Pick(by_key[r.objection_key], r.objection, f"early: next due {r.due.isoformat()}") for r in later]
        return picks[:count]
    picks = _from_deals(kb, rep, taken)
    if from_deals and not picks:
        raise NotFoundError("no objection from the library is raised in the notes of " + (f"{rep}'s open deals" if rep else "the open deals"))
    picks += [Pick(h, _objection_text(h), "from the library") for h in entries if h.doc_key not in taken]
    return picks[:count]


def _contact(deal: dict[str, Any], raised: str | None, senior: bool) -> tuple[str, str]:
    from coachgen.artifacts.grounding import deal_facts

    contacts = deal_facts(deal).contacts
    if not contacts:
        return "the buyer", "buyer"
    named = [c for c in contacts if raised and c.name.split()[0].lower() in raised.lower()]
    ranked = named or ([c for c in contacts if _SENIOR.search(c.role)] if senior else []) or contacts
    return ranked[0].name, ranked[0].role


def _persona(kb: "KnowledgeBase", pick: Pick, difficulty: int) -> tuple[Persona, str, dict[str, Any] | None]:
    deal = pick.deal
    if deal is None:
        stages = {s.lower() for s in pick.hit.stages} if pick.hit is not None else set()
        open_deals = [d for d in kb.records.deals(status="open") if d["contacts"]]
        fitting = [d for d in open_deals if (d["stage"] or "").lower() in stages] or open_deals
        if fitting:
            seed = int(hashlib.sha256(pick.objection.encode()).hexdigest(), 16)
            deal = fitting[seed % len(fitting)]
    if deal is None:
        return Persona(name="the buyer", role="buyer"), "A prospect who has not been named.", None
    name, role = _contact(deal, pick.raised, difficulty >= 3)
    situation = f"{deal['account'] or deal.get('name') or deal['id']}, {deal['stage'] or 'unknown'} stage, {money(deal.get('amount'), deal.get('currency'))}."
    if pick.raised:
        situation += f" From the deal notes: \"{pick.raised}\""
    elif pick.deal is None:
        situation += " (A real open deal at the stage where this objection comes up.)"
    return Persona(name=name, role=role, account=deal["account"], deal_id=deal["id"]), situation, deal


def _pushbacks(pick: Pick, entries: list[Hit], difficulty: int) -> list[str]:
    """``difficulty - 1`` other library objections: sharing a tag first, then raised at the same stage, then any."""
    if difficulty <= 1:
        return []
    stages = lambda hit: {s.lower() for s in hit.stages}  # noqa: E731
    tags = {t.lower() for t in pick.hit.tags} if pick.hit else set()
    others = [h for h in entries if pick.hit is None or h.doc_key != pick.hit.doc_key]
    ranked = sorted(others, key=lambda h: (not tags & {t.lower() for t in h.tags},
                                           not (pick.hit is not None and stages(pick.hit) & stages(h))))
    return [_objection_text(h) for h in ranked[: difficulty - 1]]


def drafted_line(card: DrillCard) -> bool:
    """True when the chat model wrote the card's buyer line (its fallback is the library's wording)."""
    return card.buyer_line != " ".join(card.objection.split())


def skill_module(kb: "KnowledgeBase", skill: str) -> Hit | None:
    """The training module that teaches a skill, as a citable hit titled with the module's name."""
    return module_hit(kb, kb.knowledge.module_for(skill))


def strong_answer(kb: "KnowledgeBase", pick: Pick, pack: SourcePack) -> list[CitedText]:
    """What a strong answer contains: the library response's sentences, a battlecard line for competitors, the LAER structure."""
    lines: list[CitedText] = []
    if pick.hit is not None:
        number = pack.add(pick.hit)
        lines += [CitedText(text=s, sources=[number]) for s in split_sentences(_response(pick.hit))]
        for competitor in kb.knowledge.competitors_in(f"{pick.objection} {_response(pick.hit)}")[:1]:
            counter = next(iter(competitor.counters), None)
            hit = kb.knowledge.hit(competitor)
            if counter and hit is not None:
                lines.append(CitedText(text=f"Against {competitor.text}: {first_sentence(counter)}", sources=[pack.add(hit)]))
    module = skill_module(kb, "objection handling")
    if module is not None:
        lines.append(CitedText(text=f"Structure ({module.title}): {first_sentence(module.text)}",
                               sources=[pack.add(module)]))
    return lines


def _buyer_line(kb: "KnowledgeBase", model: Any, prompts: "PromptLibrary", persona: Persona, situation: str, objection: str,
                difficulty: int, known: str, trusted: str) -> tuple[str, tuple[int, int], list[str]]:
    from coachgen.artifacts.common import as_langchain
    from coachgen.artifacts.drafts import draft_checker

    variables = {"persona": persona.model_dump(), "situation": situation, "objection": objection, "difficulty": difficulty}
    messages = prompts.messages("drill", variables)
    check = draft_checker(kb, "drill", known=known, trusted=trusted, objection=objection, speaker=persona.name)

    fallback = BuyerLine.model_construct(line=objection)
    draft, tokens, notes = write_prose(model, as_langchain(messages), BuyerLine, check, fallback,
                                       "the card uses the library's wording of the objection.")
    return " ".join(draft.line.split()), tokens, notes


def build_cards(kb: "KnowledgeBase", prompts: "PromptLibrary", picks: list[Pick], model: Any, difficulty: int,
                pack: SourcePack) -> tuple[list[DrillCard], tuple[int, int], list[str]]:
    """Cards for the picked objections; the model writes each buyer line (checked, with the library's wording as fallback)."""
    if difficulty not in DIFFICULTY:
        raise InputError("--difficulty must be 1, 2 or 3")
    entries = objection_entries(kb)
    cards, notes = [], []
    tokens_in = tokens_out = 0
    for pick in picks:
        persona, situation, deal = _persona(kb, pick, difficulty)
        strong = strong_answer(kb, pick, pack)
        known = " ".join([persona.name, persona.role, persona.account or "", situation, pick.objection,
                          " ".join(str(v) for v in (deal or {}).values() if v)])
        trusted = " ".join([persona.name, persona.role, persona.account or "", record_facts(deal or {})])
        line, tokens, card_notes = _buyer_line(kb, model, prompts, persona, situation, pick.objection, difficulty, known, trusted)
        tokens_in, tokens_out = tokens_in + tokens[0], tokens_out + tokens[1]
        notes += [f"Card {len(cards) + 1}: {note}" for note in card_notes]
        cards.append(DrillCard(objection_key=pick.key, objection=pick.objection, why=pick.why, difficulty=difficulty, persona=persona,
                               situation=situation, buyer_line=line, pushbacks=_pushbacks(pick, entries, difficulty), strong_answer=strong))
    return cards, (tokens_in, tokens_out), notes


def make_drill(kb: "KnowledgeBase", prompts: "PromptLibrary", model: Any, model_name: str, rep: str | None = None,
               objection: str | None = None, topic: str | None = None, from_deals: bool = False, count: int = 3,
               difficulty: int = 1, rubric: str | None = None, today: date | None = None) -> Drill:
    """Drill cards for a rep (or anyone), with the rubric they are scored against."""
    rep = kb.records.rep_name(rep) if rep else None
    chosen, notes = resolve_rubric(kb, rubric)
    picks = pick_objections(kb, rep, objection, topic, from_deals, count, today)
    pack = SourcePack()
    cards, tokens, card_notes = build_cards(kb, prompts, picks, model, difficulty, pack)
    if not picks:
        notes.append(nothing_to_drill_note())
    header = ArtifactHeader(artifact="drill", model=model_name, prompt_hash=prompts.fingerprint("drill"),
                            chunk_ids=[h.id for h in pack.hits], generated_at=utc_now(), input_tokens=tokens[0], output_tokens=tokens[1],
                            model_wrote=[f"cards[{i}].buyer_line" for i, card in enumerate(cards) if drafted_line(card)])
    return Drill(header=header, rep=rep, rubric=chosen, cards=cards, sources=pack.refs(), notes=notes + card_notes + stale_notes(pack))
