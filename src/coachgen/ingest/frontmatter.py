"""Front matter: split it from markdown (YAML ``---`` or TOML ``+++``) and read the fields that mean something to us.

Our own fields (``kind``, ``owner``, ``reviewed``...) are validated: a bad value is an error naming
the file. Static-site fields are mapped where they mean something to coachgen (``lastmod`` or ``date``
→ reviewed, ``draft`` → skip the page, ``description`` → summary, ``categories`` → tags) and every
other field is kept quietly in :attr:`FrontMatter.other`. Only a field that looks like a misspelling
of one of ours (``reviwed``, ``stage``, ``owners``) gets a warning.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import yaml

from coachgen.errors import InputError
from coachgen.ingest.documents import KINDS, Curation

__all__ = [
    "FrontBlock",
    "FrontMatter",
    "load_yaml",
    "parse_duration_days",
    "parse_front_matter",
    "split_front_matter",
    "validate_fields",
]

#: Fields coachgen defines.
OURS = ("kind", "title", "owner", "reviewed", "expires", "review_every", "tags", "stages", "personas", "skills")
#: Static-site fields that mean something here.
SITE_DATES = ("lastmod", "date")
SITE_FIELDS = ("description", "summary", "draft", "published", "categories", "expirydate", *SITE_DATES)
#: Common static-site fields (Hugo, Jekyll, Docusaurus, MkDocs) never taken for a misspelling of ours.
_SITE_OTHER = {
    "weight", "aliases", "sidebar", "showtitle", "toc", "slug", "url", "layout", "type", "linktitle", "author",
    "authors", "keywords", "images", "image", "menu", "publishdate", "series", "params", "cascade", "outputs",
    "headless", "markup", "translationkey", "permalink", "excerpt", "id", "sidebar_label", "sidebar_position",
    "hide_title", "hide_table_of_contents", "custom_edit_url", "template", "hide", "search", "status", "icon",
}
_YAML_FENCE = re.compile(r"\A---[ \t]*\r?\n(?:(.*?)\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_TOML_FENCE = re.compile(r"\A\+\+\+[ \t]*\r?\n(?:(.*?)\r?\n)?\+\+\+[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_DURATION = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)?\s*$", re.IGNORECASE)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}
_READ_SITE_FIELDS = ("lastmod", "draft", "description", "categories")


@dataclass(frozen=True, kw_only=True)
class FrontMatter(Curation):
    """Validated front matter; every field optional."""

    kind: str | None = None
    title: str | None = None
    summary: str | None = None
    draft: bool = False
    other: dict[str, Any] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def unknown(self) -> tuple[str, ...]:
        """Names of the fields kept but not read."""
        return tuple(sorted(self.other))


@dataclass(frozen=True)
class FrontBlock:
    """A front matter block: its syntax and text, the body after it, and the file line the body starts on."""

    syntax: str
    text: str
    body: str
    body_line: int


def split_front_matter(text: str) -> FrontBlock | None:
    """The front matter block at the top of ``text`` (YAML between ``---``, TOML between ``+++``), or None."""
    for syntax, fence in (("yaml", _YAML_FENCE), ("toml", _TOML_FENCE)):
        match = fence.match(text)
        if match:
            return FrontBlock(syntax, match.group(1) or "", text[match.end():], text.count("\n", 0, match.end()) + 1)
    return None


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
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text).date() if len(text) > 10 else date.fromisoformat(text)
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
    return " ".join(str(value).split()) or None


def _flag(value: Any) -> bool | None:
    """``true``/``yes`` or ``false``/``no`` (as YAML, TOML or text), else None."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    return True if text in ("true", "yes", "on") else False if text in ("false", "no", "off") else None


def _normal(key: Any) -> str:
    return str(key).strip().lower().replace("-", "_")


def _misspelling_of(name: str) -> str | None:
    """The field of ours ``name`` looks like a misspelling of (``reviwed`` → ``reviewed``), else None."""
    if name in _SITE_OTHER:
        return None
    close = difflib.get_close_matches(name, OURS + _READ_SITE_FIELDS, n=1, cutoff=0.8)
    if not close:
        return None
    meant = close[0]
    if name.startswith(meant + "_") or name.endswith("_" + meant):
        return None  # a field of its own that extends ours (reviewed_by, owner_email)
    return meant


