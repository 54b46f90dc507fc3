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

_TRAINING_PREFIX = re.compile(r"^[^:—–]{0,40}[:—–]\s*")
_AMOUNT = re.compile(r"[$€£¥]\s?\d|\d\s?(?:%|percent\b)|\b\d[\d,.]*\s?(?:k|m|bn)?\s?(?:usd|eur|gbp|dollars|euros|pounds)\b", re.IGNORECASE)
_NUMBERING = re.compile(r"^(?:[A-Za-z]+\s+)?\d+\s*[.:)–—-]?\s*(?=\S)")


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
        if block.kind == "paragraph" and (block.bold or block.text.endswith(":")) and len(words(block.text)) <= 5 \
                and cue_score(block.text, context.vocabulary["label_cues"]["exit"]):
            collecting = True  # '**Exit criteria**' on its own line, the list below it
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
    """The name in a competitor page's title: its first run of capitalised words once the cue words are gone."""
    cues = set(context.vocabulary["section_cues"]["competitor"])
    kept = [w for w in re.split(r"[\s:|,–—-]+", title) if w and w.lower().strip(".") not in cues]
    run: list[str] = []
    for word in kept:
        if not word[0].isupper() and not (run and word[0].isdigit()):
            if run:
                break
            continue
        run.append(word)
    name = " ".join(run).strip(" .")
    return name if name and len(run) <= 4 else None


def _proper_name(title: str, body: str) -> str | None:
    """A heading that is only a name (one to four words), in the spelling the page uses mid-sentence."""
    title = clean(title)
    if not re.fullmatch(r"[A-Z][\w.&'-]*(?:\s+[A-Z0-9][\w.&'-]*){0,3}", title):
        return None
    pattern = re.compile(rf"\b[a-z][a-z,;']*\s+({re.escape(title)})\b", re.IGNORECASE)
    used = [m.group(1) for m in pattern.finditer(body) if m.group(1)[0].isupper()]
    return used[0] if used else None


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
    if top is not None and (document.kind == "battlecard" or context.meaning(document.title) == "competitor" or context.in_folder("competitor")):
        name = _competitor_name(context, document.title)
        if name and not name.endswith("?"):
            claims, counters = _claims_and_counters(context, name)
            found.append(Competitor(text=name, claims=claims, counters=counters,
                                    provenance=context.provenance(top, top.line, top.end, "front-matter" if document.kind == "battlecard" else "section", 0.8)))
    body = document.body
    for section in context.sections:
        parent = section.path[-2] if len(section.path) >= 2 else ""
        about = context.meaning(parent) == "competitor" or (len(section.path) == 2 and context.meaning(document.title) == "competitor")
        if about and context.meaning(section.title) is None and not section.title.endswith("?"):
            name = _proper_name(section.title, body)
            if name:
                found.append(Competitor(text=name, claims=[], counters=[_first_sentence(section.text())] if section.text() else [],
                                        provenance=context.provenance(section, section.line, section.end, "section", 0.8)))
    return found


def _training(context: Context) -> list[KnowledgeRecord]:
    """A training page is one module; a page or heading that names a collection ('Training modules') has one
    module per heading below it."""
    document = context.document
    if not context.sections:
        return []
    cues = context.vocabulary["collection_cues"]
    page_is_training = document.kind == "training" or context.meaning(document.title) == "training_module"
    collections = [s.path for s in context.sections if s.level > 1 and context.meaning(s.title) == "training_module" and cue_score(s.title, cues)]
    if collections or (page_is_training and cue_score(document.title, cues)):
        modules = []
        top_level = min((s.level for s in context.sections if s.level > 1), default=0)
        for section in context.sections:
            inside = any(len(section.path) == len(p) + 1 and section.path[:len(p)] == p for p in collections)
            title = clean(_NUMBERING.sub("", section.title))
            if (inside or (not collections and section.level == top_level and context.meaning(title) is None)) and section.text():
                body = " ".join(s.text() for s in context.sections if s.path[:len(section.path)] == section.path)
                skill = skill_of(title) or skill_of(body) or title.lower()
                modules.append(TrainingModule(text=title, skill=skill, summary=_first_sentence(section.text()),
                                              provenance=context.provenance(section, section.line, section.end, "section", 0.8)))
        return modules
    if not page_is_training:
        return []
    title = _TRAINING_PREFIX.sub("", document.title) if _TRAINING_PREFIX.match(document.title) else document.title
    skill = (document.skills or (None,))[0] or skill_of(document.title) or skill_of(" ".join(s.title for s in context.sections)) or title.lower()
    top = context.sections[0]
    summary = next((block.text for section in context.sections for block in section.blocks if block.kind == "paragraph"), "")
    return [TrainingModule(text=document.title, skill=skill, summary=_first_sentence(summary),
                           provenance=context.provenance(top, top.line, top.end, "front-matter" if document.kind == "training" else "section"))]


