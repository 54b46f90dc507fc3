"""Miners: turn one document into typed knowledge records, each from a structure it recognises.

One small module per structure: our YAML library (``library``), tables read by the meaning of their
headers (``tables``), question/answer shapes — FAQ headings, bold-line objections, heading-per-objection,
Q:/A: (``qa``), question lists (``lists``) and sections whose heading says what they hold
(``sections``). What a heading or header *means* comes from labelled vocabulary data
(``coachgen/knowledge/defaults/vocabulary.yaml``), never from any team's exact titles.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coachgen.knowledge.defaults import load
from coachgen.knowledge.records import KnowledgeRecord, Provenance
from coachgen.knowledge.structure import Section, cue_score, parse_sections, words

if TYPE_CHECKING:
    from coachgen.ingest.documents import Document

__all__ = ["MINER_VERSION", "Context", "mine_document"]

#: Bumped when the miners change what they find (or what is stored beside records, such as their vectors):
#: the next ingest re-mines unchanged files.
MINER_VERSION = "3"

#: Meanings a heading can have, in the order that breaks ties.
MEANINGS = ("training_module", "objection", "faq", "competitor", "stage", "discovery", "proof_point", "value_driver", "content_item", "product")
_LABEL = re.compile(r"^\s*([A-Za-z][\w '’/&-]{0,40}?)\s*:\s*(.*)$", re.DOTALL)
_SHORT_LABEL = re.compile(r"^\s*([A-Za-z][\w'’/&-]*(?:\s+[\w'’/&-]+){0,2})\.\s+(.*)$", re.DOTALL)


@dataclass
class Context:
    """A document under mining: its sections and the vocabulary that says what headings mean."""

    document: "Document"
    sections: list[Section]
    vocabulary: dict[str, Any] = field(default_factory=lambda: load("vocabulary"))

    def provenance(self, section: Section, line: int, end: int, found_by: str, confidence: float = 1.0) -> Provenance:
        """Where a record found in ``section`` stands."""
        return Provenance(
            file=self.document.source, doc_key=self.document.key, heading=" > ".join(section.path),
            line_start=line or section.line, line_end=max(end, line or section.line), found_by=found_by,  # type: ignore[arg-type]
            confidence=confidence,
        )

    def meaning(self, title: str) -> str | None:
        """What a heading's words say its section holds, or None."""
        if not title:
            return None
        cues = self.vocabulary["section_cues"]
        scores = {meaning: cue_score(title, cues[meaning]) for meaning in MEANINGS}
        best = max(scores.values())
        return next(meaning for meaning in MEANINGS if scores[meaning] == best) if best else None

    def means(self, section: Section, meaning: str, ancestors: bool = True) -> bool:
        """True when the section's heading (or, with ``ancestors``, a heading above it or the document's
        title or kind) says it holds ``meaning``."""
        titles = list(section.path) if ancestors else list(section.path[-1:])
        if ancestors:
            titles.append(self.document.title)
        if any(self.meaning(title) == meaning for title in titles):
            return True
        return ancestors and (_KIND_MEANING.get(self.document.kind) == meaning or self.in_folder(meaning))

    def internal(self) -> bool:
        """True when the page is for the team itself (an IT, HR or onboarding page, or in such a folder)."""
        folders = [part.replace("-", " ").replace("_", " ") for part in PurePosixPath(self.document.source).parts[:-1]]
        cues = self.vocabulary["internal_audience"]
        return any(cue_score(name, cues) for name in [self.document.title, *folders])

    def in_folder(self, meaning: str) -> bool:
        """True when a folder the document sits in is named for ``meaning`` (folders mirror how the handbook is organised)."""
        folders = [part.replace("-", " ").replace("_", " ") for part in PurePosixPath(self.document.source).parts[:-1]]
        return any(self.meaning(folder) == meaning for folder in folders[-2:])

    def label(self, text: str, cue: str) -> str | None:
        """The text after a leading ``Label:`` whose words mean ``cue`` (e.g. 'Exit criteria: ...')."""
        match = _LABEL.match(text)
        if not match or len(words(match.group(1))) > 4:
            match = _SHORT_LABEL.match(text)  # 'Challenge. Three of the five schools...'
        if not match or len(words(match.group(1))) > 4:
            return None
        return match.group(2).strip() if cue_score(match.group(1), self.vocabulary["label_cues"][cue]) else None


#: The meaning a front matter ``kind`` gives every section of its document.
_KIND_MEANING = {"objection": "objection", "battlecard": "competitor", "discovery": "discovery", "training": "training_module"}


def clean(text: str) -> str:
    """Text of a cell or line without wrapping quotes, italics markers or trailing colon."""
    text = " ".join(text.split()).strip()
    text = text.strip("*_").strip()
    if len(text) > 1 and text[0] in "\"“'‘" and text[-1] in "\"”'’":
        text = text[1:-1].strip()
    return text


def split_persona(text: str) -> tuple[str, str | None]:
    """``(Fleet manager) I'll lose control`` as the objection and its persona."""
    match = re.match(r"^\s*[(\[]([^)\]]{2,40})[)\]]\s*[:,-]?\s*(.+)$", text)
    if match:
        return clean(match.group(2)), match.group(1).strip()
    match = re.match(r"^(.+?)\s*[(\[]([^)\]]{2,40})[)\]]\s*$", text)
    if match and not match.group(2)[:1].isdigit():
        return clean(match.group(1)), match.group(2).strip()
    return clean(text), None


def mine_document(document: "Document") -> list[KnowledgeRecord]:
    """Every record the miners find in one document, deduplicated by type and text (first wins)."""
    from coachgen.knowledge.miners import lists, qa, sections, tables
    from coachgen.knowledge.miners.library import mine_library

    if document.kind == "deal_note":
        return []
    found: list[KnowledgeRecord] = list(mine_library(document))
    if not found:
        context = Context(document, parse_sections(document.body, int(document.extra.get("body_line", 1))))
        for miner in (tables.mine, qa.mine, lists.mine, sections.mine):
            found.extend(miner(context))
    unique: dict[str, KnowledgeRecord] = {}
    for record in found:
        if record.text and record.key() not in unique:
            unique[record.key()] = record
    return list(unique.values())
