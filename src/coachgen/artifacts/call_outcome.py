"""What a call's notes say happened: who was on it, the next steps agreed, and what the rep gave away.

A concession is a note sentence that names something given (a discount, free months, a waived fee, extra
seats, longer payment terms), says our side gave it, and is not clearly nearer in meaning to the labelled
look-alikes (a buyer's request, a competitor's offer, playbook wording) than to the labelled concessions. It is traded
when the same or the next sentence says what came back. Cues and sentences are labelled data
(``knowledge/defaults/concessions.yaml``). The team's rule on concessions is the sentence of its own material
(price and negotiation objections, a search of its documents, its rubric's blockers) nearest to the labelled
rule sentences, cited. Attendees are the deal's contacts the notes name, plus new names the notes give a role;
next steps are the commitment sentences with their dates, and step-like sentences without one.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Iterable, Literal

from pydantic import BaseModel, Field

from coachgen.artifacts.common import CitedText, SourcePack
from coachgen.knowledge.defaults import load

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = [
    "LOOK_ALIKE_MARGIN", "RULE_MATCH", "Attendee", "CallOutcome", "Concession", "NextStep", "attendees", "concession_question", "concession_rule",
    "concessions", "latest_outcome", "missing_rule_note", "next_steps", "read_outcome",
]

RULE_MATCH = 0.5  # cosine to a labelled rule sentence from which a sentence of the team's material holding a rule cue states the rule
TOP_K = 2  # labelled sentences averaged per side when deciding a concession
#: How much nearer (cosine) the labelled look-alikes must be to overrule the cues of a concession; on the probe
#: sentences of tests/test_call_outcome.py, concessions came within 0.06 of them, playbook wording 0.19 beyond.
LOOK_ALIKE_MARGIN = 0.1
_PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s?%|\bpercent\b|\bprocent\b|\bprozent\b", re.IGNORECASE)
_LIST_MARK = re.compile(r"^\s*(?:[-*+]|\d{1,2}[.)]|\w+:)\s+")  # a list marker or a one-word label ("Response:")


class Concession(BaseModel):
    """Something the rep gave on the call, and what came back for it."""

    sentence: str = Field(description="The note sentence where the rep gave it.")
    traded: bool = Field(description="True when the same or the next sentence says what the buyer gave in return.")
    got: str | None = Field(None, description="What came back, when traded: the words of the sentence from its condition on, or the next sentence.")


class Attendee(BaseModel):
    """A person the call notes place on the call."""

    name: str = Field(description="The name as the notes or the CRM record give it.")
    role: str = Field(description="Role from the CRM record, or the role word beside a new name in the notes.")
    new: bool = Field(description="True for a name the deal's contacts do not hold: a candidate to add to the CRM, not a known fact.")
    evidence: str = Field(description="The note sentence that names them.")


class NextStep(BaseModel):
    """A step the call agreed, with its date when one was agreed."""

    step: str = Field(description="The note sentence.")
    when: str | None = Field(None, description="The date expression of the notes ('by Friday', '3 Dec'), or None: no date agreed.")
    due: str | None = Field(None, description="That date as ISO 8601, when it names a day.")
    owner: Literal["buyer", "rep", "unclear"] = Field(description="Who owns the step.")
    dated: bool = Field(description="False when no date was agreed: a step without a date is a wish.")


class CallOutcome(BaseModel):
    """What a call's notes recorded: who was on it, the next steps, the concessions."""

    call_notes: str | None = Field(None, description="The call notes it was read from.")
    recorded_at: str | None = Field(None, description="When those notes were recorded (UTC, ISO 8601).")
    attendees: list[Attendee] = Field(default_factory=list)
    next_steps: list[NextStep] = Field(default_factory=list)
    concessions: list[Concession] = Field(default_factory=list)


# reading words ----------------------------------------------------------------
def _words(text: str) -> str:
    """Lower-case words (``%`` kept) joined by single spaces and padded, for whole-word phrase tests."""
    return " " + " ".join(re.findall(r"[\w'%/-]+", text.lower().replace("’", "'"))) + " "


