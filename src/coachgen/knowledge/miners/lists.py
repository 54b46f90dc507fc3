"""Question lists: bullets that are questions, under a discovery-like heading or making up most of a list.

The heading gives the topic; a heading that names an element of the qualification methodology (see
``defaults/methodologies.yaml``) gives the element, and a ``Gap question:`` style label under such a
heading makes the gap question for that element. ``bad → better`` pairs keep the better question.
A heading such as 'Questions for the <role>' gives the persona.
"""

from __future__ import annotations

import re

from coachgen.knowledge.defaults import load
from coachgen.knowledge.miners import Context, clean
from coachgen.knowledge.records import DiscoveryQuestion, GapQuestion, KnowledgeRecord
from coachgen.knowledge.structure import Section, cue_score, words

__all__ = ["element_of", "is_question", "mine"]

_ARROW = re.compile(r"\s*(?:→|->|=>|⟶)\s*")
_PERSONA = re.compile(r"\b(?:for|with|to)\s+(?:the|a|an|your)?\s*(.+?)\s*$", re.IGNORECASE)


def element_of(title: str) -> str | None:
    """The methodology element a heading names (any shipped methodology), or None."""
    lowered = " ".join(words(title))
    data = load("methodologies")
    for elements in data["methodologies"].values():
        for entry in elements:
            names = [entry["element"].lower(), *[alias.lower() for alias in entry.get("aliases", [])]]
            if any(re.search(rf"(?:^|\s){re.escape(name)}(?:\s|$)", lowered) for name in names if len(name) > 3 or name == lowered):
                return str(entry["element"])
    return None


def _question(context: Context, text: str) -> str | None:
    """The question in a bullet (the better side of a 'bad → better' pair), asked of the buyer; None otherwise.

    A question mark, or a discovery prompt such as 'Walk me through...', makes a question; one in the rep's
    own voice ('Could I name...?') is a self-check, not a question for the buyer.
    """
    parts = _ARROW.split(text)
    candidate = clean(parts[-1]) if len(parts) > 1 else clean(text)
    candidate = re.sub(r"^(?:better|good|instead|ask|try)\s*:\s*", "", candidate, flags=re.IGNORECASE)
    candidate = clean(candidate)
    if len(words(candidate)) < 3 or cue_score(candidate, context.vocabulary["internal_voice"]):
        return None
    opener = any(" ".join(words(candidate)).startswith(cue) for cue in context.vocabulary["question_openers"])
    return candidate if candidate.endswith("?") or opener else None


def is_question(context: Context, text: str) -> bool:
    """True when ``text`` is a question for the buyer (see :func:`_question`)."""
    return _question(context, text) == clean(text) and bool(text)


def _persona(title: str) -> str | None:
    match = _PERSONA.search(title)
    return clean(match.group(1)) if match and 1 <= len(match.group(1).split()) <= 4 else None


def mine(context: Context) -> list[KnowledgeRecord]:
    """Discovery questions from question lists, and gap questions by methodology element."""
    found: list[KnowledgeRecord] = []
    gap_cues = context.vocabulary["label_cues"]["gap_question"]
    for section in context.sections:
        if context.means(section, "objection", ancestors=False):
            continue
        items = [block for block in section.blocks if block.kind == "item"]
        questions = [(block, q) for block in items if (q := _question(context, block.text))]
        element = element_of(section.title) if section.level else None
        for block in section.blocks:
            if block.label and element and cue_score(block.label, gap_cues) and block.rest.rstrip('"”').endswith("?"):
                found.append(GapQuestion(text=clean(block.rest), element=element,
                                         provenance=context.provenance(section, block.line, block.end, "question-list")))
        discovery_like = context.means(section, "discovery") or element is not None
        if not questions or not (discovery_like or (len(questions) >= 2 and len(questions) * 2 >= len(items) and context.meaning(context.document.title))):
            continue
        for block, question in questions:
            if any(isinstance(r, GapQuestion) and r.text == question for r in found):
                continue
            found.append(DiscoveryQuestion(
                text=question, topic=section.title, element=element, persona=_persona(section.title),
                provenance=context.provenance(section, block.line, block.end, "question-list", 1.0 if discovery_like else 0.8),
            ))
    return found
