"""Markdown structure for the miners: sections with their paragraphs, lists and tables, and line numbers.

Parsed with markdown-it-py (CommonMark plus tables), so every shape a handbook uses is read by a
real parser, not by line patterns. Inline markup becomes plain text (links keep their text); a
paragraph remembers whether it is bold throughout and whether it opens with a bold label
(``**Exit criteria:** ...``). Lines are 1-based lines of the file (``first_line`` is where the body starts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from coachgen.ingest.markdown import parser

__all__ = ["Block", "Section", "cue_score", "parse_sections", "words"]

_WORD = re.compile(r"[a-z0-9][a-z0-9'’-]*")


@dataclass
class Block:
    """A paragraph, a list item or a table (with ``header`` and ``rows``)."""

    kind: str  # "paragraph" | "item" | "table"
    text: str = ""
    line: int = 0
    end: int = 0
    bold: bool = False
    label: str | None = None
    rest: str = ""
    depth: int = 0
    lines: list[str] = field(default_factory=list)
    bold_head: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    row_lines: list[int] = field(default_factory=list)


@dataclass
class Section:
    """The blocks under one heading; ``path`` is the heading titles from the top."""

    path: tuple[str, ...]
    level: int
    line: int
    end: int = 0
    blocks: list[Block] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The section's own heading ('' for text before the first heading)."""
        return self.path[-1] if self.path else ""

    def text(self) -> str:
        """The section's prose: paragraphs and list items, one per line."""
        return "\n".join(block.text for block in self.blocks if block.kind != "table")


def words(text: str) -> list[str]:
    """Lower-case words of ``text``."""
    return _WORD.findall(text.lower().replace("’", "'"))


def cue_score(text: str, cues: list[str]) -> int:
    """How many words of ``text`` are (or, for cues of 5+ letters, start with) one of ``cues``; a cue of several words counts when it appears whole."""
    tokens = words(text)
    joined = " ".join(tokens)
    single = [cue for cue in cues if " " not in cue]
    score = sum(1 for cue in cues if " " in cue and f" {cue} " in f" {joined} ")
    return score + sum(1 for token in tokens if any(token == cue or (len(cue) >= 5 and token.startswith(cue)) for cue in single))


def _inline_lines(token: Any) -> list[str]:
    """The source lines of an inline token as plain text (markup dropped), for labels that start each line."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return [" ".join(line.split()) for line in "".join(parts).split("\n") if line.strip()]


def _bold_head(token: Any) -> str | None:
    """The first line of a paragraph when it is bold throughout and more lines follow (a bold line with its answer below)."""
    children = token.children or []
    depth = 0
    head: list[str] = []
    for index, child in enumerate(children):
        if child.type == "strong_open":
            depth += 1
        elif child.type == "strong_close":
            depth -= 1
        elif child.type in ("softbreak", "hardbreak"):
            rest = any(c.type == "text" and c.content.strip() for c in children[index + 1:])
            return " ".join("".join(head).split()) or None if rest else None
        elif child.type in ("text", "code_inline") and child.content.strip():
            if depth == 0:
                return None
            head.append(child.content)
    return None


def _inline_text(token: Any) -> tuple[str, bool, str | None, str]:
    """Plain text of an inline token; whether it is bold throughout; a leading bold label and the text after it."""
    parts: list[str] = []
    strong_depth = 0
    plain_outside = False
    label_parts: list[str] = []
    label_closed = False
    children = token.children or []
    for index, child in enumerate(children):
        kind = child.type
        if kind == "strong_open":
            strong_depth += 1
            continue
        if kind == "strong_close":
            strong_depth -= 1
            if index and not label_closed and not plain_outside:
                label_closed = True
            continue
        if kind in ("text", "code_inline"):
            piece = child.content
        elif kind in ("softbreak", "hardbreak"):
            piece = " "
        elif kind == "image":
            piece = child.content or ""
        else:
            continue
        if strong_depth == 0 and piece.strip():
            plain_outside = True
        elif strong_depth > 0 and not label_closed and not plain_outside:
            label_parts.append(piece)
        parts.append(piece)
    text = " ".join("".join(parts).split())
    bold = bool(text) and not plain_outside
    label = None
    rest = ""
    if label_parts and not bold:
        candidate = " ".join("".join(label_parts).split())
        after = text[len(candidate):].lstrip() if text.startswith(candidate) else ""
        if candidate.endswith(":") or after.startswith(":"):
            label = candidate.rstrip(":").strip()
            rest = after.lstrip(":").strip()
    return text, bold, label, rest


def parse_sections(body: str, first_line: int = 1) -> list[Section]:
    """The sections of a markdown body in document order, the text before the first heading included."""
    tokens = parser().parse(body)
    offset = first_line
    sections = [Section(path=(), level=0, line=offset)]
    stack: list[tuple[int, str]] = []
    depth = 0
    table: Block | None = None
    row: list[str] | None = None
    in_head = False
    item_line = 0
    for index, token in enumerate(tokens):
        kind = token.type
        line = (token.map[0] + offset) if token.map else 0
        if kind == "heading_open":
            level = int(token.tag[1])
            title = _inline_text(tokens[index + 1])[0]
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            sections[-1].end = line - 1
            sections.append(Section(path=tuple(t for _, t in stack), level=level, line=line))
        elif kind in ("bullet_list_open", "ordered_list_open"):
            depth += 1
        elif kind in ("bullet_list_close", "ordered_list_close"):
            depth -= 1
        elif kind == "list_item_open":
            item_line = line
        elif kind == "table_open":
            table = Block(kind="table", line=line, end=(token.map[1] + offset - 1) if token.map else line)
        elif kind == "thead_open":
            in_head = True
        elif kind == "thead_close":
            in_head = False
        elif kind == "tr_open":
            row = []
            if table is not None and not in_head:
                table.row_lines.append(line)
        elif kind == "tr_close" and table is not None and row is not None:
            if in_head:
                table.header = row
            else:
                table.rows.append(row)
            row = None
        elif kind == "table_close" and table is not None:
            sections[-1].blocks.append(table)
            table = None
        elif kind == "inline" and row is not None:
            row.append(_inline_text(token)[0])
        elif kind == "inline" and tokens[index - 1].type == "paragraph_open":
            text, bold, label, rest = _inline_text(token)
            if not text:
                continue
            opener = tokens[index - 1]
            start = (opener.map[0] + offset) if opener.map else 0
            end = (opener.map[1] + offset - 1) if opener.map else start
            in_item = depth > 0 and index >= 2 and tokens[index - 2].type == "list_item_open"
            sections[-1].blocks.append(Block(
                kind="item" if in_item else "paragraph", text=text, line=item_line if in_item else start, end=end,
                bold=bold, label=label, rest=rest, depth=depth if in_item else 0, lines=_inline_lines(token),
                bold_head=_bold_head(token),
            ))
    sections[-1].end = max(sections[-1].line, offset + body.count("\n"))
    return [section for section in sections if section.blocks or section.path]
