"""YAML objection libraries: a list of objection / response / tags / stage entries."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from coachgen.errors import InputError
from coachgen.ingest.documents import Document
from coachgen.ingest.frontmatter import FrontMatter, load_yaml, validate_fields

__all__ = ["load_objection_library"]

_ENTRY_FIELDS = {"objection", "response", "tags", "stage", "stages", "category", "id"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "entry"


def _entries_and_header(data: Any, source: str) -> tuple[list[Any], dict[str, Any]]:
    if isinstance(data, list):
        return data, {}
    if isinstance(data, dict) and isinstance(data.get("objections"), list):
        header = {key: value for key, value in data.items() if key != "objections"}
        return data["objections"], header
    raise InputError(f"{source}: not an objection library (expected a list of objection/response entries)")


def _entry_document(entry: Any, number: int, source: str, library: str, header: FrontMatter) -> Document:
    where = f"{source}: entry {number}"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: must be a mapping with 'objection' and 'response'")
    unknown = sorted(set(map(str, entry)) - _ENTRY_FIELDS)
    if unknown:
        raise InputError(f"{where}: unknown field(s) {', '.join(unknown)}")
    objection, response = entry.get("objection"), entry.get("response")
    if not isinstance(objection, str) or not objection.strip():
        raise InputError(f"{where}: 'objection' must be non-empty text")
    if not isinstance(response, str) or not response.strip():
        raise InputError(f"{where}: 'response' must be non-empty text")
    try:
        fields = validate_fields({"tags": entry.get("tags"), "stages": entry.get("stages", entry.get("stage"))})
    except ValueError as exc:
        raise InputError(f"{where}: {exc}") from None
    category = str(entry["category"]).strip() if entry.get("category") else None
    tags = tuple(dict.fromkeys((*header.tags, *fields.tags, *([category] if category else []))))
    body = f"## {objection.strip()}\n\n**Objection:** {objection.strip()}\n\n**Response:** {response.strip()}\n"
    key = f"{source}#{entry.get('id') or _slug(objection)}"
    return Document(
        key=key,
        source=source,
        kind="objection",
        title=library,
        body=body,
        **{**header.curation(), "tags": tags, "stages": fields.stages or header.stages},
        extra={"objection": objection.strip(), "response": response.strip(), "category": category},
    )


def load_objection_library(source: str, text: str) -> list[Document]:
    """One document per objection entry; header fields (owner, reviewed, tags...) apply to all."""
    data = load_yaml(text, source)
    entries, raw_header = _entries_and_header(data, source)
    if not entries:
        raise InputError(f"{source}: the objection library has no entries")
    try:
        header = validate_fields({key: value for key, value in raw_header.items() if key != "kind"})
    except ValueError as exc:
        raise InputError(f"{source}: {exc}") from None
    library = header.title or "Objection library"
    documents = [_entry_document(entry, number, source, library, header) for number, entry in enumerate(entries, 1)]
    duplicates = sorted(key for key, count in Counter(document.key for document in documents).items() if count > 1)
    if duplicates:
        raise InputError(f"{source}: duplicate objection entries: {', '.join(duplicates)}")
    return documents
