"""Markdown knowledge files (``.md``, ``.markdown``, ``.mdx``, ``.txt``): front matter, cleaned markup, line positions.

Static-site markup is cleaned before anything reads the text: Hugo shortcodes (``{{< note >}}``,
``{{% alert %}}``) lose their tags, HTML (comments, ``<details>``, ``<br>``...) keeps only its text,
and in ``.mdx`` the ``import``/``export`` lines go. markdown-it-py decides what is HTML and what is
code (code is never touched); the standard library's HTML parser takes the tags out. Cleaning keeps
every line where it was (a removed comment over N lines leaves N-1 newlines), and each document
records the file line its body starts on (``extra["body_line"]``), so line ``n`` of
``Document.body`` is line ``n + body_line - 1`` of the file.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from coachgen.errors import SkippedFile
from coachgen.ingest.documents import Document
from coachgen.ingest.frontmatter import FrontMatter, parse_front_matter, split_front_matter

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

__all__ = ["Heading", "clean_markup", "headings", "inline_text", "load_markdown", "parser"]

_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.DOTALL)  # one token: {{< name args >}} or {{% /name %}}
_MDX_STATEMENT = re.compile(r"^(import|export)\s")
_MDX_COMMENT = re.compile(r"\{/\*.*?\*/\}", re.DOTALL)
#: Tags whose removal would glue two words together: they become a space.
_BREAKING = {
    "br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "table", "thead", "tbody", "details", "summary", "hr",
    "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "blockquote", "pre", "dd", "dt", "dl", "figure",
    "figcaption", "img",
}
_DROPPED = {"script", "style", "template"}


@lru_cache(maxsize=1)
def parser() -> "MarkdownIt":
    """The CommonMark parser (HTML recognised, GFM tables on) every reader of markdown here uses."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


def inline_text(token: "Token") -> str:
    """The plain text of an inline token: links and emphasis give their text, images their alt text, HTML nothing."""
    parts: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(inline_text(child))
    return " ".join("".join(parts).split())


class Heading(NamedTuple):
    """A top-level heading; lines are 0-based and ``end`` is exclusive."""

    line: int
    end: int
    level: int
    text: str


def headings(markdown: str) -> list[Heading]:
    """Top-level headings (ATX or setext, not inside code, lists or quotes) with their plain text."""
    tokens = parser().parse(markdown)
    found: list[Heading] = []
    for number, token in enumerate(tokens):
        if token.type == "heading_open" and token.level == 0 and token.map:
            text = inline_text(tokens[number + 1])
            if text:
                found.append(Heading(token.map[0], token.map[1], int(token.tag[1]), text))
    return found


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment: tags dropped (a space for block tags), comments and scripts dropped,
    every newline kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def _tag(self, tag: str) -> None:
        raw = self.get_starttag_text() or ""
        self.parts.append("\n" * raw.count("\n") or (" " if tag in _BREAKING else ""))

    def handle_starttag(self, tag: str, attrs: list) -> None:  # noqa: ARG002
        self._tag(tag)
        self.hidden += tag in _DROPPED

    def handle_startendtag(self, tag: str, attrs: list) -> None:  # noqa: ARG002
        self._tag(tag)

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(" " if tag in _BREAKING else "")
        self.hidden -= tag in _DROPPED and self.hidden > 0

    def handle_data(self, data: str) -> None:
        self.parts.append("\n" * data.count("\n") if self.hidden else data)

    def handle_comment(self, data: str) -> None:
        self.parts.append("\n" * data.count("\n"))

    def handle_decl(self, decl: str) -> None:
        self.parts.append("\n" * decl.count("\n"))

    handle_pi = handle_unknown_decl = handle_decl


def _html_text(fragment: str) -> str:
    """The text of an HTML fragment with exactly as many newlines as it had."""
    reader = _TextOnly()
    reader.feed(fragment)
    reader.close()
    text = "".join(reader.parts)
    missing = fragment.count("\n") - text.count("\n")
    return text + "\n" * missing if missing > 0 else text.replace("\n", " ", -missing) if missing < 0 else text


