"""What the miners find in files on disk, per file: what ``kb lint`` shows so a team can see how its handbook was read."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from coachgen.errors import InputError
from coachgen.ingest.loader import discover, load_file
from coachgen.knowledge.miners import mine_document

if TYPE_CHECKING:
    from coachgen.settings import Settings

__all__ = ["found_in_paths"]


def found_in_paths(paths: list[Path], settings: "Settings") -> dict[str, dict[str, int]]:
    """Record counts per type for each knowledge file under ``paths`` (CRM exports and unreadable files left out)."""
    files, _ = discover(paths)
    found: dict[str, dict[str, int]] = {}
    for file in files:
        try:
            loaded = load_file(file, settings.max_file_bytes)
        except InputError:
            continue
        if loaded.crm is not None or loaded.rubric is not None:
            continue
        counts = Counter(record.type for document in loaded.documents for record in mine_document(document))
        found[file.source] = dict(sorted(counts.items()))
    return found
