"""The drill checks: a 1-5 level per criterion from what the answer's units do (:mod:`coachgen.answer_reading`).

Each check reads roles, not trigger words: a unit's level comes from the rubric exemplars nearest to
it by meaning, its place in the answer, and parsed facts (a question, a time, people, figures found in
the team's material). Stock phrases with nothing behind them earn the middle of the scale at most.

- ``acknowledge``: the opening unit: arguing (1), a token acknowledgement turned with "but" (2), stock
  words (3), a real acknowledgement (4), in the buyer's own terms (5); only later: 3. An opening that takes
  up the buyer's concern in their own words (shared content words) is not read as arguing; one made of stock
  clauses strung together is stock words.
- ``explore``: questions about the objection (asked before answering, or offering the buyer alternatives):
  leading or closed (2), stock or asked after answering (3), open and before the answer (4), two or more (5).
- ``respond_value``: statements that answer the concern: generic claims (2), a relevant point (3),
  specific evidence from the team's material (a figure it states, a customer its proof records name) (4),
  framed in the buyer's situation (5). A statement that is only praise ("best-in-class, seamless") is generic.
- ``confirm``: a check that the answer landed (a question about what the rep just said: "does that...", or a
  request to be told: "tell me whether that...", "if that helps, say so", after an answer): assumed (2),
  loose (3), asked (4), plus "anything else" in the same sentence (5); at most 3 when nothing was answered.
- ``next_step``: vague (2), a step without a time (3), with a time (4), with the right people and an ask (5);
  short fragments after a proposal ("Site walk. Friday. 7am.") are read with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Callable

from coachgen.answer_reading import ASKS_IF_IT_LANDED, AnswerReading, Unit, content_words, names_a_time, names_people
from coachgen.knowledge.defaults import load

__all__ = ["CheckResult", "THRESHOLDS", "run_check"]


@dataclass(frozen=True)
class CheckResult:
    """A level 1-5 and the unit of the rep's answer that decided it (None when nothing in the answer shows it)."""

    level: int
    evidence: str | None


#: Similarity thresholds, measured on tests/fixtures/drill_tuning.yaml (benchmarks/drill_scoring.py).
THRESHOLDS = {
    "own_terms": 0.45,  # opening unit this close to the objection speaks in the buyer's terms
    "relevant": 0.35,  # a statement this close to the objection or the playbook's answer addresses it
    "playbook": 0.55,  # ...this close to the playbook's answer carries its substance
    "stock_words": 3,  # an acknowledgement or question with at most this many content words is stock
    "stock": 0.45,  # stance this close to the stock exemplars is stock words
    "argue_margin": 0.02,  # stance closer to arguing than to acknowledging by this much argues
    "leading_margin": 0.0,  # an open question nearer the leading exemplars than the open ones by more than this leads
    "echo_words": 2,  # an opening sharing this many content words with the objection takes up the buyer's concern
    "fragment_words": 5,  # sentences this short that follow a proposal are read with it ("Friday. 7am. You and your manager.")
    "generic": 0.45,  # a statement this close to the generic-claim exemplars is a generic claim
    "proof": 0.6,  # ...this close to one of the team's customer results or value drivers cites it
    "praise_words": 3,  # a statement with puffery and at most this many other words the objection lacks is only praise
}

_DEFENSIVE = re.compile(r"^\s*(no\b(?=\s*[,.;:!\u2013\u2014-])|actually\b|that'?s (not true|wrong|incorrect)|you'?re wrong|well,? actually|honestly,? no)", re.IGNORECASE)
_ANYTHING_ELSE = re.compile(r"\b(anything else|what else|something else|other (concern|question|worr|requirement|reason)|stand(s|ing)? in the way|"
                            r"holding you back|in the way|anyone else|anything (besides|beyond)|anyone (besides|beyond)|"
                            r"or (is|was) there (another|more|anything|anyone|something)|more to it|if anything|"
                            r"\b(anything|something|what|other \w+)\b.{0,25}\bstill (keeps?|stops?|holds?|bothers?|worr(y|ies)|stands?)\b)", re.IGNORECASE)
_OFFER = re.compile(r"\b(i'?ll|we'?ll|let'?s|let me|i will|we will|i can|we can|shall|i'?d suggest|i suggest|i propose|happy to|how about|"
                    r"what about|why don'?t we|i'?d like to)\b", re.IGNORECASE)  # the rep proposes or offers
_ANSWERS = re.compile(r"\b(answers?|address(es)?|covers?|settles?|solves?|deals? with|meets?|resolves?|helps?)\b", re.IGNORECASE)
_BACK_REFERENCE = re.compile(  # a question about what the rep just said: "does that ...", "would this ..."
    r"^\W*(and |so |ok,? |okay,? )?(does|do|would|will|did|could|can|is|has|might) (that|this|these|those|all that|any of that|"
    r"either of (those|these)|any of (those|these)|one of (those|these))\b", re.IGNORECASE)
