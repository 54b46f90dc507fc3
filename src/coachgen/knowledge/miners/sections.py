"""Records from sections whose heading, labels or document kind say what they hold.

- **Stages**: a section with an exit-criteria label ('Exit criteria: ...', 'Move on when:' followed by a
  list), or whose heading is one of the document's front-matter ``stages``. Order is document order;
  stuck days are the number in a clause that mentions being stuck or stale.
- **Competitors**: a battlecard's title, and proper-name sub-headings under a competitors heading.
- **Training modules**: a document of kind training, or whose title reads as training; the skill from
  front-matter ``skills`` or the shipped skill vocabulary (``defaults/skills.yaml``).
- **Value drivers**, **customer proof** (Problem / Solution / Result labels) and **content items**: the
  list items (or first sentences) of sections whose heading means them.
"""

from __future__ import annotations

import re

from coachgen.knowledge.defaults import load
from coachgen.knowledge.miners import Context, clean
from coachgen.knowledge.records import Competitor, ContentItem, KnowledgeRecord, ProofPoint, Stage, TrainingModule, ValueDriver
from coachgen.knowledge.structure import Section, cue_score, words

__all__ = ["mine", "skill_of"]

_NUMBERING = re.compile(r"^(?:stage|phase|step)?\s*\d+\s*[.:)–-]?\s*", re.IGNORECASE)


def skill_of(text: str) -> str | None:
    """The generic skill whose words ``text`` uses most (``defaults/skills.yaml``), or None."""
    scores = {skill: cue_score(text, cues) for skill, cues in load("skills")["skills"].items()}
    best = max(scores.values(), default=0)
    return next(skill for skill, score in scores.items() if score == best) if best else None


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip())[0] if text.strip() else ""


def _stuck_days(context: Context, text: str) -> int | None:
    for clause in re.split(r"[.;\n]", text):
        if cue_score(clause, context.vocabulary["label_cues"]["stuck"]):
            numbers = re.findall(r"\b(\d{1,3})\b", clause)
            if numbers:
                return int(numbers[0])
    return None


def _stage(context: Context, section: Section, order: int) -> Stage | None:
    criteria: list[str] = []
    definition = ""
    collecting = False
    for block in section.blocks:
        if block.kind == "table":
            continue
        inline = context.label(block.text, "exit")
        if inline is not None:
            if inline:
                criteria.append(inline)
            collecting = not inline
            continue
        if collecting and block.kind == "item":
            criteria.append(block.text)
            continue
        collecting = False
        if block.kind == "paragraph" and not definition and not block.text.endswith(":"):
            definition = block.text
    stages = {s.lower() for s in context.document.stages}
    if not criteria and section.title.lower() not in stages:
        return None
    name = clean(_NUMBERING.sub("", section.title)) or section.title
    return Stage(text=name, order=order, definition=definition, exit_criteria=criteria, stuck_days=_stuck_days(context, section.text()),
                 provenance=context.provenance(section, section.line, section.end, "front-matter" if not criteria else "section"))


def _competitor_name(context: Context, title: str) -> str | None:
    cues = set(context.vocabulary["section_cues"]["competitor"])
    kept = [w for w in re.split(r"[\s:|,–—-]+", title) if w and w.lower().strip(".") not in cues]
    name = " ".join(kept).strip(" .")
    return name if name and name[0].isupper() and len(kept) <= 4 else None


def _claims_and_counters(context: Context, name: str) -> tuple[list[str], list[str]]:
    """On a competitor's page: lines under headings naming them are their claims; under headings in our voice, our counters."""
    claims: list[str] = []
    counters: list[str] = []
    first_word = name.split()[0].lower()
    for section in context.sections[1:]:
        lines = [clean(block.text) for block in section.blocks if block.kind == "item"] or \
            [_first_sentence(block.text) for block in section.blocks if block.kind == "paragraph"][:1]
        heading = set(words(section.title))
        if heading & {"we", "our", "us"}:
            counters.extend(lines)
        elif first_word in heading and not section.title.endswith("?"):
            claims.extend(lines)
    return claims, counters