def _has(words: str, phrases: Iterable[str]) -> str | None:
    return next((p for p in phrases if f" {p} " in words), None)


@cache
def _data() -> dict[str, Any]:
    return load("concessions")


def _cues(name: str) -> tuple[str, ...]:
    return tuple(_data()["cues"][name])


class _Vectors:
    """The labelled sentences embedded once per embedder."""

    _cache: dict[str, "_Vectors"] = {}

    def __init__(self, embedder: Any) -> None:
        import numpy as np

        data = _data()["exemplars"]
        self.sides = {name: np.asarray(embedder.embed_batch(list(data[name])), dtype=np.float32) for name in data}

    @classmethod
    def of(cls, embedder: Any) -> "_Vectors":
        key = f"{getattr(embedder, 'name', '')}:{id(embedder)}"
        if key not in cls._cache:
            cls._cache[key] = cls(embedder)
        return cls._cache[key]


# concessions -------------------------------------------------------------------
def _opening(words: str) -> str:
    """The padded words without the lead-ins that may come before a subjectless verb."""
    lead = _has(" " + " ".join(words.split()[:3]) + " ", _cues("lead_ins"))
    return words[len(lead) + 1:] if lead and words.startswith(f" {lead} ") else words


def _looks_given(sentence: str) -> bool:
    """The cues of a concession: something given, a giving verb, our side giving it, and no refusal."""
    words = _words(sentence)
    given = _has(words, _cues("given")) or _PERCENT.search(sentence) or (_has(words, _cues("given_if_priced")) and _has(words, _cues("priced")))
    opener = any(_opening(words).startswith(f" {verb} ") for verb in _cues("give"))
    ours = opener or _has(words, _cues("ours"))
    return bool(given and ours and _has(words, _cues("give")) and not _has(words, _cues("refused")) and not _requested(words))


def _requested(words: str) -> bool:
    """The buyer side asks for it: a request word with none of our words before it."""
    asked = _has(words, _cues("asked"))
    return bool(asked) and not _has(words[:words.index(f" {asked} ") + 1], _cues("ours"))


def _return_phrase(words: str) -> str | None:
    """The first return phrase of the padded words, else 'for'/'against' with the word after it when a tradeable follows."""
    phrase = min((p for p in _cues("returns") if f" {p} " in words), key=lambda p: words.index(f" {p} "), default=None)
    if phrase is not None:
        return phrase
    tokens, tradeables = words.split(), set(_cues("tradeables"))
    return next((f"{t} {tokens[i + 1]}" for i, t in enumerate(tokens[:-1]) if t in ("for", "against") and tradeables & set(tokens[i + 1:i + 5])), None)


def _return_here(sentence: str) -> str | None:
    """What came back in the sentence itself, from its return phrase (or a 'for'/'against' shortly before a tradeable) on."""
    words = _words(sentence)
    phrase = None if _has(words, _cues("no_return")) else _return_phrase(words)
    if phrase is None:
        return None
    found = re.search(r"(?<!\w)" + r"\W+".join(map(re.escape, phrase.split())) + r"(?!\w)", sentence, re.IGNORECASE)
    return sentence[found.start():].strip() if found else sentence


def _returned(sentence: str) -> bool:
    """The sentence after a concession says what came back for it (and is no concession of its own)."""
    words = _words(sentence)
    return bool(_has(words, _cues("returns")) and not _has(words, _cues("no_return")) and not _looks_given(sentence))


