"""Hybrid retrieval ranked per document: dense similarity of the best chunk, document BM25, phrases and exact terms.

A document scores the sum of four signals:

- *dense*: ``max cosine(query, chunk)`` over its chunks (each embedded with its heading path).
  Taking the best chunk keeps short, focused documents competitive with long ones. A chunk holding
  a mined objection scores at least ``RECORD_WEIGHT`` times the query's cosine to the objection
  alone (:mod:`coachgen.index.record_vectors`): buyers word their worries the way the record does;
- *lexical*: ``LEXICAL_WEIGHT`` times its BM25 over title, headings and whole text, normalised by
  the best BM25 for the query: it rewards covering the query's words somewhere, not in one chunk;
- *phrase*: ``PHRASE_WEIGHT`` times the share of the query's phrases it holds word for word;
- *exact*: the share, weighted by rarity, of the query's rare terms it holds, times ``EXACT_WEIGHT``.
  A rare term is not an ordinary English word (a code, id, number, name or jargon; see
  :mod:`coachgen.index.lexical`) and is held by at most ``RARE_SHARE`` of the documents searched. A query made
  only of rare terms is a lookup: the weight is then ``LOOKUP_WEIGHT``, more than dense and
  lexical together can give, so every document holding them ranks above any that does not.

Filters are applied inside both searches (Chroma's ``where`` and the SQL of the lexical side), so
a filtered search keeps its keyword signal however many documents are filtered away. Within a
document, chunks are ordered the same way with chunk-level BM25, phrases and terms. Expired
documents are left out unless asked for; stale ones are flagged. ``explain=True`` keeps each
signal on the hit (:class:`Explanation`).

When ``kb tune`` has fitted an adapter that matches the index (:mod:`coachgen.index.adapter`), every
cosine above, to chunks and to records, is taken after its map.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from coachgen.errors import InputError
from coachgen.index import adapter, record_vectors
from coachgen.index.catalog import Catalog, ChunkRow, Scope
from coachgen.index.lexical import QueryText, Unit, read_query
from coachgen.index.vectors import chroma_where
from coachgen.untrusted import neutralise, neutralise_line

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["Explanation", "Filters", "Hit", "hit_for_chunk", "search", "search_many"]

CANDIDATES = 100
LEXICAL_CANDIDATES = 50
LEXICAL_ONLY_DOCUMENTS = 20  # keyword-only matches whose chunks are scored against the query vector
EXACT_ONLY_DOCUMENTS = 50  # documents holding a rare term or a phrase that neither search returned
# Weights measured on tests/corpora/northwind, reported on the sample and harbor (benchmarks/RESULTS.md).
LEXICAL_WEIGHT = 0.12
PHRASE_WEIGHT = 0.15
EXACT_WEIGHT = 0.2
RECORD_WEIGHT = 0.9  # a chunk's dense score is at least this times the cosine of the best record it holds
RECORD_CANDIDATES = 20  # records most like the query whose chunks are considered
LOOKUP_WEIGHT = 2.0  # more than the widest gap dense (cosines) and lexical can open between two documents
RARE_SHARE = 0.05  # a term in at most this share of the documents searched is rare...
RARE_DOCUMENTS = 3  # ...or in at most this many
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
    chunks: frozenset[str] = frozenset()
    """Only these chunks (e.g. the ones holding records of a type); each is scored even when the vector query misses it."""

    def where(self) -> dict[str, Any] | None:
        """The matching Chroma ``where`` clause."""
        return chroma_where({"kind": list(self.kind), "tag": list(self.tag), "stage": list(self.stage),
                             "deal_id": list(self.deal), "rep": list(self.rep)})

    def scope(self, live_on: date | None = None) -> Scope:
        """The same filters for the catalog's lexical queries; with ``live_on``, unexpired documents only."""
        return Scope(self.kind, self.tag, self.stage, self.deal, self.rep, live_on)

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
            (self.chunks, {row.id}),
        )
        return all(not wanted or wanted & have for wanted, have in checks)


