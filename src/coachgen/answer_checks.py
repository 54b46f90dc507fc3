"""Deterministic checks on a rep's answers to an objection: each gives a 1-5 level and the rep's own words.

They read only what the rep typed, so they are repeatable and explainable:

- ``acknowledge``: does the first thing the rep says acknowledge the concern (in the buyer's words), or argue?
- ``explore``: open questions about what is behind the objection, versus closed or leading ones.
- ``respond_value``: an answer carrying evidence (numbers, customer results) and the playbook's points.
- ``confirm``: a check that the answer addressed the concern.
- ``next_step``: a proposed action, with a time, the right people and an ask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from coachgen.artifacts.meddpicc import split_sentences

__all__ = ["CheckResult", "blocker_hits", "run_check", "words"]


@dataclass(frozen=True)
class CheckResult:
    """A level 1-5 and the sentence of the rep's that decided it (None when nothing in the answer shows it)."""

    level: int
    evidence: str | None


_STOP = set("""a about above after again all also am an and any are as at be because been before being both but by can could did do
does doing down during each few for from further had has have having he her here him his how i if in into is it its itself just
me more most my no nor not now of off on once only or other our out over own same she should so some such than that the their
them then there these they this those through to too under until up very was we were what when where which while who whom why
will with would you your yours yourself yourselves it's that's we're you're don't can't won't i'm we've you've isn't aren't
""".split())

_ACK = re.compile(r"\b(i (completely |totally |really )?(understand|hear you|hear that|get (it|that|why))|understandabl[ey]|"
                  r"that'?s (an? )?(fair|valid|reasonable|good|common|real|great|important|big)|understood|fair (point|concern|question|enough)|"
                  r"makes (total |complete )?sense|(i )?appreciate|thanks? (you )?for (raising|sharing|telling|being|bringing|flagging)|"
                  r"good (question|point)|i can see why|you'?re right to|valid (concern|point)|sounds like|i hear|"
                  r"a lot of (our )?(customers|teams|finance leaders|people) (say|feel|raise|ask))\b", re.IGNORECASE)
_DEFENSIVE = re.compile(r"^\s*(no\b|actually\b|that'?s (not true|wrong|incorrect)|you'?re wrong|well,? actually|honestly,? no)", re.IGNORECASE)
_OPEN = re.compile(r"(^|[:;,]\s*)(so,?\s+|and\s+|but\s+|out of curiosity,?\s+|just so i understand,?\s+)?(what|how|why|which|when|who|where|tell me|"
                   r"help me understand|walk me through|can you (tell|walk|share|help|say)|could you (tell|walk|share|help|say)|"
                   r"would you (mind )?(tell|walk|share)|in what way)\b|compared (to|with) what|what'?s behind", re.IGNORECASE)
_LEADING = re.compile(r"\b(wouldn'?t you agree|don'?t you think|isn'?t it|aren'?t you|right\?$|surely)", re.IGNORECASE)
_CONFIRM = re.compile(r"\b(does (that|this) (answer|address|help|make sense|cover|resolve|settle|ease|change|work for you|sound|feel|seem)|"
                      r"did (that|i) (answer|address|help|cover)|is (that|this) (helpful|fair|clearer|what you)|how does (that|this) sound|"
                      r"have i (answered|addressed)|would (that|this) (address|solve|help|answer|work)|does that land)", re.IGNORECASE)
_ANYTHING_ELSE = re.compile(r"\b(anything else|what else|any other (concern|question|worr)|is there something else|stand(s|ing)? in the way)", re.IGNORECASE)
_LOOSE = re.compile(r"\b(ok|okay|right|yeah|fair|good|alright)\s*\?\s*$", re.IGNORECASE)
_ASSUMPTIVE = re.compile(r"\b(so that'?s (settled|sorted|solved)|so we'?re (good|fine|ok)|problem solved|that should settle it)", re.IGNORECASE)
_ACTION = re.compile(r"\b(schedule|book|set up|set aside|put (it|something|a call|time) in|send|proposal|meet|call|demo|workshop|"
                     r"trial|pilot|proof of value|introduce|loop in|bring in|join|walk (you|your|them) through|review|session|"
                     r"meeting|bring|sign|contract|paperwork|order form|put (me|us) in touch|business case|roi model|reference call|next step)\b", re.IGNORECASE)