def concessions(kb: "KnowledgeBase", notes: str) -> list[Concession]:
    """The concessions the notes record, each marked traded or not (see the module docstring)."""
    import numpy as np

    from coachgen.artifacts.grounding import read_deal_notes

    readings = read_deal_notes(kb, notes) if (notes or "").strip() else []
    sentences = [r.sentence for r in readings]
    candidates = [i for i, r in enumerate(readings) if r.speaker != "third_party" and _looks_given(r.sentence)]
    if not candidates:
        return []
    vectors = np.asarray(kb.embedder.embed_batch([sentences[i] for i in candidates]), dtype=np.float32)
    sides = _Vectors.of(kb.embedder).sides
    found = []
    for i, vector in zip(candidates, vectors):
        near = {side: float(np.sort(sides[side] @ vector)[-TOP_K:].mean()) for side in ("concession", "not_concession")}
        if near["not_concession"] - near["concession"] > LOOK_ALIKE_MARGIN:
            continue
        after = sentences[i + 1] if i + 1 < len(sentences) else None
        got = _return_here(sentences[i]) or (after if after and _returned(after) else None)
        found.append(Concession(sentence=sentences[i], traded=got is not None, got=got))
    return found


def _team_sentences(kb: "KnowledgeBase") -> list[tuple[str, Any]]:
    """(sentence, hit or rubric title) of the team's material that may state its concession rule."""
    from coachgen.artifacts.grounding import objection_entries, objection_of, plain, response_of
    from coachgen.artifacts.meddpicc import split_sentences
    from coachgen.retrieval import search

    topics = set(_data()["rule_topics"])
    found: list[tuple[str, Any]] = []
    for entry in objection_entries(kb):
        about = {t.lower() for t in entry.tags} | set(_words(objection_of(entry)).split())
        if about & topics:
            found += [(_LIST_MARK.sub("", s), entry) for s in split_sentences(response_of(entry))]
    for hit in search(kb, _data()["rule_query"], k=6, per_doc=2):
        if hit.deal_id is None and hit.kind != "deal_note":
            found += [(_LIST_MARK.sub("", s), hit) for line in plain(hit.text).splitlines() for s in split_sentences(line)]
    for blocker, title in _team_blockers(kb):
        found.append((blocker, title))
    return [(s, where) for s, where in found if len(s.split()) >= 4 and _has(_words(s), _cues("rule"))]


def _team_blockers(kb: "KnowledgeBase") -> list[tuple[str, str]]:
    """(description, rubric title) of the blockers in the rubrics the team ingested (not coachgen's default)."""
    from coachgen.rubric import Rubric

    found = []
    for rubric_id in kb.records.rubric_ids():
        stored = kb.records.rubric(rubric_id)
        rubric = Rubric.model_validate_json(stored) if stored else None
        found += [(b.description, rubric.title) for b in (rubric.blockers if rubric else [])]
    return found


def concession_rule(kb: "KnowledgeBase", pack: SourcePack) -> CitedText | None:
    """The team's rule on concessions, cited; None when its material states none (nothing reaches ``RULE_MATCH``)."""
    import numpy as np

    key = ("concession-rule",)
    if key not in kb._memo:
        candidates = _team_sentences(kb)
        best = None
        if candidates:
            vectors = np.asarray(kb.embedder.embed_batch([s for s, _ in candidates]), dtype=np.float32)
            scores = (vectors @ _Vectors.of(kb.embedder).sides["rule"].T).max(axis=1)
            ranked = sorted((i for i in range(len(candidates)) if scores[i] >= RULE_MATCH),
                            key=lambda i: (isinstance(candidates[i][1], str), -scores[i]))  # a citable sentence before a rubric's
            best = candidates[ranked[0]] if ranked else None
        kb._memo[key] = best
    best = kb._memo[key]
    if best is None:
        return None
    sentence, where = best
    if isinstance(where, str):
        return CitedText(text=f"{sentence} (rubric: {where})", sources=[])
    return CitedText(text=sentence, sources=[pack.add(where)])


def missing_rule_note() -> str:
    """What to add when the team's material states no rule on concessions."""
    return ("The knowledge base has no rule on concessions (trade, never give), so the concession questions cite none. "
            f"To add it, {_data()['how_to_add']}, then run 'coachgen kb ingest'.")


