"""The knowledge store: the one query API artifacts use for what the team's material says.

Records are mined at ingest (:mod:`coachgen.knowledge.miners`) and stored per source file in the
``knowledge_records`` table, in the same transaction as the file's chunks. Every record keeps the
chunk that holds it, so :meth:`KnowledgeStore.hit` turns it into a citable source. Text reaches
artifacts neutralised, like retrieved chunks (:mod:`coachgen.untrusted`).
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, TypeVar

from coachgen.knowledge.records import (
    RECORD_TYPES,
    Competitor,
    ContentItem,
    DiscoveryQuestion,
    GapQuestion,
    KnowledgeRecord,
    Objection,
    ProofPoint,
    Stage,
    TrainingModule,
    ValueDriver,
    load_record,
)

if TYPE_CHECKING:
    from coachgen.ingest.documents import Chunk
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.retrieval import Hit

__all__ = ["KnowledgeStore", "attach_chunks", "ensure_schema", "replace_records"]

R = TypeVar("R", bound=KnowledgeRecord)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS knowledge_records (
    source TEXT NOT NULL, doc_key TEXT NOT NULL, ordinal INTEGER NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS knowledge_records_type ON knowledge_records(type);
CREATE INDEX IF NOT EXISTS knowledge_records_source ON knowledge_records(source);
"""


def ensure_schema(db: sqlite3.Connection) -> None:
    """Create the records table if this home predates it."""
    db.executescript(_SCHEMA)


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text.lower())


