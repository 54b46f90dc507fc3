"""Hybrid retrieval ranked per document: dense similarity of the best chunk plus document-level BM25.

A document scores ``max cosine(query, chunk)`` over its chunks (each chunk embedded
with its heading path) plus ``LEXICAL_WEIGHT`` times its BM25 score over title,
headings and whole text, normalised by the best BM25 score for the query. Taking
the best chunk keeps short, focused documents competitive with long ones; the
document-level keyword score rewards a document that covers all the query's words
somewhere, not only in one chunk. Within a document, chunks are ordered the same
way with chunk-level BM25. Expired documents are left out unless asked for;
stale ones are flagged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from coachgen.errors import InputError
from coachgen.index.catalog import ChunkRow, fts_query
from coachgen.index.vectors import chroma_where
from coachgen.untrusted import neutralise, neutralise_line

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["Filters", "Hit", "hit_for_chunk", "search", "search_many"]

CANDIDATES = 100
LEXICAL_CANDIDATES = 50
LEXICAL_ONLY_DOCUMENTS = 20  # keyword-only matches whose chunks are scored against the query vector
LEXICAL_WEIGHT = 0.12
DOCUMENT_FTS_WEIGHTS = (3.0, 2.0, 1.0)  # title, headings, body
CHUNK_FTS_WEIGHTS = (2.0, 2.0, 1.0)  # title, heading path, text
MAX_QUERY_CHARS = 2000

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not now of off on once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours yourself yourselves
    im ive id dont doesnt didnt cant wont isnt arent wasnt youre theyre weve thats whats lets get got""".split()
)


