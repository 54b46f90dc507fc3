"""The units that flow from loaders to the index: documents and their chunks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = ["CURATION_FIELDS", "EMBEDDING_FORMAT", "KINDS", "Chunk", "Curation", "Document", "chunk_id", "embedding_text"]

#: Document kinds a front matter ``kind`` may name; ``deal_note`` is given to CRM notes.
KINDS = (
    "playbook",
    "objection",
    "battlecard",
    "discovery",
    "methodology",
    "training",
    "product",
    "announcement",
    "deal_note",
)


@dataclass(frozen=True, kw_only=True)
class Curation:
    """Who owns a document, how fresh it is, and whom and what it is for."""

    owner: str | None = None
    reviewed: date | None = None
    expires: date | None = None
    review_every_days: int | None = None
    tags: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    personas: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()

    def curation(self) -> dict[str, Any]:
        """The curation fields alone, to pass on to another record."""
        return {name: getattr(self, name) for name in CURATION_FIELDS}


CURATION_FIELDS = tuple(Curation.__dataclass_fields__)


@dataclass(frozen=True, kw_only=True)
class Document(Curation):
    """One retrievable document: a markdown file, one objection entry, or one deal's notes."""

    key: str
    source: str
    kind: str
    title: str
    body: str
    deal_id: str | None = None
    rep: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        """JSON-ready metadata stored with every chunk of this document."""
        return {
            "kind": self.kind,
            "title": self.title,
            "owner": self.owner,
            "reviewed": self.reviewed.isoformat() if self.reviewed else None,
            "expires": self.expires.isoformat() if self.expires else None,
            "review_every_days": self.review_every_days,
            "tags": list(self.tags),
            "stages": list(self.stages),
            "personas": list(self.personas),
            "skills": list(self.skills),
            "deal_id": self.deal_id,
            "rep": self.rep,
        }


@dataclass(frozen=True)
class Chunk:
    """A bounded piece of a document with the heading path that leads to it."""

    id: str
    doc_key: str
    ordinal: int
    section: str
    text: str

    def embedding_text(self) -> str:
        """What the embedder sees; see :func:`embedding_text`."""
        return embedding_text(self.section, self.text)


#: How chunk texts are embedded; an index records it, ``kb reindex`` rebuilds older vectors.
EMBEDDING_FORMAT = 2


def embedding_text(section: str, text: str) -> str:
    """A chunk as the embedder sees it: its heading path twice, then its text.

    The heading path says what a section is about in the words a reader asks with; given twice, it
    weighs more against a long text in the mean-pooled vector (recall@1 +0.02 to +0.06 on three
    corpora, benchmarks/RESULTS.md). Format 1 gave it once.
    """
    return f"{section}\n{section}\n{text}"


def chunk_id(doc_key: str, section: str, text: str) -> str:
    """A stable id from the chunk's content and where it stands."""
    digest = hashlib.sha256(f"{doc_key}\x00{section}\x00{text}".encode()).hexdigest()
    return digest[:20]