def _site_date(data: dict[str, Any], names: tuple[str, ...], warnings: list[str]) -> date | None:
    """The first static-site date field that holds a date; one that does not is noted and ignored."""
    for name in names:
        if data.get(name) in (None, ""):
            continue
        try:
            return _as_date(name, data[name])
        except ValueError as exc:
            warnings.append(f"front matter: {exc}; ignored")
    return None


def validate_fields(raw: dict[str, Any]) -> FrontMatter:
    """Check front matter fields; raise ``ValueError`` naming the first bad one of ours."""
    data: dict[str, Any] = {}
    other: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in raw.items():
        name = _normal(key)
        if name in OURS or name in SITE_FIELDS:
            data.setdefault(name, value)
            continue
        other[str(key)] = value
        meant = _misspelling_of(name)
        if meant:
            warnings.append(f"front matter field '{key}' looks like a misspelling of '{meant}'; it was not read")
    kind = _as_text("kind", data.get("kind"))
    if kind is not None:
        kind = kind.lower()
        if kind not in KINDS:
            raise ValueError(f"unknown kind '{kind}' (use one of: {', '.join(KINDS[:-1])})")
    if data.get("expires") is not None and data.get("review_every") is not None:
        raise ValueError("give either 'expires' or 'review_every', not both")
    reviewed = _as_date("reviewed", data["reviewed"]) if data.get("reviewed") is not None else _site_date(data, SITE_DATES, warnings)
    expires = _as_date("expires", data["expires"]) if data.get("expires") is not None else None
    if expires is None and data.get("review_every") is None:
        expires = _site_date(data, ("expirydate",), warnings)
    tags = _as_strings("tags", data.get("tags")) + _as_strings("categories", data.get("categories"))
    try:
        summary = _as_text("description", data.get("description")) or _as_text("summary", data.get("summary"))
    except ValueError:
        summary = None
    return FrontMatter(
        kind=kind,
        title=_as_text("title", data.get("title")),
        owner=_as_text("owner", data.get("owner")),
        reviewed=reviewed,
        expires=expires,
        review_every_days=parse_duration_days(data["review_every"]) if data.get("review_every") is not None else None,
        tags=tuple(dict.fromkeys(tags)),
        stages=_as_strings("stages", data.get("stages")),
        personas=_as_strings("personas", data.get("personas")),
        skills=_as_strings("skills", data.get("skills")),
        summary=summary,
        draft=_flag(data.get("draft")) is True or _flag(data.get("published")) is False,
        other=other,
        warnings=tuple(warnings),
    )


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` that keeps an impossible date (``2024-13-45``) as text, for the field's check to report,
    and reads an unknown tag (``!!python/name:...`` in an ``mkdocs.yml``) as a plain value."""


def _timestamp(loader: _Loader, node: yaml.Node) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return loader.construct_scalar(node)  # type: ignore[arg-type]


def _any_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_multi_constructor("", _any_tag)


def load_yaml(text: str, where: str, what: str = "YAML") -> Any:
    """Parse YAML safely, with errors as one line: ``where: invalid <what> (line N)``."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark else ""
        raise InputError(f"{where}: invalid {what}{line}") from None
    except RecursionError:
        raise InputError(f"{where}: invalid {what} (nested too deeply)") from None
    except (ValueError, TypeError, OverflowError) as exc:
        raise InputError(f"{where}: invalid {what} ({exc})") from None


def _load_toml(text: str, where: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{where}: invalid TOML front matter ({exc})") from None
    except RecursionError:
        raise InputError(f"{where}: invalid TOML front matter (nested too deeply)") from None


def parse_front_matter(block: FrontBlock | str, where: str) -> FrontMatter:
    """Parse and validate a front matter block (or YAML text); ``where`` names the file in errors."""
    if isinstance(block, str):
        block = FrontBlock("yaml", block, "", 1)
    data = _load_toml(block.text, where) if block.syntax == "toml" else load_yaml(block.text, where, "YAML front matter")
    if data is None:
        return FrontMatter()
    if not isinstance(data, dict):
        raise InputError(f"{where}: front matter must be a mapping of fields, not {type(data).__name__}")
    try:
        return validate_fields(data)
    except ValueError as exc:
        raise InputError(f"{where}: front matter: {exc}") from None
