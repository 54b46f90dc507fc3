"""Markdown knowledge files, with or without YAML front matter."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from coachgen.errors import InputError
from coachgen.ingest.documents import Document
from coachgen.ingest.frontmatter import (
    FrontMatter,
    parse_front_matter,
    split_front_matter,
)

__all__ = ["load_markdown"]

_FIRST_HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


def _title_from(source: str, body: str) -> str:
    match = _FIRST_HEADING.search(body)
    if match:
        return match.group(1).strip()
    return PurePosixPath(source).stem.replace("-", " ").replace("_", " ").strip().capitalize()


def load_markdown(source: str, text: str) -> tuple[Document, FrontMatter]:
    """One document from a markdown file's text; ``source`` is its path relative to the ingest root."""
    yaml_text, body = split_front_matter(text)
    front = parse_front_matter(yaml_text, source) if yaml_text is not None else FrontMatter()
    if not body.strip():
        raise InputError(f"{source}: the file has no text besides its front matter")
    document = Document(
        key=source,
        source=source,
        kind=front.kind or "playbook",
        title=front.title or _title_from(source, body),
        body=body,
        **front.curation(),
    )
    return document, front