_VAGUE = re.compile(r"\b(stay in touch|keep in touch|follow up|circle back|talk (again|soon|later)|reach out|touch base|get back to you|"
                    r"speak soon|be in touch|let me know|have a think|check back)\b", re.IGNORECASE)
_ACTION = re.compile(r"\b(book|schedule|set up|put .{0,20} in|send|meet|call|demo|workshop|trial|pilot|session|meeting|walk|go through|"
                     r"run through|review|join|sit down|rebuild|show|visit|come out|bring|draft|order form|contract|sign|introduce|line up|"
                     r"get .{0,25} together|take \d+|grab|minutes|an hour|half an hour|start|kick off|proposal)\b", re.IGNORECASE)
_OPEN = re.compile(r"^\W*(and |so |but |or )?(what|how|why|which|when|who|where|tell me|help me|walk me|in what way|compared)\b|"
                   r"\b(what|how|why|which|who)\b", re.IGNORECASE)
_CLOSED_START = re.compile(r"^\W*(is|are|do|does|did|was|were|have|has|had|will|would|wouldn'?t|don'?t|isn'?t|aren'?t|can|could|should|surely)\b",
                           re.IGNORECASE)
_WH_START = re.compile(r"^\W*(and |so |but |or |ok,? |and so )?(what|how|why|which|who|where|when|tell me|help me|walk me|in what way)\b",
                       re.IGNORECASE)
_PROPOSAL_WH = re.compile(r"^\W*(and |so )?(when|what time|what day)\b.{0,30}\b(we|us|i)\b", re.IGNORECASE)
_BUYER_SITUATION = re.compile(r"\b(you said|you told|you mentioned|your own|for your|in your|at your|your \w+ (numbers|data|figures|team|volume))\b",
                              re.IGNORECASE)
_ASSUMED = re.compile(r"\b(so that'?s (settled|sorted|solved|that)|so we'?re (good|fine|ok)|problem solved|that should settle it|"
                      r"that'?s that)\b", re.IGNORECASE)


@cache
def _praise(key: str) -> re.Pattern[str]:
    """One list of praise words from ``answer_words.yaml`` (``puffery`` or ``mild_praise``) as one pattern."""
    words = sorted(load("answer_words")[key], key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(w).replace(r"\-", "[- ]").replace(r"\ ", "[- ]") for w in words) + r")(?![\w-])",
                      re.IGNORECASE)


def _praise_only(reading: AnswerReading, unit: Unit) -> bool:
    """A statement on the buyer's topic that says nothing but praise: puffery, and few words beyond praise and the objection's."""
    if not _praise("puffery").search(unit.text):
        return False
    said = _praise("mild_praise").sub(" ", _praise("puffery").sub(" ", unit.text))
    return len(content_words(said) - content_words(reading.objection)) <= THRESHOLDS["praise_words"]


def _stance(reading: AnswerReading, unit: Unit) -> dict[int, float]:
    """How close the unit's stance (its topic taken out) is to the acknowledge exemplars of levels 5, 3 and 1."""
    return {level: reading.exemplars.best_of("acknowledge", unit.vector, level, reading.objection_vector) for level in (5, 3, 1)}


def _is_stock(reading: AnswerReading, unit: Unit) -> bool:
    """Stock acknowledgement words with little of the buyer's concern in them."""
    stance = _stance(reading, unit)
    return stance[3] >= THRESHOLDS["stock"] or (len(content_words(unit.text)) <= THRESHOLDS["stock_words"] and stance[3] >= stance[5]
                                                 and reading.similarity_to_objection(unit) < THRESHOLDS["own_terms"])


def _echoes(reading: AnswerReading, unit: Unit) -> bool:
    """Whether the unit takes up the buyer's concern in the buyer's own words (content words shared), without contradicting it."""
    return len(content_words(unit.text) & content_words(reading.objection)) >= THRESHOLDS["echo_words"] and not _DEFENSIVE.search(unit.text)


def _argues(reading: AnswerReading, unit: Unit) -> bool:
    """A defensive opening, or a stance nearer the arguing exemplars (unless it takes up the buyer's concern in their words)."""
    stance = _stance(reading, unit)
    return bool(_DEFENSIVE.search(unit.text)) and not reading.objection.rstrip().endswith("?") or \
        stance[1] > max(stance[5], stance[3]) + THRESHOLDS["argue_margin"] and not _echoes(reading, unit)