def _competitors(context: Context) -> list[KnowledgeRecord]:
    found: list[KnowledgeRecord] = []
    document = context.document
    top = context.sections[0] if context.sections else None
    if top is not None and (document.kind == "battlecard" or context.meaning(document.title) == "competitor"):
        name = _competitor_name(context, document.title)
        if name and not name.endswith("?"):
            claims, counters = _claims_and_counters(context, name)
            found.append(Competitor(text=name, claims=claims, counters=counters,
                                    provenance=context.provenance(top, top.line, top.end, "front-matter" if document.kind == "battlecard" else "section", 0.8)))
    for section in context.sections:
        parent = section.path[-2] if len(section.path) >= 2 else ""
        if parent and context.meaning(parent) == "competitor" and context.meaning(section.title) is None:
            name = _competitor_name(context, section.title)
            if name and not section.title.endswith("?") and re.fullmatch(r"[A-Z][\w.&'-]*(?:\s+[A-Z][\w.&'-]*){0,3}", name):
                found.append(Competitor(text=name, claims=[], counters=[_first_sentence(section.text())] if section.text() else [],
                                        provenance=context.provenance(section, section.line, section.end, "section", 0.8)))
    return found


def _training(context: Context) -> list[KnowledgeRecord]:
    document = context.document
    if not context.sections or not (document.kind == "training" or context.meaning(document.title) == "training_module"):
        return []
    skill = (document.skills or (None,))[0] or skill_of(document.title) or skill_of(" ".join(s.title for s in context.sections))
    if not skill:
        return []
    top = context.sections[0]
    summary = next((block.text for section in context.sections for block in section.blocks if block.kind == "paragraph"), "")
    return [TrainingModule(text=document.title, skill=skill, summary=_first_sentence(summary),
                           provenance=context.provenance(top, top.line, top.end, "front-matter" if document.kind == "training" else "section"))]


def _proof_points(context: Context, section: Section) -> list[KnowledgeRecord]:
    parts: dict[str, str] = {}
    for line in (line for block in section.blocks if block.kind != "table" for line in block.lines or [block.text]):
        for field in ("problem", "solution", "result"):
            value = context.label(line, field)
            if value and field not in parts:
                parts[field] = value
                break
    if len(parts) >= 2:
        return [ProofPoint(text=section.title or context.document.title, problem=parts.get("problem", ""), solution=parts.get("solution", ""),
                           result=parts.get("result", ""), provenance=context.provenance(section, section.line, section.end, "section"))]
    return []


def _listed(context: Context, section: Section, meaning: str) -> list[KnowledgeRecord]:
    items = [block for block in section.blocks if block.kind == "item" and block.depth <= 1]
    found: list[KnowledgeRecord] = []
    for block in items:
        text = clean(block.text)
        where = context.provenance(section, block.line, block.end, "section", 0.8)
        if meaning == "value_driver":
            found.append(ValueDriver(text=text, detail="", provenance=where))
        elif meaning == "proof_point":
            found.append(ProofPoint(text=text, result=text, provenance=where))
        elif meaning == "content_item":
            name, _, when = re.split(r"\s+[-–—:]\s+|:\s+|\s+\(", text, maxsplit=1)[0], "", text
            found.append(ContentItem(text=clean(name.rstrip(")")), when=when if when != name else "", provenance=where))
    if not items and meaning == "value_driver":
        first = next((block for block in section.blocks if block.kind == "paragraph"), None)
        if first is not None:
            found.append(ValueDriver(text=_first_sentence(first.text), detail=first.text,
                                     provenance=context.provenance(section, first.line, first.end, "section", 0.7)))
    return found


def mine(context: Context) -> list[KnowledgeRecord]:
    """Stages, competitors, training modules, value drivers, customer proof and content items."""
    found: list[KnowledgeRecord] = []
    order = 0
    for section in context.sections:
        if not section.level:
            continue
        stage = _stage(context, section, order + 1)
        if stage is not None:
            order += 1
            found.append(stage)
            continue
        found.extend(_proof_points(context, section))
        meaning = context.meaning(section.title)
        if meaning in ("value_driver", "proof_point", "content_item") and not section.title.endswith("?"):
            found.extend(_listed(context, section, meaning))
    found.extend(_competitors(context))
    found.extend(_training(context))
    return found
