"""YAML front matter: split it from markdown and validate its fields."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import yaml

from coachgen.errors import InputError
from coachgen.ingest.documents import KINDS, Curation

__all__ = ["FrontMatter", "load_yaml", "parse_duration_days", "parse_front_matter", "split_front_matter"]

KNOWN_FIELDS = {
    "kind", "title", "owner", "reviewed", "expires", "review_every",
    "tags", "stages", "personas", "skills",
}
_FENCE = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_DURATION = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)?\s*$", re.IGNORECASE)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


@dataclass(frozen=True, kw_only=True)
class FrontMatter(Curation):
    """Validated front matter; every field optional."""

    kind: str | None = None
    title: str | None = None
    unknown: tuple[str, ...] = ()


def split_front_matter(text: str) -> tuple[str | None, str]:
    """Return ``(yaml_text, body)``; ``yaml_text`` is None when there is no front matter."""
    match = _FENCE.match(text)
    if not match:
        return None, text
    return match.group(1), text[match.end():]


def parse_duration_days(value: Any) -> int:
    """``90``, ``"90d"``, ``"6 months"`` or ``"1y"`` as a number of days."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 90d, 6 months or 1y")
    if isinstance(value, int):
        days = value
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise ValueError(f"'{value}' is not a duration such as 90d, 6 months or 1y")
        unit = (match.group(2) or "d")[0].lower()
        days = int(match.group(1)) * _UNIT_DAYS[unit]
    if days <= 0:
        raise ValueError("a review period must be at least one day")
    return days


def _as_date(name: str, value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"'{name}' must be a date like 2026-03-31, not '{value}'") from None


def _as_strings(name: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",")]
    elif isinstance(value, list) and all(isinstance(item, (str, int, float)) for item in value):
        items = [str(item).strip() for item in value]
    else:
        raise ValueError(f"'{name}' must be a list of words or a comma-separated string")
    return tuple(item for item in items if item)


def _as_text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise ValueError(f"'{name}' must be text")
    return str(value).strip() or None


def validate_fields(data: dict[str, Any]) -> FrontMatter:
    """Check front matter fields; raise ``ValueError`` naming the first bad one."""
    kind = _as_text("kind", data.get("kind"))
    if kind is not None:
        kind = kind.lower()
        if kind not in KINDS:
            raise ValueError(f"unknown kind '{kind}' (use one of: {', '.join(KINDS[:-1])})")
    if "expires" in data and "review_every" in data:
        raise ValueError("give either 'expires' or 'review_every', not both")
    return FrontMatter(
        kind=kind,
        title=_as_text("title", data.get("title")),
        owner=_as_text("owner", data.get("owner")),
        reviewed=_as_date("reviewed", data["reviewed"]) if data.get("reviewed") is not None else None,
        expires=_as_date("expires", data["expires"]) if data.get("expires") is not None else None,
        review_every_days=parse_duration_days(data["review_every"]) if data.get("review_every") is not None else None,
        tags=_as_strings("tags", data.get("tags")),
        stages=_as_strings("stages", data.get("stages")),
        personas=_as_strings("personas", data.get("personas")),
        skills=_as_strings("skills", data.get("skills")),
        unknown=tuple(sorted(str(key) for key in data if key not in KNOWN_FIELDS)),
    )


def load_yaml(text: str, where: str, what: str = "YAML") -> Any:
    """``yaml.safe_load`` with errors as one line: ``where: invalid <what> (line N)``."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise InputError(f"{where}: invalid {what}{line}") from None


def parse_front_matter(yaml_text: str, where: str) -> FrontMatter:
    """Parse and validate a front matter block; ``where`` names the file in errors."""
    data = load_yaml(yaml_text, where, "YAML front matter")
    if data is None:
        return FrontMatter()
    if not isinstance(data, dict):
        raise InputError(f"{where}: front matter must be a mapping of fields, not {type(data).__name__}")
    try:
        return validate_fields(data)
    except ValueError as exc:
        raise InputError(f"{where}: front matter: {exc}") from None
