"""The one thing that decides a deal, which plans and debriefs open with, and a check of their advice against it.

The deciding issue is, in this order: the buyer's latest concern (of the latest note that voices one; the
economic buyer's when they voice one there), else the latest risk the buyer side raises, else the first open
qualification element (a risk before an unknown). Its answer is the team's objection entry that hybrid search
ranks first for the issue's own words, when the score reaches ``ISSUE_MATCH`` for a concern or ``RISK_MATCH``
for a risk (the same search a rep's query gets, so a shared rare term such as "three-year" counts, not only
the embedding's sense of the topic). Both were set on the bundled sample's open deals (every concern at 0.5 or
more found its objection, no wrong one did; wrong answers to risks reached 0.69) and read on a second corpus.

Advice elsewhere in the artifact that touches the issue's topic (a word of the issue that the answer also
uses, or the issue's content words when there is no answer) but does not come from the issue's own answer is
listed as a conflict: offering "a longer term" to procurement when the signer is worried about the term. Advice
for an objection on the same topic is an answer to it, not a conflict.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable, Literal

from pydantic import BaseModel, Field

from coachgen.artifacts.common import CitedText, SourcePack
from coachgen.artifacts.grounding import objection_entries, objection_of, read_deal_notes, response_of

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["ISSUE_MATCH", "RISK_MATCH", "DecidingIssue", "conflicts_with", "find_deciding_issue", "topic_words"]

ISSUE_MATCH = 0.5  # hybrid-search score from which an objection entry is the library's answer to a concern
RISK_MATCH = 0.75  # ...and to a risk, which often shares words with an objection it is not
_STAMP = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})")


class DecidingIssue(BaseModel):
    """What decides the deal now, in the buyer's words where the notes give them, with the team's answer."""

    kind: Literal["concern", "risk", "gap", "none"] = Field(description="Where it came from: a buyer concern, a risk, an open qualification element, or nothing found.")
    issue: str = Field(description="The issue: the note sentence, or the open element.")
    said_on: str | None = Field(None, description="Date of the note that raised it, when the note carries one.")
    why: str = Field(description="Why this is the issue that decides the deal.")
    objection: str | None = Field(None, description="The library objection that answers it, when one does.")
    answer: CitedText | None = Field(None, description="The team's answer to it, cited.")
    conflicts: list[str] = Field(default_factory=list, description="Advice in this artifact that touches the issue without answering it.")


def _note_date(notes: str, sentence: str) -> str | None:
    for line in notes.splitlines():
        if sentence[:40] in line:
            stamp = _STAMP.match(line)
            return stamp.group(1) if stamp else None
    return None


def _note_line(notes: str, sentence: str) -> int:
    return next((i for i, line in enumerate(notes.splitlines()) if sentence[:40] in line), -1)


def _first_names(names: Iterable[str]) -> set[str]:
    return {name.split()[0] for name in names if name.split()}


def _signers(contacts: Iterable[Any], statuses: Iterable[Any]) -> set[str]:
    """First names of the deal's contacts that the economic-buyer evidence names."""
    evidence = " ".join(s.evidence or "" for s in statuses if s.element.lower().startswith("economic") and s.status == "known")
    return {first for first in _first_names(c.name for c in contacts) if first and re.search(rf"\b{re.escape(first)}\b", evidence)}


def _latest(readings: list[Any], notes: str, wanted: Any, signers: set[str]) -> Any:
    """The latest reading ``wanted`` accepts: of the latest note line holding one, the signer's if they voice one, else the last."""
    chosen = [r for r in readings if wanted(r)]
    if not chosen:
        return None
    last_line = max(_note_line(notes, r.sentence) for r in chosen)
    latest = [r for r in chosen if _note_line(notes, r.sentence) == last_line]
    by_signer = [r for r in latest if any(re.search(rf"\b{re.escape(first)}\b", r.sentence) for first in signers)]
    return (by_signer or latest)[-1]