_TIME = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|tomorrow|today|next week|this week|"
                   r"end of (the )?(week|month|day)|january|february|march|april|may|june|july|august|september|october|"
                   r"november|december|\d{1,2}(:\d\d)?\s?(am|pm)|\d{1,2}(st|nd|rd|th)\b|\d{1,2}/\d{1,2}|in (two|three|\d+) (days|weeks))\b", re.IGNORECASE)
_PEOPLE = re.compile(r"\b(your (cfo|controller|team|it|legal|procurement|manager|boss|colleagues?|finance|ap|accounts payable|"
                     r"head of|vp|director|ceo|coo|security)|with (your|the) \w+|our (solutions engineer|se|cfo|customer|implementation)|"
                     r"(cfo|controller|legal|procurement|it team))\b", re.IGNORECASE)
_VAGUE = re.compile(r"\b(stay in touch|keep in touch|follow up|circle back|talk (again|soon|later)|reach out|touch base|get back to you|"
                    r"speak soon|be in touch)\b", re.IGNORECASE)
_EVIDENCE = re.compile(r"(\d|%|\b(customers?|clients?|case study|for example|for instance|reference|results?|saved|saves|"
                       r"roi|payback|hours|days|benchmark|proof of value|one of our|teams like yours)\b)", re.IGNORECASE)
_GENERIC = re.compile(r"\b(we'?re the best|best in class|trust me|industry[- ]leading|number one|world[- ]class|best product|"
                      r"nobody beats|you won'?t regret)\b", re.IGNORECASE)
_SOLO = re.compile(r"\bi('ll| will| can)? (send|email|forward|mail)\b", re.IGNORECASE)
_MEETING = re.compile(r"\b(call|meet|meeting|session|demo|workshop|review|book|schedule|join|walk)\b", re.IGNORECASE)
_PRICE_CUT = re.compile(r"(\bdiscount|\b\d+\s?(%|percent) off\b|\b(cut|lower|drop|reduce)(s|ing)? (the|our|my) price)", re.IGNORECASE)
_BUYER_FRAME = re.compile(r"\b(your|you'?d|you'?ll|for you|in your|your team'?s?)\b", re.IGNORECASE)


def words(text: str) -> set[str]:
    """Content words (lower case, no stop words, at least 4 letters) with a crude plural fold."""
    found = {word.lower().rstrip("'") for word in re.findall(r"[A-Za-z][A-Za-z'-]+", text)}
    return {w[:-1] if w.endswith("s") and len(w) > 4 else w for w in found if len(w) >= 4 and w not in _STOP}


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?")


def _acknowledge(turns: list[list[str]], objection: str, reference: str) -> CheckResult:
    first = turns[0] if turns and turns[0] else []
    all_sentences = [s for turn in turns for s in turn]
    if first and _ACK.search(first[0]):
        opening = first[0]
        rest = opening[_ACK.search(opening).end():]
        turned = re.search(r"\bbut\b", rest, re.IGNORECASE) or (len(first) > 1 and re.match(r"\s*but\b", first[1], re.IGNORECASE))
        if turned and not _is_question(opening):
            return CheckResult(2, opening)
        echoes = words(opening) & words(objection)
        return CheckResult(5 if echoes else 4, opening)
    later = next((s for s in all_sentences if _ACK.search(s)), None)
    if later is not None and not (first and _DEFENSIVE.search(first[0])):
        return CheckResult(3, later)
    return CheckResult(1, first[0] if first else None)


def _exploring(sentence: str) -> bool:
    return _is_question(sentence) and not _CONFIRM.search(sentence) and not (_ACTION.search(sentence) and _TIME.search(sentence))


def _explore(turns: list[list[str]], objection: str, reference: str) -> CheckResult:
    questions = [s for turn in turns for s in turn if _exploring(s)]
    open_questions = [q for q in questions if _OPEN.search(q) and not _LEADING.search(q)]
    if len(open_questions) >= 2:
        return CheckResult(5, open_questions[0])
    if open_questions:
        first = turns[0] if turns else []
        asked = next((n for n, s in enumerate(first) if s == open_questions[0]), None)
        answered = next((n for n, s in enumerate(first) if _answers(s)), len(first))
        before_answer = asked is not None and asked < answered
        return CheckResult(4 if before_answer else 3, open_questions[0])
    if questions:
        return CheckResult(2, questions[0])
    return CheckResult(1, None)