def attach_chunks(records: list[KnowledgeRecord], chunks: Iterable["Chunk"]) -> None:
    """Point each record's provenance at the chunk that holds it (same heading and text, else same heading, else the document)."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_key, []).append(chunk)
    for record in records:
        candidates = by_doc.get(record.provenance.doc_key, [])
        if not candidates:
            continue
        heading = _norm(record.provenance.heading.rsplit(" > ", 1)[-1])
        start = _norm(record.text)[:40]
        same_section = [c for c in candidates if heading and _norm(c.section.rsplit(" > ", 1)[-1]) == heading] or candidates
        holding = next((c for c in same_section if start and start in _norm(c.text)), None) or same_section[0]
        record.provenance.chunk_id = holding.id


def replace_records(db: sqlite3.Connection, source: str, records: list[KnowledgeRecord]) -> None:
    """Swap the records of one source file (call inside the file's transaction)."""
    db.execute("DELETE FROM knowledge_records WHERE source = ?", (source,))
    db.executemany(
        "INSERT INTO knowledge_records(source, doc_key, ordinal, type, data) VALUES (?, ?, ?, ?, ?)",
        [(source, r.provenance.doc_key, n, r.type, r.model_dump_json()) for n, r in enumerate(records)],
    )


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


class KnowledgeStore:
    """Typed records of one knowledge base, with the queries artifacts need."""

    def __init__(self, kb: "KnowledgeBase") -> None:
        self.kb = kb
        self._cache: dict[str, list[KnowledgeRecord]] = {}

    def for_handle(self, kb: "KnowledgeBase") -> "KnowledgeStore":
        """The same records for another handle on the same index (a worker thread's): queries go through its connection,
        records already read are shared, not read again."""
        store = KnowledgeStore(kb)
        store._cache = self._cache
        return store

    # reading ---------------------------------------------------------------
    def records(self, record_type: str | None = None, source: str | None = None) -> list[KnowledgeRecord]:
        """Records of a type (all types when None), optionally of one source file, in file order; expired documents left out."""
        key = f"{record_type}|{source}"
        if key not in self._cache:
            from coachgen.untrusted import neutralise

            allowed = self.kb.settings.allowed_domains()
            sql = ("SELECT r.data, d.expires FROM knowledge_records r LEFT JOIN documents d ON d.key = r.doc_key WHERE 1=1"
                   + (" AND r.type = ?" if record_type else "") + (" AND r.source = ?" if source else "") + " ORDER BY r.source, r.ordinal")
            args = tuple(a for a in (record_type, source) if a)
            today = date.today().isoformat()
            found = []
            for row in self.kb.db.execute(sql, args):
                if row["expires"] and row["expires"] < today:
                    continue
                data = json.loads(row["data"])
                for name, value in data.items():
                    if isinstance(value, str) and name not in ("type",):
                        data[name] = neutralise(value, allowed)
                    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                        data[name] = [neutralise(v, allowed) for v in value]
                found.append(load_record(data))
            self._cache[key] = found
        return self._cache[key]

    def _typed(self, cls: type[R]) -> list[R]:
        return [r for r in self.records(cls.model_fields["type"].default) if isinstance(r, cls)]

    def counts(self) -> dict[str, int]:
        """Records per type, every type listed."""
        counts = dict.fromkeys(RECORD_TYPES, 0)
        for row in self.kb.db.execute("SELECT type, COUNT(*) AS n FROM knowledge_records GROUP BY type"):
            counts[row["type"]] = row["n"]
        return counts

    def chunk_ids(self, record_types: Iterable[str]) -> frozenset[str]:
        """The indexed chunks holding records of these types (a search filter); an unknown type is an error."""
        from coachgen.errors import InputError

        wanted = list(record_types)
        unknown = [t for t in wanted if t not in RECORD_TYPES]
        if unknown:
            raise InputError(f"unknown record type '{unknown[0]}'; the types are {', '.join(RECORD_TYPES)}")
        return frozenset(r.provenance.chunk_id for t in wanted for r in self.records(t) if r.provenance.chunk_id)

    def hit(self, record: KnowledgeRecord) -> "Hit | None":
        """The indexed chunk holding ``record``, as a citable source."""
        from coachgen.retrieval import hit_for_chunk

        return hit_for_chunk(self.kb, record.provenance.chunk_id) if record.provenance.chunk_id else None

    # queries ---------------------------------------------------------------
    def objections(self, stage: str | None = None, tag: str | None = None, competitor: str | None = None) -> list[Objection]:
        """Objections, optionally for a stage, a tag or a competitor (named in the record or its text)."""
        found = self._typed(Objection)
        if stage:
            found = [o for o in found if not o.stages or stage.lower() in (s.lower() for s in o.stages)]
        if tag:
            found = [o for o in found if tag.lower() in (t.lower() for t in o.tags)]
        if competitor:
            name = competitor.lower()
            found = [o for o in found if (o.competitor or "").lower() == name or name in f"{o.text} {o.response}".lower()]
        return found

    def questions(self, persona: str | None = None, element: str | None = None, topic: str | None = None) -> list[DiscoveryQuestion]:
        """Discovery questions, filtered by persona (its words), methodology element or topic words."""
        found = self._typed(DiscoveryQuestion)
        if element:
            found = [q for q in found if (q.element or "").lower() == element.lower()]
        if persona:
            wanted = _words(persona)
            found = [q for q in found if wanted & _words(f"{q.persona or ''} {q.topic}")]
        if topic:
            wanted = _words(topic)
            found = [q for q in found if wanted & _words(q.topic)]
        return found

    def gap_question(self, element: str) -> GapQuestion | DiscoveryQuestion | None:
        """The question that closes the gap on ``element``: a gap question, else the first discovery question for it."""
        gaps = [g for g in self._typed(GapQuestion) if g.element.lower() == element.lower()]
        if gaps:
            return gaps[0]
        questions = self.questions(element=element)
        return questions[0] if questions else None

    def stages(self) -> list[Stage]:
        """The team's stages in process order (by the order given, then file order)."""
        found = self._typed(Stage)
        return sorted(found, key=lambda s: (s.provenance.file, s.order if s.order is not None else 1_000))

    def stage(self, name: str) -> Stage | None:
        """The stage record a CRM stage name refers to (same words, or one name inside the other)."""
        wanted = _norm(name)
        stages = self.stages()
        exact = next((s for s in stages if _norm(s.text) == wanted), None)
        return exact or next((s for s in stages if wanted and _norm(s.text) and (_norm(s.text) in wanted or wanted in _norm(s.text))), None)

    def competitors(self) -> list[Competitor]:
        """Competitors, one per name, with claims and counters merged across files."""
        merged: dict[str, Competitor] = {}
        for record in self._typed(Competitor):
            name = record.text.lower()
            if name not in merged:
                merged[name] = record.model_copy(deep=True)
            else:
                merged[name].claims.extend(c for c in record.claims if c not in merged[name].claims)
                merged[name].counters.extend(c for c in record.counters if c not in merged[name].counters)
        return list(merged.values())

    def competitors_in(self, text: str) -> list[Competitor]:
        """The competitors named in ``text`` (whole words, any case)."""
        return [c for c in self.competitors() if re.search(rf"(?<!\w){re.escape(c.text)}(?!\w)", text, re.IGNORECASE)]

    def value_drivers(self) -> list[ValueDriver]:
        """Why buyers buy, in file order."""
        return self._typed(ValueDriver)

    def proof_points(self) -> list[ProofPoint]:
        """Customer results."""
        return self._typed(ProofPoint)

    def content(self) -> list[ContentItem]:
        """Content worth sending to buyers."""
        return self._typed(ContentItem)

    def modules(self) -> list[TrainingModule]:
        """Training modules."""
        return self._typed(TrainingModule)

    def module_for(self, skill: str) -> TrainingModule | None:
        """The training module that teaches ``skill`` (same skill, else shared words with its skill or title)."""
        modules = self.modules()
        wanted = skill.lower().strip()
        exact = next((m for m in modules if m.skill.lower() == wanted), None)
        if exact is not None:
            return exact
        from coachgen.knowledge.miners.sections import skill_of

        generic = skill_of(skill)
        by_skill = next((m for m in modules if generic and m.skill.lower() == generic), None)
        if by_skill is not None:
            return by_skill
        words = _words(skill) - {"and", "the", "of", "a", "to"}
        return max(modules, key=lambda m: len(words & _words(f"{m.skill} {m.text}")), default=None) if any(
            words & _words(f"{m.skill} {m.text}") for m in modules) else None

    def by_file(self) -> dict[str, list[KnowledgeRecord]]:
        """Every record, grouped by source file: what coachgen read in each file."""
        grouped: dict[str, list[KnowledgeRecord]] = {}
        for record in self.records():
            grouped.setdefault(record.provenance.file, []).append(record)
        return grouped

    def dump(self) -> list[dict[str, Any]]:
        """Every record as JSON-ready data."""
        return [r.model_dump() for r in self.records()]