def _acknowledge(reading: AnswerReading) -> CheckResult:
    sentences = reading.sentences
    if not sentences:
        return CheckResult(1, None)
    first = sentences[0]
    blocked = {unit.sentence for _, unit in reading.blocked}
    opens_with_question = reading.units[0].question
    turned = bool(re.search(r"[,;]\s*but\b", first.text, re.IGNORECASE)) or \
        len(sentences) > 1 and bool(re.match(r"\s*(but|however)\b", sentences[1].text, re.IGNORECASE))
    if first.text in blocked or opens_with_question or _argues(reading, first):
        stock = lambda unit: not unit.question and _stance(reading, unit)[3] >= THRESHOLDS["stock"]  # noqa: E731
        later = next((unit for unit in sentences[1:3] if stock(unit) and unit.text not in blocked), None)
        return CheckResult(3, later.text) if later is not None else CheckResult(1, first.text)
    clauses = [unit for unit in reading.units if unit.sentence == first.text]
    if _is_stock(reading, first) or all(_is_stock(reading, unit) for unit in clauses):  # stock words, or stock clauses strung together
        return CheckResult(2 if turned else 3, first.text)
    if turned:
        return CheckResult(2, first.text)
    stance = _stance(reading, first)
    own_terms = reading.similarity_to_objection(first) >= THRESHOLDS["own_terms"] and stance[5] >= stance[1]
    return CheckResult(5 if own_terms else 4, first.text)


def _after_answer(reading: AnswerReading, unit: Unit) -> bool:
    """Whether the rep has stated something that answers the concern before this unit (beyond the opening)."""
    return any(0 < u.position < unit.position for u in _answer_units(reading))


def _choice(unit: Unit) -> bool:
    """A question that offers the buyer alternatives to choose from ("is it X, or Y?"): open, whatever its first word."""
    return bool(re.search(r",\s*or\b|\bor\b.{3,}\?\s*$", unit.text, re.IGNORECASE)) and not _BACK_REFERENCE.match(unit.text)


def _open(reading: AnswerReading, unit: Unit) -> bool:
    """An open question: asks what, how, why... (or offers alternatives), and is not plainly nearer the leading exemplars."""
    asks = _OPEN.search(unit.text) and not _CLOSED_START.match(unit.text) or _choice(unit)
    best = reading.exemplars.best_of
    return bool(asks) and best("explore", unit.vector, 2) <= best("explore", unit.vector, 5) + THRESHOLDS["leading_margin"]


def _role(reading: AnswerReading, unit: Unit) -> str:
    """What a question does: explores the objection, checks the answer landed, or proposes a next step."""
    if _ANYTHING_ELSE.search(unit.text) and not _WH_START.match(unit.text) or \
            ASKS_IF_IT_LANDED.match(unit.text) and not unit.when and _after_answer(reading, unit):
        return "confirm"
    if _BACK_REFERENCE.match(unit.text) and not unit.when and (_ANSWERS.search(unit.text) or _after_answer(reading, unit)):
        return "confirm"
    if _WH_START.match(unit.text):
        proposes = _PROPOSAL_WH.match(unit.text) or re.match(r"^\W*(how|what) about\b", unit.text, re.IGNORECASE) and \
            (unit.when or _ACTION.search(unit.text))
        return "next_step" if proposes else "explore"
    if unit.when and (_ACTION.search(unit.text) or unit.people) or \
            _ACTION.search(unit.text) and (unit.people or re.search(r"\b(we|us)\b", unit.text, re.IGNORECASE)):
        return "next_step"
    if _choice(unit) or not _after_answer(reading, unit):  # offers the buyer alternatives, or asks before answering: explores
        return "explore"
    sims = {name: reading.exemplars.level(name, unit.vector)[1] for name in ("explore", "confirm", "next_step")}
    return max(sims, key=sims.get)  # type: ignore[arg-type]


def _questions(reading: AnswerReading, role: str) -> list[Unit]:
    return [u for u in reading.units if u.question and _role(reading, u) == role]


def _answer_units(reading: AnswerReading) -> list[Unit]:
    """Statements that answer the concern: not questions, stock acknowledgements, next steps, vague closings or blockers."""
    blocked = {unit.position for _, unit in reading.blocked}
    found = []
    for unit in reading.units:
        if unit.question or unit.position in blocked or _VAGUE.search(unit.text) or (unit.when and _ACTION.search(unit.text)):
            continue
        if unit.position <= 1 and _stance(reading, unit)[3] >= THRESHOLDS["stock"]:  # stock words opening the answer
            continue
        found.append(unit)
    return found