def concession_question(concession: Concession, rule: CitedText | None) -> str:
    """The debrief's question about one concession: what came back for it, against the team's rule."""
    if concession.traded:
        return (f"You traded: \"{concession.sentence}\" Good: you got something back (\"{concession.got}\"). "
                "Is the condition in writing, and was the concession approved?")
    said = f" The team's rule: {rule.text}" if rule else " The knowledge base holds no rule on concessions yet (see the notes)."
    return f"You gave: \"{concession.sentence}\" What did you get in return?{said}"


# attendees ---------------------------------------------------------------------
def _mentions(name: str, sentence: str) -> bool:
    first = name.split()[0] if name.split() else ""
    return bool(first) and any(re.search(rf"(?<!\w){re.escape(part)}(?!\w)", sentence) for part in (name, first))


def _name_runs(sentence: str) -> list[tuple[str, int, int]]:
    """(name, first token, last token) for each run of two or more capitalised tokens that are no role or common word."""
    roles = {w for w in _data()["attendees"]["roles"]}
    stop = roles | set(_data()["attendees"]["not_names"])
    tokens = re.findall(r"[\w'’-]+|[^\w\s]", sentence)
    runs, start = [], None
    for i, token in enumerate(tokens + ["."]):
        ok = i < len(tokens) and re.fullmatch(r"[A-Z][a-z'’-]+", token) is not None and token.lower() not in stop
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            if i - start >= 2:
                runs.append((" ".join(tokens[start:i]), start, i - 1))
            start = None
    return runs


def _role_beside(sentence: str, first: int, last: int) -> str | None:
    """The role words right before a name ('their CFO Dana Ruiz') or right after it ('Dana Ruiz (Head of IT)', ', their CFO,')."""
    roles = set(_data()["attendees"]["roles"])
    tokens = re.findall(r"[\w'’-]+|[^\w\s]", sentence)
    before = []
    for token in reversed(tokens[max(first - 4, 0):first]):
        if token.lower() not in roles and token.lower() not in ("of",):
            break
        before.insert(0, token)
    if before and before[-1].lower() in roles:
        return " ".join(before)
    after = tokens[last + 1:last + 7]
    if after and after[0] in ("(", ","):
        words = [t for t in after[1:] if t not in (")", ",", ".")]
        picked = []
        for token in words:
            if token.lower() in ("their", "the", "our", "his", "her"):
                continue
            if token.lower() not in roles and token.lower() != "of":
                break
            picked.append(token)
        if picked and picked[-1].lower() in roles:
            return " ".join(picked)
    return None


def attendees(notes: str, contacts: Iterable[Any], exclude: Iterable[str] = ()) -> list[Attendee]:
    """Who the notes place on the call: the deal's contacts they name, and new names they give a role (flagged new).

    ``exclude`` holds names that are never attendees (the rep, the account, competitors); nothing is invented.
    """
    from coachgen.note_reading import split_notes

    contacts = list(contacts)
    skip = {w.lower() for name in exclude if name for w in name.split()}
    found: dict[str, Attendee] = {}
    for sentence in split_notes(notes or ""):
        for contact in contacts:
            if contact.name not in found and _mentions(contact.name, sentence):
                found[contact.name] = Attendee(name=contact.name, role=contact.role, new=False, evidence=sentence)
        for name, first, last in _name_runs(sentence):
            known = any(_mentions(c.name, name) or _mentions(name, c.name) for c in contacts)
            if known or name in found or {w.lower() for w in name.split()} & skip:
                continue
            role = _role_beside(sentence, first, last)
            if role:
                found[name] = Attendee(name=name, role=role, new=True, evidence=sentence)
    return list(found.values())


# next steps ----------------------------------------------------------------------
def _due(when: str | None, on: date) -> str | None:
    """The day a date expression names, on or after the call: a calendar date as the plan reads one
    (:func:`~coachgen.artifacts.advance.step_date`), else the next such weekday; else None ("week 27", "Q1")."""
    from dateutil.parser import parserinfo

    from coachgen.artifacts.advance import step_date

    if not when:
        return None
    day = step_date(when, on)
    if day is None:
        named = next((i for i, names in enumerate(parserinfo.WEEKDAYS) if _has(_words(when), (n.lower() for n in names))), None)
        day = on + timedelta(days=(named - on.weekday()) % 7) if named is not None else None
    return day.isoformat() if day else None