@dataclass(frozen=True)
class Filters:
    """Restrict a search; several values in one field mean any of them."""

    kind: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    deal: tuple[str, ...] = ()
    rep: tuple[str, ...] = ()

    def where(self) -> dict[str, Any] | None:
        """The matching Chroma ``where`` clause."""
        return chroma_where({"kind": list(self.kind), "tag": list(self.tag), "stage": list(self.stage),
                             "deal_id": list(self.deal), "rep": list(self.rep)})

    def accepts(self, row: ChunkRow) -> bool:
        """Whether a catalog row passes every filter (kinds, tags and stages ignore case)."""
        meta = row.meta
        folded = lambda values: {str(value).lower() for value in values}  # noqa: E731
        checks = (
            (folded(self.kind), {row.kind}),
            (folded(self.tag), folded(meta.get("tags", []))),
            (folded(self.stage), folded(meta.get("stages", []))),
            (set(self.deal), {meta.get("deal_id")}),
            (set(self.rep), {meta.get("rep")}),
        )
        return all(not wanted or wanted & have for wanted, have in checks)


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk with where it comes from and how fresh it is."""

    id: str
    source: str
    section: str
    score: float
    text: str
    kind: str
    title: str
    doc_key: str
    reviewed: str | None
    expires: str | None
    stale: bool
    deal_id: str | None = None
    rep: str | None = None
    tags: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


def _is_stale(row: ChunkRow, today: date, default_days: int) -> bool:
    if row.reviewed is None:
        return False
    return row.reviewed + timedelta(days=row.review_every_days or default_days) < today


def _is_expired(row: ChunkRow, today: date) -> bool:
    return row.expires is not None and row.expires < today


def _normalised(ranking: list[tuple[str, float]]) -> dict[str, float]:
    """Scores divided by the best one, so the top lexical match counts 1.0."""
    best = max((score for _, score in ranking), default=0.0)
    return {key: score / best for key, score in ranking} if best > 0 else {}


def _similarities(kb: "KnowledgeBase", vector: list[float], chunk_ids: list[str]) -> dict[str, float]:
    """Cosine similarity of the query to chunks the dense search did not return."""
    if not chunk_ids:
        return {}
    import numpy as np

    stored = kb.vectors.vectors(chunk_ids)
    if not stored:
        return {}
    similarities = np.asarray(list(stored.values()), dtype=np.float32) @ np.asarray(vector, dtype=np.float32)
    return dict(zip(stored, similarities.astype(float).tolist()))


def search(
    kb: "KnowledgeBase",
    query: str,
    k: int = 5,
    filters: Filters | None = None,
    include_expired: bool = False,
    per_doc: int = 1,
    today: date | None = None,
    query_vector: list[float] | None = None,
) -> list[Hit]:
    """The ``k`` best chunks for ``query``, at most ``per_doc`` from any one document."""
    query = " ".join(query.split())
    if not query:
        raise InputError("the search query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise InputError(f"the search query is {len(query)} characters; the limit is {MAX_QUERY_CHARS}")
    if k < 1 or per_doc < 1:
        raise InputError("--k and --per-doc must be at least 1")
    filters = filters or Filters()
    today = today or date.today()
    if kb.catalog.get_meta("collection") is None:
        return []
    vector = query_vector if query_vector is not None else kb.embedder.embed_batch([query])[0]
    dense = dict(kb.vectors.query(vector, max(CANDIDATES, k * per_doc * 4), filters.where()))
    match = fts_query(query, STOPWORDS)
    doc_lexical = _normalised(kb.catalog.lexical_documents(match, LEXICAL_CANDIDATES, DOCUMENT_FTS_WEIGHTS) if match else [])
    rows = kb.catalog.chunks_by_id(dense)
    seen_docs = {row.doc_key for row in rows.values()}
    unseen = [key for key in doc_lexical if key not in seen_docs][:LEXICAL_ONLY_DOCUMENTS]
    missing = [chunk_id for ids in kb.catalog.chunk_ids_of_documents(unseen).values() for chunk_id in ids]
    dense.update(_similarities(kb, vector, missing))
    rows.update(kb.catalog.chunks_by_id(missing))
    per_document: dict[str, list[ChunkRow]] = {}
    for chunk_id, row in rows.items():
        if filters.accepts(row) and (include_expired or not _is_expired(row, today)):
            per_document.setdefault(row.doc_key, []).append(row)
    doc_scores = {
        doc_key: max(dense[row.id] for row in chunks) + LEXICAL_WEIGHT * doc_lexical.get(doc_key, 0.0)
        for doc_key, chunks in per_document.items()
    }
    best_docs = sorted(doc_scores, key=lambda key: (-doc_scores[key], key))[:k]
    candidates = [row for key in best_docs for row in per_document[key]]
    chunk_lexical = _normalised(kb.catalog.lexical_among(match, [row.rowid for row in candidates], CHUNK_FTS_WEIGHTS) if match else [])
    ranked: list[tuple[float, float, ChunkRow]] = []
    for doc_key in best_docs:
        scored = sorted(((dense[row.id] + LEXICAL_WEIGHT * chunk_lexical.get(row.id, 0.0), row) for row in per_document[doc_key]),
                        key=lambda pair: (-pair[0], pair[1].ordinal))
        ranked.extend((doc_scores[doc_key], chunk_score, row) for chunk_score, row in scored[:per_doc])
    return [_hit(row, doc_score, today, kb.settings) for doc_score, _score, row in ranked[:k]]


def _hit(row: ChunkRow, score: float, today: date, settings: Any) -> Hit:
    """A catalog row as a hit; its text, headings, title and file name are neutralised (see :mod:`coachgen.untrusted`) before any prompt or artifact sees them."""
    allowed = settings.allowed_domains()
    return Hit(
        id=row.id, source=neutralise_line(row.source, allowed), section=neutralise_line(row.section, allowed), score=round(score, 6), text=neutralise(row.text, allowed),
        kind=row.kind, title=neutralise_line(row.title, allowed), doc_key=row.doc_key,
        reviewed=row.reviewed.isoformat() if row.reviewed else None,
        expires=row.expires.isoformat() if row.expires else None,
        stale=_is_stale(row, today, settings.review_every_days), deal_id=row.meta.get("deal_id"),
        rep=row.meta.get("rep"), tags=list(row.meta.get("tags", [])), stages=list(row.meta.get("stages", [])),
        skills=list(row.meta.get("skills", [])),
    )


def hit_for_chunk(kb: "KnowledgeBase", chunk_id: str, today: date | None = None) -> Hit | None:
    """One indexed chunk as a citable hit (score 1), or None when it is gone."""
    row = kb.catalog.chunks_by_id([chunk_id]).get(chunk_id)
    return _hit(row, 1.0, today or date.today(), kb.settings) if row is not None else None


def search_many(kb: "KnowledgeBase", queries: list[str], **options: Any) -> list[list[Hit]]:
    """Run many queries in one process, embedding them in one batch."""
    cleaned = [" ".join(query.split()) for query in queries]
    vectors = kb.embedder.embed_batch([query or " " for query in cleaned])
    return [search(kb, query, query_vector=vector, **options) for query, vector in zip(cleaned, vectors)]
