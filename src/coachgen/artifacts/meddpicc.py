"""MEDDPICC status decided by code from what a deal's notes establish, not by the model.

:func:`assess_readings` takes the status from the meaning of each note sentence (:mod:`coachgen.note_reading`),
the latest evidence winning, so a debrief's notes move it; :func:`assess` reads literal cues only. The cues are labelled default data (``coachgen/knowledge/defaults/note_cues.yaml``); the names of the
team's competitors, from its own records, also establish Competition.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from coachgen.knowledge.defaults import load

__all__ = ["ElementStatus", "assess", "assess_readings", "elements", "split_sentences"]


@dataclass(frozen=True)
class ElementStatus:
    """known / unknown / risk, with the note sentence that decided it."""

    element: str
    status: str
    evidence: str | None


def elements() -> list[str]:
    """The qualification elements assessed, in order."""
    return list(load("note_cues"))


def split_sentences(notes: str) -> list[str]:
    """Sentences and lines of free-text notes."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", notes or "") if s.strip()]


def assess(notes: str, competitors: Iterable[str] = ()) -> list[ElementStatus]:
    """Each element's status from the notes; a risk cue outranks an establishing one."""
    sentences = split_sentences(notes)
    named = [rf"(?<!\w){re.escape(name)}(?!\w)" for name in competitors if name]
    result = []
    for element, cues in load("note_cues").items():
        establish = list(cues.get("establish", [])) + (named if element == "Competition" else [])
        risk = list(cues.get("risk", []))
        status, evidence = "unknown", None
        for sentence in sentences:
            if any(re.search(p, sentence, re.IGNORECASE) for p in risk):
                status, evidence = "risk", sentence
                break
            if status == "unknown" and any(re.search(p, sentence, re.IGNORECASE) for p in establish):
                status, evidence = "known", sentence
        result.append(ElementStatus(element, status, evidence))
    return result


def assess_readings(readings: Iterable[object]) -> list[ElementStatus]:
    """Each element's status from note sentences read by meaning, in note order: the latest sentence that gives
    evidence for an element decides it (met -> known, gap -> risk), and is shown as the evidence."""
    latest: dict[str, tuple[str, str]] = {}
    for reading in readings:
        for element, status in getattr(reading, "meddpicc", {}).items():
            latest[element] = ("known" if status == "met" else "risk", reading.sentence)  # type: ignore[attr-defined]
    return [ElementStatus(element, *latest.get(element, ("unknown", None))) for element in elements()]