def _explore(reading: AnswerReading) -> CheckResult:
    questions = _questions(reading, "explore")
    if not questions:
        return CheckResult(1, None)
    open_questions = [q for q in questions if _open(reading, q)]
    specific = [q for q in open_questions if reading.exemplars.best_of("explore", q.vector, 3) < reading.exemplars.best_of("explore", q.vector, 5)]
    if len(specific) >= 2:
        return CheckResult(5, specific[0].sentence)
    if specific:
        opener = 0 if _acknowledge(reading).level >= 4 else -1  # an acknowledging opener is not an answer
        answered = next((u.position for u in _answer_units(reading) if u.position > opener), len(reading.units))
        return CheckResult(4 if specific[0].position < answered else 3, specific[0].sentence)
    if open_questions:
        return CheckResult(3, open_questions[0].sentence)
    return CheckResult(2, questions[0].sentence)


def _statement_level(reading: AnswerReading, unit: Unit) -> int:
    """How far one statement answers the concern: generic (2), a relevant point (3), evidence (4), in the buyer's terms (5)."""
    exemplars = reading.exemplars
    generic = exemplars.best_of("respond_value", unit.vector, 2)
    playbook = max(reading.similarity_to_reference(unit), reading.similarity_to_proof(unit))
    if _argues(reading, unit) and playbook < THRESHOLDS["playbook"]:
        return 1
    if playbook < THRESHOLDS["relevant"] or generic > playbook:
        return 2 if generic >= THRESHOLDS["generic"] or content_words(unit.text) else 1
    evidence = bool(reading.grounded(unit)) or reading.similarity_to_proof(unit) >= THRESHOLDS["proof"] or bool(reading.cites(unit))
    if not evidence:
        return 2 if _praise_only(reading, unit) else 3
    return 5 if reading.buyer_figures(unit) or _BUYER_SITUATION.search(unit.text) else 4


def _respond_value(reading: AnswerReading) -> CheckResult:
    statements = _answer_units(reading)
    if not statements:
        return CheckResult(1, None)
    scored = [(_statement_level(reading, unit), reading.similarity_to_reference(unit), unit) for unit in statements]
    level, _, unit = max(scored, key=lambda item: (item[0], item[1]))
    if level == 4 and any(lvl >= 3 and (reading.buyer_figures(u) or _BUYER_SITUATION.search(u.text)) for lvl, _, u in scored):
        level = 5
    return CheckResult(level, unit.sentence)


def _confirm(reading: AnswerReading) -> CheckResult:
    checks = _questions(reading, "confirm")
    answered = _respond_value(reading).level >= 3
    if checks:
        unit = checks[0]
        level = 5 if any(_ANYTHING_ELSE.search(c.sentence) for c in checks) or len(checks) >= 2 and answered else 4
        if len(content_words(unit.text)) <= 1 and level == 4:
            level = 3
        return CheckResult(level if answered else min(level, 3), unit.sentence)
    assumed = next((u for u in reading.units if _ASSUMED.search(u.text)), None)
    return CheckResult(2, assumed.sentence) if assumed else CheckResult(1, None)


def _fragments(reading: AnswerReading, unit: Unit) -> Unit:
    """The unit with the short verbless fragments that follow it ("Site walk. Friday. 7am."), read as one proposal."""
    following = [u for u in reading.sentences if u.position > unit.position]
    joined = [unit.text]
    for fragment in following[:3]:
        if len(fragment.text.split()) > THRESHOLDS["fragment_words"]:
            break
        joined.append(fragment.text)
    if len(joined) == 1:
        return unit
    text = " ".join(joined)
    return Unit(text, unit.position, unit.sentence, unit.question or text.rstrip().endswith("?"), unit.vector,
                names_a_time(text), names_people(text) or unit.people, unit.figures)


def _next_step(reading: AnswerReading) -> CheckResult:
    steps = []
    for unit in reading.units:
        if unit.question and _role(reading, unit) != "next_step":
            continue
        unit = _fragments(reading, unit)
        if _VAGUE.search(unit.text) and not unit.when:
            steps.append((2, unit))
            continue
        if unit.when and (_ACTION.search(unit.text) or unit.people or unit.question or _OFFER.search(unit.text)):
            steps.append((5 if unit.people and unit.question else 4, unit))
        elif _ACTION.search(unit.text) and (unit.question or _OFFER.search(unit.text)):
            steps.append((3, unit))
    if not steps:
        return CheckResult(1, None)
    level, unit = max(steps, key=lambda item: (item[0], -item[1].position))
    return CheckResult(level, unit.sentence)


_CHECKS: dict[str, Callable[[AnswerReading], CheckResult]] = {
    "acknowledge": _acknowledge, "explore": _explore, "respond_value": _respond_value, "confirm": _confirm, "next_step": _next_step,
}


def run_check(name: str, reading: AnswerReading) -> CheckResult:
    """Run one named check over a read answer."""
    return _CHECKS[name](reading)
