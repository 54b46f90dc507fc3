"""Structure-aware chunking: split markdown at headings, keep the heading path, bound the size, keep table headers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coachgen.ingest.documents import Chunk, Document, chunk_id
from coachgen.ingest.markdown import headings, parser

__all__ = ["Section", "chunk_document", "split_sections"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MAYBE_HEADING = re.compile(r"^ {0,3}(#{1,6}([ \t]|$)|=+[ \t]*$|-+[ \t]*$)", re.MULTILINE)  # else no parse needed
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")  # left where cleaning removed a comment or shortcode


@dataclass(frozen=True)
class Section:
    """Text under one heading, with the path of headings above it; ``line`` is the heading's 1-based line."""

    path: tuple[str, ...]
    text: str
    line: int


def split_sections(markdown: str) -> list[Section]:
    """Cut markdown at its top-level headings (not inside code, lists or quotes); sections may have empty text.

    A heading's path entry is its plain text: ``## [What is X?](x.md#a)`` gives "What is X?".
    """
    markdown = markdown.replace("\r\n", "\n").replace("\r", "\n")
    lines = markdown.split("\n")
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    start, line = 0, 1
    for heading in headings(markdown) if _MAYBE_HEADING.search(markdown) else []:
        text = "\n".join(lines[start:heading.line]).strip()
        if text or stack:
            sections.append(Section(tuple(title for _, title in stack), text, line))
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        stack.append((heading.level, heading.text))
        start, line = heading.end, heading.line + 1
    sections.append(Section(tuple(title for _, title in stack), "\n".join(lines[start:]).strip(), line))
    return [section for section in sections if section.text or section.path]


def _split_long(text: str, limit: int) -> list[str]:
    """A paragraph over ``limit`` cut at sentence, then word breaks."""
    units: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        while len(sentence) > limit:
            cut = sentence.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            units.append(sentence[:cut].strip())
            sentence = sentence[cut:].strip()
        units.append(sentence)
    return units


def _table_rows(table: list[str], limit: int) -> list[str]:
    """A table over ``limit`` as groups of rows, each under the header row (and its delimiter row)."""
    header, rows = table[:2], table[2:]
    head = "\n".join(header)
    room = limit - len(head) - 1
    if room < limit // 4:
        return _split_long(" ".join(table), limit)  # a header that fills the chunk: no table left to keep
    groups: list[str] = []
    current: list[str] = []
    for row in rows:
        for part in _split_long(row, room) if len(row) > room else [row]:
            if current and len("\n".join([*current, part])) > room:
                groups.append("\n".join([head, *current]))
                current = []
            current.append(part)
    if current:
        groups.append("\n".join([head, *current]))
    return groups


def _blocks(text: str) -> list[tuple[bool, list[str]]]:
    """``text`` as (is_table, lines) blocks: each table on its own, the rest as it comes."""
    lines = text.split("\n")
    tokens = parser().parse(text) if "|" in text else []
    tables = [t.map for t in tokens if t.type == "table_open" and t.level == 0 and t.map]
    blocks: list[tuple[bool, list[str]]] = []
    at = 0
    for start, end in tables:
        if start > at:
            blocks.append((False, lines[at:start]))
        blocks.append((True, lines[start:end]))
        at = end
    if at < len(lines):
        blocks.append((False, lines[at:]))
    return blocks


def _pieces(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters at paragraph, then sentence, then word breaks.

    A table stays one unit when it fits; a longer one is cut between rows and every part repeats the header.
    """
    if len(text) <= limit:
        return [text]
    units: list[str] = []
    for is_table, lines in _blocks(text):
        block = "\n".join(lines).strip()
        if is_table:
            units.extend([block] if len(block) <= limit else _table_rows(lines, limit))
            continue
        for paragraph in re.split(r"\n\s*\n", block):
            paragraph = paragraph.strip()
            units.extend([paragraph] if len(paragraph) <= limit else _split_long(paragraph, limit))
    pieces: list[str] = []
    current = ""
    for unit in filter(None, units):
        joined = f"{current}\n\n{unit}" if current else unit
        if len(joined) <= limit:
            current = joined
        else:
            pieces.append(current)
            current = unit
    if current:
        pieces.append(current)
    return pieces


def heading_path(title: str, path: tuple[str, ...]) -> str:
    """'Title > Section > Subsection', without repeating a top heading equal to the title."""
    parts = list(path)
    same = lambda a, b: re.sub(r"\W+", "", a.lower()) == re.sub(r"\W+", "", b.lower())  # noqa: E731
    if parts and same(parts[0], title):
        parts = parts[1:]
    return " > ".join([title, *parts])


def chunk_document(document: Document, max_chars: int) -> list[Chunk]:
    """Chunks of a document's body: one per non-empty section, split further when too long.

    A piece repeated under the same heading path (a pasted-twice section, a long run of one character)
    is kept once: its id is a hash of both, and ids are unique.
    """
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in split_sections(document.body):
        if not section.text:
            continue
        path = heading_path(document.title, section.path)
        for piece in _pieces(_BLANK_LINES.sub("\n\n", section.text), max_chars):
            identity = chunk_id(document.key, path, piece)
            if identity not in seen:
                seen.add(identity)
                chunks.append(Chunk(identity, document.key, len(chunks), path, piece))
    return chunks
