"""``kb lint``: find what makes knowledge files weak before they mislead a rep.

It also lists every sentence the instruction detector (:mod:`coachgen.untrusted`) will remove before
any prompt sees it, with the file and line, so an enablement team can reword a sentence it meant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Literal

from coachgen.errors import InputError
from coachgen.ingest.chunking import chunk_document, split_sections
from coachgen.ingest.documents import Document
from coachgen.ingest.loader import LoadedFile, discover, load_file
from coachgen.settings import Settings
from coachgen.untrusted import removals

__all__ = ["Problem", "lint_paths"]

@dataclass(frozen=True)
class Problem:
    """One finding: which file, how bad, what to do."""

    source: str
    severity: Literal["error", "warning"]
    message: str
    line: int | None = None


def _empty_sections(body: str) -> list[str]:
    sections = split_sections(body)
    empty = []
    for here, after in zip(sections, sections[1:] + [None]):
        deeper = after is not None and len(after.path) > len(here.path) and after.path[: len(here.path)] == here.path
        if not here.text and here.path and not deeper:
            empty.append(" > ".join(here.path))
    return empty


def _line_of(lines: list[str], text: str) -> int | None:
    """The 1-based line of the file where ``text`` (or its start) is written, if it can be found."""
    probe = " ".join(text.split())[:40]
    return next((number for number, line in enumerate(lines, 1) if probe and probe in " ".join(line.split())), None)


def _removed(document: Document, raw: list[str]) -> list[tuple[int | None, str]]:
    """(file line, text) of what the instruction detector removes from a document's title, headings and body."""
    body_line = document.extra.get("body_line")
    found: list[tuple[int | None, str]] = []
    for number, text in removals(document.body):
        found.append((body_line + number - 1 if body_line else _line_of(raw, text), text))
    found += [(_line_of(raw, text), text) for _, text in removals(document.title)]
    return found


def _removals(loaded: LoadedFile) -> list[Problem]:
    source = loaded.file.source
    try:
        raw = loaded.file.path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        raw = []
    problems: list[Problem] = []
    for document in loaded.documents:
        where = f"deal {document.deal_id}, " if document.deal_id else ""
        for line, text in dict.fromkeys(_removed(document, raw)):
            at = f"{where}line {line}" if line else where.rstrip(", ") or "text"
            problems.append(Problem(source, "warning", f"{at}: read as an instruction to the AI and removed before any prompt: "
                                    f"\"{text}\" (reword it if it is meant for people)", line))
    return problems


def lint_paths(paths: list[Path], settings: Settings, today: date | None = None) -> list[Problem]:
    """Problems in the knowledge files under ``paths``."""
    today = today or date.today()
    files, errors = discover(paths)
    problems = [Problem(message.split(":", 1)[0], "error", message.split(": ", 1)[-1]) for message in errors]
    seen_text: dict[str, str] = {}
    for file in files:
        try:
            loaded = load_file(file, settings.max_file_bytes)
        except InputError as exc:
            problems.append(Problem(file.source, "error", str(exc).removeprefix(f"{file.source}: ")))
            continue
        problems.extend(Problem(file.source, "warning", w.removeprefix(f"{file.source}: ")) for w in loaded.warnings)
        problems.extend(_removals(loaded))
        if loaded.skipped or loaded.crm is not None:
            continue
        if loaded.rubric is not None:
            missing = [name for name in ("owner", "reviewed") if getattr(loaded.rubric, name) is None]
            if missing:
                problems.append(Problem(file.source, "warning", f"rubric is missing field(s): {', '.join(missing)}"))
            problems.extend(Problem(file.source, "warning", message) for message in loaded.rubric.blocker_problems())
            continue
        first = loaded.documents[0]
        missing = [name for name in ("owner", "reviewed") if getattr(first, name) is None]  # 'kind' is optional: records are mined
        if missing:
            problems.append(Problem(file.source, "warning", f"missing front matter field(s): {', '.join(missing)}"))
        if first.expires and first.expires < today:
            problems.append(Problem(file.source, "error", f"expired on {first.expires}; update it or remove it"))
        elif first.reviewed and first.reviewed + timedelta(days=first.review_every_days or settings.review_every_days) < today:
            problems.append(Problem(file.source, "warning", f"stale: last reviewed {first.reviewed}"))
        for document in loaded.documents:
            for section in _empty_sections(document.body):
                problems.append(Problem(file.source, "warning", f"empty section '{section}'"))
            for chunk in chunk_document(document, settings.chunk_chars):
                normal = re.sub(r"\W+", " ", chunk.text.lower()).strip()
                if len(normal) < 40:
                    continue
                where = f"{file.source} ({chunk.section})"
                if normal in seen_text and seen_text[normal] != where:
                    problems.append(Problem(file.source, "warning", f"duplicate text in '{chunk.section}', also in {seen_text[normal]}"))
                else:
                    seen_text.setdefault(normal, where)
    return problems