@dataclass(frozen=True)
class Explanation:
    """Why a hit ranked where it did: each signal of its document, and what it added to the score."""

    rank: int
    score: float  # the document's score: the sum of the contributions below
    dense: float  # cosine similarity of the document's best chunk to the query (or of a record it holds, weighted)
    record: float  # RECORD_WEIGHT times the cosine of the best mined record (an objection...) the document holds, 0 if none
    lexical: float  # document BM25 over the best BM25 for this query, 0-1
    phrase: float  # share of the query's phrases the document holds word for word, 0-1
    exact: float  # share, weighted by rarity, of the query's rare terms it holds, 0-1
    weights: dict[str, float]  # what lexical, phrase and exact were multiplied by
    contributions: dict[str, float]
    phrases: list[str]  # the query's phrases the document holds
    terms: list[str]  # the query's rare terms the document holds
    rare_terms: list[str]  # every rare term of the query
    lookup: bool  # the query is made only of rare terms
    chunk_score: float  # how this chunk ranked among its document's chunks
    term_documents: dict[str, int]  # each term of the query found in the searched documents: how many hold it
    searched: int  # documents searched (after filters)
    rare_limit: int  # a term held by more documents than this is not rare

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)


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
    explain: Explanation | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``explain`` only when the search was asked to explain)."""
        fields = asdict(self)
        if self.explain is None:
            del fields["explain"]
        return fields


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


def _similarities(kb: "KnowledgeBase", vector: list[float], chunk_ids: list[str], probe: adapter.Probe | None = None) -> dict[str, float]:
    """Cosine similarity of the query to chunks the dense search did not return (with ``probe``, in the tuned space)."""
    if not chunk_ids:
        return {}
    import numpy as np

    stored = kb.vectors.vectors(chunk_ids)
    if not stored:
        return {}
    matrix = np.asarray(list(stored.values()), dtype=np.float32)
    similarities = matrix @ np.asarray(vector, dtype=np.float32) if probe is None else probe.cosines(matrix, probe.adapter.norms_of(matrix, list(stored)))
    return dict(zip(stored, similarities.astype(float).tolist()))


@dataclass(frozen=True)
class _Exact:
    """The query's rare terms and phrases, and which documents in the searched scope hold each."""

    weights: dict[Unit, float]  # every term found in the scope, by rarity: ln(1 + documents / documents with it)
    rare: dict[Unit, set[str]]  # rare terms and the documents holding them
    phrases: dict[Unit, set[str]]  # every phrase and the documents holding it
    lookup: bool
    counts: dict[Unit, int] = field(default_factory=dict)  # documents holding each term found
    searched: int = 0  # documents in the scope
    limit: int = 0  # the most documents a rare term is in

    def term_share(self, held: set[Unit]) -> float:
        """The rarity-weighted share of the query's terms that are rare and held."""
        total = sum(self.weights.values())
        return sum(self.weights[unit] for unit in self.rare if unit in held) / total if total else 0.0

    def phrase_share(self, held: set[Unit]) -> float:
        """The share of the query's phrases held."""
        return sum(unit in held for unit in self.phrases) / len(self.phrases) if self.phrases else 0.0

    def held_by(self, doc_key: str) -> set[Unit]:
        """The rare terms and phrases a document holds."""
        return {unit for units in (self.rare, self.phrases) for unit, keys in units.items() if doc_key in keys}

    def documents(self) -> list[str]:
        """Documents holding a rare term (the rarest first), then those holding the most phrases."""
        by_rarity = [key for _, keys in sorted(self.rare.items(), key=lambda item: len(item[1])) for key in sorted(keys)]
        phrases = Counter(key for keys in self.phrases.values() for key in keys)
        return list(dict.fromkeys(by_rarity + sorted(phrases, key=lambda key: (-phrases[key], key))))


def _exact(catalog: Catalog, text: QueryText, scope: Scope) -> _Exact:
    """Find the query's rare terms and phrases in the scope (one small FTS5 query each).

    A term that is a deal id is held by that deal's notes too, whether or not their text says it.
    """
    total = catalog.count_documents(scope) if text.terms or text.phrases else 0
    limit = max(RARE_DOCUMENTS, int(RARE_SHARE * total))
    deals = catalog.documents_of_deals([unit.text for unit in text.terms], scope) if text.terms else {}
    weights: dict[Unit, float] = {}
    counts: dict[Unit, int] = {}
    rare: dict[Unit, set[str]] = {}
    replaced: set[Unit] = set()
    for unit in sorted(text.terms, key=lambda unit: not unit.parts):  # a code of two words stands for both when found
        if unit in replaced:
            continue
        holders = set(catalog.documents_matching(unit.match, scope, limit + 1)) | deals.get(unit.text.lower(), set())
        count = len(holders) if len(holders) <= limit else catalog.count_documents(scope, unit.match)
        if count:
            weights[unit], counts[unit] = math.log(1 + total / count), count
            replaced.update(unit.parts)
        if 0 < count <= limit and not unit.ordinary:
            rare[unit] = holders
    phrases = {unit: set(catalog.documents_matching(unit.match, scope)) for unit in text.phrases}
    return _Exact(weights, rare, phrases, lookup=bool(rare) and len(rare) == len(weights), counts=counts, searched=total, limit=limit)