def _children(context: Context, section: Section) -> list[Section]:
    depth = len(section.path)
    return [s for s in context.sections if len(s.path) == depth + 1 and s.path[:depth] == section.path]


def _proof_points(context: Context, section: Section) -> list[KnowledgeRecord]:
    """A customer story: Problem / Solution / Result as labelled lines, or as its sub-headings."""
    parts: dict[str, str] = {}
    for line in (line for block in section.blocks if block.kind != "table" for line in block.lines or [block.text]):
        for field in ("problem", "solution", "result"):
            value = context.label(line, field)
            if value and field not in parts:
                parts[field] = value
                break
    cues = context.vocabulary["label_cues"]
    for child in _children(context, section):
        field = next((f for f in ("problem", "solution", "result") if " ".join(words(child.title)) in cues[f]), None)
        if field and field not in parts and child.text():
            parts[field] = _first_sentence(child.text())
    if len(parts) >= 2:
        return [ProofPoint(text=section.title or context.document.title, problem=parts.get("problem", ""), solution=parts.get("solution", ""),
                           result=parts.get("result", ""), provenance=context.provenance(section, section.line, section.end, "section"))]
    return []


def _heading_record(context: Context, section: Section, meaning: str) -> list[KnowledgeRecord]:
    """A sub-heading under a heading (or page) about value drivers or content: the heading is the record."""
    text = clean(section.title)
    body = section.text()
    where = context.provenance(section, section.line, section.end, "section", 0.8)
    if meaning == "value_driver":
        # a driver states what it is worth: an amount or a share, not only advice
        return [ValueDriver(text=text, detail=_first_sentence(body), provenance=where)] if _AMOUNT.search(body) else []
    return [ContentItem(text=text, when=_first_sentence(body), provenance=where)] if len(section.path) >= 2 else []


def _negated(context: Context, title: str) -> bool:
    return bool(cue_score(title, context.vocabulary["negation"]))


def _metadata(context: Context, block: object) -> bool:
    """A paragraph of 'Owner: ... / Last edited: ...' property lines (exported wiki pages), not prose."""
    lines = getattr(block, "lines", []) or [getattr(block, "text", "")]
    return all(re.match(r"^[A-Z][\w ]{0,25}:\s", line) for line in lines)


def _listed(context: Context, section: Section, meaning: str) -> list[KnowledgeRecord]:
    if _negated(context, section.title):
        return []
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
            split = re.search(r"\s+[-–—:]\s+|:\s+|\s+(?=\()", text)
            name, when = (text[:split.start()], text[split.end():].strip()) if split else (text, "")
            found.append(ContentItem(text=clean(name), when=when, provenance=where))
    if not items and meaning == "value_driver" and context.meaning(context.document.title) in (None, "value_driver", "product") \
            and not _children(context, section) and not context.means(section, "competitor"):
        first = next((block for block in section.blocks if block.kind == "paragraph" and not _metadata(context, block)), None)
        if first is not None:
            found.append(ValueDriver(text=_first_sentence(first.text), detail=first.text,
                                     provenance=context.provenance(section, first.line, first.end, "section", 0.7)))
    return found


def _parent_meaning(context: Context, section: Section) -> str | None:
    """What the heading above a section (or, for a top-level section, the page title) says it holds."""
    parent = section.path[-2] if len(section.path) >= 2 else context.document.title
    if len(section.path) >= 2 and section.path[-2] == section.path[0] and section.level > 1 and context.meaning(parent) is None:
        parent = context.document.title
    return context.meaning(parent) if not _negated(context, parent) else None


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
        stories = _proof_points(context, section)
        found.extend(stories)
        meaning = context.meaning(section.title)
        if stories or section.title.endswith("?"):
            continue
        if meaning in ("value_driver", "proof_point", "content_item"):
            found.extend(_listed(context, section, meaning))
        elif meaning is None and _parent_meaning(context, section) in ("value_driver", "content_item") and section.text():
            found.extend(_heading_record(context, section, _parent_meaning(context, section)))
    found.extend(_competitors(context))
    found.extend(_training(context))
    return found
