"""MEDDPICC status decided by code from what a deal's notes establish, not by the model."""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ELEMENTS", "ElementStatus", "assess", "split_sentences"]

#: element -> (patterns that establish it, patterns that mark it a risk); "no metrics" style notes stay unknown
ELEMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Metrics": ((r"\b\d+[- ]day", r"\btarget\b", r"\$\s?\d", r"\b\d[\d,]* invoices", r"(?<!no )\bmetrics?:"), ()),
    "Economic buyer": ((r"\bCFO\b.*\b(signs|sign|approved|decision maker|economic buyer|joined|sponsor)", r"economic buyer is", r"is the (decision maker|economic buyer)"),
                       (r"never met the CFO", r"economic buyer unknown", r"not the (one who decides|decision maker)", r"who signs", r"CFO unknown", r"no economic buyer")),
    "Decision criteria": ((r"decision criteri", r"key decision criterion", r"deciding factor", r"criteria met"), ()),
    "Decision process": ((r"evaluation plan", r"mutual close plan", r"proof of value", r"selected", r"verbal (yes|selection)", r"preferred"), ()),
    "Paper process": ((r"\blegal\b", r"\bMSA\b", r"\bDPA\b", r"procurement", r"paper process:"), (r"paper process unknown", r"legal will take months")),
    "Identify pain": ((r"\bpain\b", r"cost them", r"\bduplicate", r"close (takes|from)", r"\bwait\b", r"missed"), ()),
    "Champion": ((r"\bchampion\b",), (r"single contact", r"single-threaded", r"not your champion", r"only contact")),
    "Competition": ((r"Quorvel", r"Brightbook", r"competitor", r"competing", r"ERP's AP module", r"incumbent"),
                    (r"lost to", r"quoted (us )?a lot less", r"renewed")),
}


@dataclass(frozen=True)
class ElementStatus:
    """known / unknown / risk, with the note sentence that decided it."""

    element: str
    status: str
    evidence: str | None


def split_sentences(notes: str) -> list[str]:
    """Sentences and lines of free-text notes."""
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n+", notes or "") if s.strip()]


def assess(notes: str) -> list[ElementStatus]:
    """Each MEDDPICC element's status from the notes; a risk pattern outranks an establishing one."""
    sentences = split_sentences(notes)
    result = []
    for element, (establish, risk) in ELEMENTS.items():
        status, evidence = "unknown", None
        for sentence in sentences:
            if any(re.search(p, sentence, re.IGNORECASE) for p in risk):
                status, evidence = "risk", sentence
                break
            if status == "unknown" and any(re.search(p, sentence, re.IGNORECASE if p.islower() else 0) for p in establish):
                status, evidence = "known", sentence
        result.append(ElementStatus(element, status, evidence))
    return result