def _answer(kb: "KnowledgeBase", issue: str, pack: SourcePack, threshold: float) -> tuple[str | None, CitedText | None]:
    from coachgen.retrieval import Filters, search

    entries = {entry.id: entry for entry in objection_entries(kb)}
    if not entries:
        return None, None
    hits = search(kb, issue, k=1, per_doc=1, filters=Filters(chunks=frozenset(entries)))
    if not hits or hits[0].score < threshold or hits[0].id not in entries:
        return None, None
    entry = entries[hits[0].id]
    return objection_of(entry), CitedText(text=response_of(entry), sources=[pack.add(entry)])


def _words(text: str) -> set[str]:
    from coachgen.retrieval import STOPWORDS

    words = {w.strip("'-") for w in re.findall(r"[a-z][a-z'-]+", text.lower())}
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words if w not in STOPWORDS and len(w) > 2}  # plural -> singular


def find_deciding_issue(kb: "KnowledgeBase", notes: str, contacts: list[Any], statuses: list[Any], pack: SourcePack) -> DecidingIssue:
    """The issue that decides the deal, from the notes (latest first) and the qualification status, with the library's answer."""
    readings = read_deal_notes(kb, notes) if notes.strip() else []
    signers = _signers(contacts, statuses)
    concern = _latest(readings, notes, lambda r: r.label == "concern" and r.speaker != "rep", signers)
    if concern is not None:
        who = "the economic buyer's" if any(re.search(rf"\b{re.escape(f)}\b", concern.sentence) for f in signers) else "the buyer's"
        kind, issue, why = "concern", concern.sentence, f"{who} latest concern in the notes"
    else:
        risk = _latest(readings, notes, lambda r: r.label == "risk" and r.speaker != "rep", signers)
        gaps = [s for s in statuses if s.status == "risk"] + [s for s in statuses if s.status == "unknown"]
        if risk is not None:
            kind, issue, why = "risk", risk.sentence, "the latest risk in the notes (no buyer concern is on record)"
        elif gaps:
            gap = gaps[0]
            kind, issue = "gap", f"{gap.element}: {'at risk' if gap.status == 'risk' else 'not established'}"
            why = "the first open qualification element (no buyer concern or risk is in the notes)"
        else:
            return DecidingIssue(kind="none", issue="Nothing in the notes or the qualification is open.",
                                 why="no concern, risk or open qualification element is on record")
    said_on = _note_date(notes, issue) if kind != "gap" else None
    objection, answer = _answer(kb, issue, pack, ISSUE_MATCH if kind == "concern" else RISK_MATCH) if kind != "gap" else (None, None)
    return DecidingIssue(kind=kind, issue=issue, said_on=said_on, why=why, objection=objection, answer=answer)


def topic_words(issue: DecidingIssue, names: Iterable[str] = ()) -> set[str]:
    """The words that mark advice as touching the issue: shared by the issue and its answer, else the issue's own."""
    own = _words(issue.issue) - {n.lower() for n in _first_names(names)}
    if issue.answer is not None:
        shared = own & _words(f"{issue.objection} {issue.answer.text}")
        if shared:
            return shared
    return own if issue.kind in ("concern", "risk") and len(own) <= 4 else set()


def conflicts_with(issue: DecidingIssue, advice: Iterable[tuple[str, str]], names: Iterable[str] = ()) -> list[str]:
    """One line per piece of ``advice`` (objection it answers, text) that touches the issue's topic without being its answer."""
    words = topic_words(issue, names)
    if not words or issue.kind not in ("concern", "risk"):
        return []
    found = []
    for objection, text in advice:
        if issue.objection is not None and objection.strip() == issue.objection.strip() or words & _words(objection):
            continue  # the issue's own answer, or advice for an objection on the same topic
        label = f"The advice for \"{objection}\""
        touched = sorted(words & _words(text))
        if touched:
            found.append(f"{label} mentions {', '.join(repr(w) for w in touched)}, which the deciding issue is about "
                         f"(\"{issue.issue}\"): settle that first, or offer what does not touch it.")
    return found