def search(
    kb: "KnowledgeBase",
    query: str,
    k: int = 5,
    filters: Filters | None = None,
    include_expired: bool = False,
    per_doc: int = 1,
    today: date | None = None,
    query_vector: list[float] | None = None,
    explain: bool = False,
) -> list[Hit]:
    """The ``k`` best chunks for ``query``, at most ``per_doc`` from any one document; ``explain`` keeps why."""
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
    scope = filters.scope(None if include_expired else today)
    vector = query_vector if query_vector is not None else kb.embedder.embed_batch([query])[0]
    tuned = adapter.active(kb)
    probe = tuned.probe(vector) if tuned is not None else None
    found = kb.vectors.query(vector if probe is None else probe.direction(), max(CANDIDATES, k * per_doc * 4), filters.where())
    dense = dict(found) if probe is None else probe.from_store(found)
    text = read_query(query, STOPWORDS)
    exact = _exact(kb.catalog, text, scope)
    doc_lexical = _normalised(kb.catalog.lexical_documents(text.words, LEXICAL_CANDIDATES, DOCUMENT_FTS_WEIGHTS, scope) if text.words else [])
    rows = kb.catalog.chunks_by_id(dense)
    seen_docs = {row.doc_key for row in rows.values()}
    unseen = [key for key in doc_lexical if key not in seen_docs][:LEXICAL_ONLY_DOCUMENTS]
    unseen += [key for key in exact.documents() if key not in seen_docs and key not in unseen][:EXACT_ONLY_DOCUMENTS]
    missing = [chunk_id for ids in kb.catalog.chunk_ids_of_documents(unseen).values() for chunk_id in ids]
    records = _record_matches(kb, vector, probe)
    missing += [chunk_id for chunk_id in records if chunk_id not in dense and chunk_id not in missing]
    missing += [chunk_id for chunk_id in sorted(filters.chunks) if chunk_id not in dense and chunk_id not in missing]
    if tuned is not None:  # chunks indexed since tuning (deal logs): their cosines are computed from their vectors
        missing += [chunk_id for chunk_id in dense if chunk_id not in tuned.norms and chunk_id not in missing]
    dense.update(_similarities(kb, vector, missing, probe))
    rows.update(kb.catalog.chunks_by_id(missing))
    for chunk_id, similarity in records.items():
        if chunk_id in dense:
            dense[chunk_id] = max(dense[chunk_id], similarity)
    per_document: dict[str, list[ChunkRow]] = {}
    for chunk_id, row in rows.items():
        if filters.accepts(row) and (include_expired or not _is_expired(row, today)) and chunk_id in dense:
            per_document.setdefault(row.doc_key, []).append(row)
    weights = {"lexical": LEXICAL_WEIGHT, "phrase": PHRASE_WEIGHT, "exact": LOOKUP_WEIGHT if exact.lookup else EXACT_WEIGHT}
    signals = {
        doc_key: {"dense": max(dense[row.id] for row in chunks), "record": max(records.get(row.id, 0.0) for row in chunks),
                  "lexical": doc_lexical.get(doc_key, 0.0),
                  "phrase": exact.phrase_share(exact.held_by(doc_key)), "exact": exact.term_share(exact.held_by(doc_key))}
        for doc_key, chunks in per_document.items()
    }
    doc_scores = {key: _combined(values, weights) for key, values in signals.items()}
    best_docs = sorted(doc_scores, key=lambda key: (-doc_scores[key], key))[:k]
    candidates = [row for key in best_docs for row in per_document[key]]
    chunk_scores = _chunk_scores(kb.catalog, text, exact, candidates, dense, weights)
    ranked: list[tuple[str, float, ChunkRow]] = []
    for doc_key in best_docs:
        scored = sorted(per_document[doc_key], key=lambda row: (-chunk_scores[row.id], row.ordinal))
        ranked.extend((doc_key, chunk_scores[row.id], row) for row in scored[:per_doc])
    hits = []
    for rank, (doc_key, chunk_score, row) in enumerate(ranked[:k], 1):
        why = _explanation(rank, signals[doc_key], weights, exact, doc_key, chunk_score) if explain else None
        hits.append(_hit(row, doc_scores[doc_key], today, kb.settings, why))
    return hits


