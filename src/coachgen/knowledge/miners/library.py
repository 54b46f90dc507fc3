"""Records from coachgen's own YAML objection library, whose fields say what each entry is."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coachgen.knowledge.records import Objection, Provenance

if TYPE_CHECKING:
    from coachgen.ingest.documents import Document

__all__ = ["mine_library"]


def mine_library(document: "Document") -> list[Objection]:
    """The objection entry a library document was loaded from (none for other documents)."""
    objection = document.extra.get("objection")
    if not objection:
        return []
    provenance = Provenance(file=document.source, doc_key=document.key, heading=objection, found_by="yaml")
    return [Objection(
        text=objection, response=document.extra.get("response", ""), tags=list(document.tags),
        stages=list(document.stages), persona=(document.personas or (None,))[0], provenance=provenance,
    )]