def _keep_lines(match: re.Match) -> str:
    return "\n" * match.group(0).count("\n")


def _code_lines(tokens: list) -> set[int]:
    return {n for t in tokens if t.type in ("fence", "code_block") and t.map for n in range(*t.map)}


def _outside_code(lines: list[str], code: set[int], clean) -> list[str]:
    """Apply ``clean`` to each run of lines outside code, keeping the number of lines."""
    out: list[str] = []
    run: list[str] = []
    for number, line in enumerate([*lines, None]):
        if line is not None and number not in code:
            run.append(line)
            continue
        if run:
            out.extend(clean("\n".join(run)).split("\n"))
            run = []
        if line is not None:
            out.append(line)
    return out


def _reindent(original: str, cleaned: str) -> str:
    """``cleaned`` with the original line's indentation (a tag removed at the start must not make code of it)."""
    text = cleaned.strip()
    return original[: len(original) - len(original.lstrip())] + text if text else ""


def clean_markup(body: str, mdx: bool = False) -> str:
    """``body`` without shortcode tags, HTML (text kept) and, for MDX, import/export lines; line-preserving."""
    lines = body.split("\n")
    code = _code_lines(parser().parse(body))
    if mdx:
        lines = ["" if n not in code and _MDX_STATEMENT.match(line) else line for n, line in enumerate(lines)]
        lines = _outside_code(lines, code, lambda text: _MDX_COMMENT.sub(_keep_lines, text))
    if "{{" in body:
        lines = _outside_code(lines, code, lambda text: _SHORTCODE.sub(_keep_lines, text))
    if "<" not in body:
        return "\n".join(lines)
    tokens = parser().parse("\n".join(lines))
    for token in tokens:
        if not token.map:
            continue
        start, end = token.map
        if token.type == "html_block":
            cleaned = _html_text("\n".join(lines[start:end])).split("\n")
            lines[start:end] = [_reindent(old, new) for old, new in zip(lines[start:end], cleaned)]
        elif token.type == "inline" and any(child.type == "html_inline" for child in token.children or []):
            segment = "\n".join(lines[start:end])
            cursor = 0
            for child in token.children or []:
                if child.type != "html_inline":
                    continue
                at = segment.find(child.content, cursor)
                if at < 0:
                    continue
                text = _html_text(child.content)
                segment = segment[:at] + text + segment[at + len(child.content):]
                cursor = at + len(text)
            lines[start:end] = segment.split("\n")
    return "\n".join(lines)


def _title_from(source: str, body: str) -> str:
    found = headings(body)
    if found:
        return found[0].text
    return PurePosixPath(source).stem.replace("-", " ").replace("_", " ").strip().capitalize() or "Untitled"


def load_markdown(source: str, text: str) -> tuple[Document, FrontMatter]:
    """One document from a markdown file's text; ``source`` is its path relative to the ingest root.

    Raises ``SkippedFile`` for a draft or a page with nothing but front matter, ``InputError`` for bad front matter.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    block = split_front_matter(text)
    front = parse_front_matter(block, source) if block is not None else FrontMatter()
    body, body_line = (block.body, block.body_line) if block is not None else (text, 1)
    if front.draft:
        raise SkippedFile(f"{source}: skipped: a draft (draft: true in its front matter)")
    body = clean_markup(body, mdx=source.lower().endswith(".mdx"))
    if not body.strip():
        what = "its front matter" if block is not None else "markup and comments"
        raise SkippedFile(f"{source}: skipped: no text besides {what}")
    extra: dict = {"body_line": body_line}
    if front.summary:
        extra["summary"] = front.summary
    document = Document(
        key=source,
        source=source,
        kind=front.kind or "playbook",
        title=front.title or _title_from(source, body),
        body=body,
        **front.curation(),
        extra=extra,
    )
    return document, front