def _record_matches(kb: "KnowledgeBase", vector: list[float], probe: adapter.Probe | None = None) -> dict[str, float]:
    """The chunks holding the records most like the query, with ``RECORD_WEIGHT`` times the record's cosine."""
    import numpy as np

    key = ("record_vectors", kb.catalog.get_meta("write_generation"))
    if key not in kb._memo:
        kb._memo[key] = [record_vectors.load(kb.db, kb.catalog.get_meta("embedder") or "")]
    chunk_ids, matrix = kb._memo[key][0]
    if not chunk_ids:
        return {}
    if probe is None:
        similarities = matrix @ np.asarray(vector, dtype=np.float32)
    else:
        if (key, "tuned") not in kb._memo:
            kb._memo[(key, "tuned")] = [probe.adapter.norms_of(matrix)]
        similarities = probe.cosines(matrix, kb._memo[(key, "tuned")][0])
    best: dict[str, float] = {}
    for index in np.argsort(-similarities)[:RECORD_CANDIDATES]:
        chunk_id = chunk_ids[index]
        best[chunk_id] = max(best.get(chunk_id, -1.0), RECORD_WEIGHT * float(similarities[index]))
    return best


def _combined(signals: dict[str, float], weights: dict[str, float]) -> float:
    return signals["dense"] + sum(weight * signals[name] for name, weight in weights.items())


def _chunk_scores(catalog: Catalog, text: QueryText, exact: _Exact, rows: list[ChunkRow], dense: dict[str, float],
                  weights: dict[str, float]) -> dict[str, float]:
    """Each chunk's score among its document's chunks: the document's signals, measured on the chunk."""
    rowids = [row.rowid for row in rows]
    lexical = _normalised(catalog.lexical_among(text.words, rowids, CHUNK_FTS_WEIGHTS) if text.words else [])
    held: dict[str, set[Unit]] = {row.id: set() for row in rows}
    for units in (exact.rare, exact.phrases):
        for unit, keys in units.items():
            if keys & {row.doc_key for row in rows}:
                for chunk_id in catalog.chunks_matching(unit.match, [row.rowid for row in rows if row.doc_key in keys]):
                    held[chunk_id].add(unit)
    for row in rows:  # a deal's id is held by every chunk of its notes
        held[row.id].update(unit for unit in exact.rare if unit.text.lower() == str(row.meta.get("deal_id") or "").lower())
    return {row.id: _combined({"dense": dense[row.id], "lexical": lexical.get(row.id, 0.0), "phrase": exact.phrase_share(held[row.id]),
                               "exact": exact.term_share(held[row.id])}, weights) for row in rows}


def _explanation(rank: int, signals: dict[str, float], weights: dict[str, float], exact: _Exact, doc_key: str,
                 chunk_score: float) -> Explanation:
    held = exact.held_by(doc_key)
    contributions = {"dense": signals["dense"], **{name: weight * signals[name] for name, weight in weights.items()}}
    return Explanation(
        rank=rank, score=round(_combined(signals, weights), 6), **{name: round(value, 6) for name, value in signals.items()},
        weights=weights, contributions={name: round(value, 6) for name, value in contributions.items()},
        phrases=[unit.text for unit in exact.phrases if unit in held], terms=[unit.text for unit in exact.rare if unit in held],
        rare_terms=[unit.text for unit in exact.rare], lookup=exact.lookup, chunk_score=round(chunk_score, 6),
        term_documents={unit.text: count for unit, count in exact.counts.items()}, searched=exact.searched, rare_limit=exact.limit,
    )


def _hit(row: ChunkRow, score: float, today: date, settings: Any, explain: Explanation | None = None) -> Hit:
    """A catalog row as a hit; its text, headings, title and file name are neutralised (see :mod:`coachgen.untrusted`) before any prompt or artifact sees them."""
    allowed = settings.allowed_domains()
    return Hit(
        id=row.id, source=neutralise_line(row.source, allowed), section=neutralise_line(row.section, allowed), score=round(score, 6), text=neutralise(row.text, allowed),
        kind=row.kind, title=neutralise_line(row.title, allowed), doc_key=row.doc_key,
        reviewed=row.reviewed.isoformat() if row.reviewed else None,
        expires=row.expires.isoformat() if row.expires else None,
        stale=_is_stale(row, today, settings.review_every_days), deal_id=row.meta.get("deal_id"),
        rep=row.meta.get("rep"), tags=list(row.meta.get("tags", [])), stages=list(row.meta.get("stages", [])),
        skills=list(row.meta.get("skills", [])), explain=explain,
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