def _owner(reading: Any, contacts: Iterable[Any], rep: str | None) -> str:
    """rep or buyer by the sentence's subject (its first word or name; the rep's words first), else the reader's speaker;
    'unclear' when neither says."""
    words = _words(reading.sentence).split()
    first = f" {words[0]} " if words else "  "
    opening = " ".join(reading.sentence.split()[:2])
    if (rep and _mentions(rep, opening)) or _has(first, _data()["next_steps"]["rep_openers"]):
        return "rep"
    if any(_mentions(c.name, opening) for c in contacts) or _has(first, _data()["next_steps"]["buyer_openers"]):
        return "buyer"
    return reading.speaker if reading.speaker in ("buyer", "rep") else "unclear"


def next_steps(readings: list[Any], contacts: Iterable[Any] = (), rep: str | None = None, on: date | None = None,
               skip: Iterable[str] = ()) -> list[NextStep]:
    """Commitment sentences with their dates, and step-like sentences without one (``dated`` False); ``skip`` sentences are left out."""
    from coachgen.note_reading import find_date

    contacts, skip, on = list(contacts), set(skip), on or date.today()
    steps = []
    for reading in readings:
        if reading.sentence in skip:
            continue
        step_like = _has(_words(reading.sentence), tuple(_data()["next_steps"]["cues"]))
        if reading.label == "commitment" or (step_like and reading.label in ("info", "buying_signal")):
            when = reading.date or find_date(reading.sentence)
            steps.append(NextStep(step=reading.sentence, when=when, due=_due(when, on), owner=_owner(reading, contacts, rep), dated=when is not None))
    return steps


# the whole call -----------------------------------------------------------------
def read_outcome(kb: "KnowledgeBase", deal: Any, call_notes: str | None, on: date | None = None, recorded_at: str | None = None) -> CallOutcome:
    """Attendees, next steps and concessions of one call's notes (``deal``: the deal's facts)."""
    from coachgen.artifacts.grounding import read_deal_notes

    notes = call_notes or ""
    given = concessions(kb, notes)
    exclude = [deal.rep or "", deal.account or ""] + [c.text for c in kb.knowledge.competitors()]
    from coachgen.note_reading import find_date

    undated = {c.sentence for c in given if not find_date(c.sentence)}  # a dated concession is also a step
    steps = next_steps(read_deal_notes(kb, notes) if notes.strip() else [], deal.contacts, deal.rep, on, undated)
    return CallOutcome(call_notes=call_notes, recorded_at=recorded_at, attendees=attendees(notes, deal.contacts, exclude),
                       next_steps=steps, concessions=given)


def latest_outcome(kb: "KnowledgeBase", deal_id: str) -> CallOutcome:
    """Attendees and next steps of the deal's most recent recorded call notes: as its last debrief stored them, else read now.

    Empty when no call notes were recorded on the deal.
    """
    from coachgen.artifacts.grounding import deal_facts

    kb.records.deal(deal_id)  # an unknown deal is an error, not an empty outcome
    calls = [entry for entry in kb.records.log(deal_id) if entry["kind"] == "call-notes"]
    stored = kb.records.latest_debrief(deal_id)
    debrief = json.loads(stored) if stored else {}
    last = calls[-1] if calls else None
    if "next_steps" in debrief and debrief.get("call_notes") and (last is None or debrief["call_notes"].strip() == last["text"].strip()):
        return CallOutcome(call_notes=debrief["call_notes"], recorded_at=last["created_at"] if last else debrief["header"]["generated_at"],
                           attendees=debrief.get("attendees", []), next_steps=debrief.get("next_steps", []),
                           concessions=debrief.get("concessions", []))
    if last is None:
        return CallOutcome()
    day = date.fromisoformat(last["created_at"][:10])
    return read_outcome(kb, deal_facts(kb.records.deal(deal_id)), last["text"], day, last["created_at"])