def _respond_value(turns: list[list[str]], objection: str, reference: str) -> CheckResult:
    statements = [s for turn in turns for s in turn if _answers(s)]
    if not statements:
        return CheckResult(1, None)
    playbook = words(reference) - words(objection)
    scored = [(len(words(s) & playbook), bool(_EVIDENCE.search(s)), s) for s in statements]
    overlap = sum(points for points, _, _ in scored)
    best = max(scored, key=lambda item: (item[1], item[0]))
    evidence = any(has for _, has, _ in scored)
    framed = any(_BUYER_FRAME.search(s) for _, has, s in scored if has)
    if evidence and overlap >= 2:
        return CheckResult(5 if framed else 4, best[2])
    if evidence or overlap >= 2:
        return CheckResult(3, best[2])
    generic = next((s for s in statements if _GENERIC.search(s)), None)
    return CheckResult(2, generic or statements[0]) if generic or len(words(" ".join(statements))) >= 4 else CheckResult(1, statements[0])


def _confirm(turns: list[list[str]], objection: str, reference: str) -> CheckResult:
    sentences = [s for turn in turns for s in turn]
    confirm = next((s for s in sentences if _CONFIRM.search(s)), None)
    if confirm is not None:
        return CheckResult(5 if any(_ANYTHING_ELSE.search(s) for s in sentences) else 4, confirm)
    loose = next((s for s in sentences if _LOOSE.search(s) or _ANYTHING_ELSE.search(s)), None)
    if loose is not None:
        return CheckResult(3, loose)
    assumptive = next((s for s in sentences if _ASSUMPTIVE.search(s)), None)
    return CheckResult(2, assumptive) if assumptive else CheckResult(1, None)


def _next_step(turns: list[list[str]], objection: str, reference: str) -> CheckResult:
    sentences = [s for turn in turns for s in turn]
    steps = [s for s in sentences if _ACTION.search(s) and not _VAGUE.search(s) and not _exploring_only(s)]
    timed = [s for s in steps if _TIME.search(s)]
    joint = [s for s in timed if not _SOLO.search(s) or _MEETING.search(s)]
    if joint:
        complete = [s for s in joint if _PEOPLE.search(s) and _is_question(s)]
        return CheckResult(5, complete[0]) if complete else CheckResult(4, joint[0])
    if steps:
        return CheckResult(3, steps[0])
    vague = next((s for s in sentences if _VAGUE.search(s)), None)
    return CheckResult(2, vague) if vague else CheckResult(1, None)


def _answers(sentence: str) -> bool:
    """A sentence that answers the concern: not a question, a bare acknowledgement, logistics or a price cut."""
    if _is_question(sentence) or _VAGUE.search(sentence) or (_ACTION.search(sentence) and _TIME.search(sentence)):
        return False
    if _PRICE_CUT.search(sentence):
        return False
    return not (_ACK.search(sentence) and not _EVIDENCE.search(sentence))


def _exploring_only(sentence: str) -> bool:
    """An open question about the objection that merely mentions a call or review ('How did the review go?')."""
    return _is_question(sentence) and bool(_OPEN.search(sentence)) and not re.search(r"\b(can|could|shall|should|would|let'?s|how about|are you)\b", sentence, re.IGNORECASE)


_CHECKS: dict[str, Callable[[list[list[str]], str, str], CheckResult]] = {
    "acknowledge": _acknowledge, "explore": _explore, "respond_value": _respond_value, "confirm": _confirm, "next_step": _next_step,
}


def run_check(name: str, answers: list[str], objection: str, reference: str) -> CheckResult:
    """Run one named check over the rep's answers (one string per turn) to ``objection``.

    ``reference`` is what a strong answer contains according to the playbook.
    """
    turns = [split_sentences(answer) for answer in answers]
    return _CHECKS[name](turns, objection, reference)


def blocker_hits(blockers: list[object], answers: list[str]) -> list[tuple[object, str]]:
    """Each rubric blocker the answers show, with the sentence that shows it."""
    sentences = [s for answer in answers for s in split_sentences(answer)]
    hits = []
    for blocker in blockers:
        sentence = next((s for s in sentences if blocker.matches(s)), None)  # type: ignore[attr-defined]
        if sentence is not None:
            hits.append((blocker, sentence))
    return hits
