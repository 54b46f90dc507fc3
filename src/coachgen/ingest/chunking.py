"""Structure-aware chunking: split markdown at headings, keep the heading path, bound the size."""

from __future__ import annotations

import re
from dataclasses import dataclass

from coachgen.ingest.documents import Chunk, Document, chunk_id

__all__ = ["Section", "chunk_document", "split_sections"]

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class Section:
    """Text under one heading, with the path of headings above it."""

    path: tuple[str, ...]
    text: str
    line: int


def split_sections(markdown: str) -> list[Section]:
    """Cut markdown at headings (not inside code fences); sections may have empty text."""
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    start = 1
    in_fence = False

    def flush() -> None:
        sections.append(Section(tuple(title for _, title in stack), "\n".join(lines).strip(), start))

    for number, line in enumerate(markdown.splitlines(), start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
        heading = None if in_fence else _HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        if lines or stack:
            flush()
        level = len(heading.group(1))
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, heading.group(2).strip()))
        lines, start = [], number
    flush()
    return [section for section in sections if section.text or section.path]


def _pieces(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` characters at paragraph, then sentence, then word breaks."""
    if len(text) <= limit:
        return [text]
    units: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if len(paragraph) <= limit:
            units.append(paragraph)
            continue
        for sentence in _SENTENCE_END.split(paragraph):
            while len(sentence) > limit:
                cut = sentence.rfind(" ", 0, limit)
                cut = cut if cut > limit // 2 else limit
                units.append(sentence[:cut].strip())
                sentence = sentence[cut:].strip()
            units.append(sentence)
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
    """Chunks of a document's body: one per non-empty section, split further when too long."""
    chunks: list[Chunk] = []
    for section in split_sections(document.body):
        if not section.text:
            continue
        path = heading_path(document.title, section.path)
        for piece in _pieces(section.text, max_chars):
            chunks.append(Chunk(chunk_id(document.key, path, piece), document.key, len(chunks), path, piece))
    return chunks
