"""Vectors of mined records, so a query worded like an objection finds the chunk that answers it.

An objection record is a short text in the buyer's voice; the chunk holding it also carries the
response, which pulls the chunk's vector away from how buyers put it. Each such record is embedded
on its own (at ingest, in the file's transaction) and points at its chunk: at query time a chunk's
dense score is the larger of its own cosine and ``RECORD_WEIGHT`` times its best record's cosine
(:mod:`coachgen.retrieval`). Measured in ``benchmarks/retrieval_quality.py``; only the types that
helped there are embedded.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    import numpy as np

    from coachgen.index.embeddings import Embedder
    from coachgen.knowledge.records import KnowledgeRecord

__all__ = ["RETRIEVAL_TYPES", "ensure_schema", "load", "reembed_stored", "replace", "units"]

RETRIEVAL_TYPES = ("objection",)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS record_vectors (
    source TEXT NOT NULL, chunk_id TEXT NOT NULL, embedder TEXT NOT NULL, vector BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS record_vectors_source ON record_vectors(source);
"""


def ensure_schema(db: sqlite3.Connection) -> None:
    """Create the table if this home predates it (older homes simply have no record vectors)."""
    db.executescript(_SCHEMA)


def units(records: Iterable["KnowledgeRecord"]) -> list[tuple[str, str]]:
    """(chunk id, text) of the records worth a vector of their own: retrieval types held by an indexed chunk."""
    return [(r.provenance.chunk_id, r.text) for r in records if r.type in RETRIEVAL_TYPES and r.provenance.chunk_id and r.text.strip()]


def replace(db: sqlite3.Connection, source: str, pairs: list[tuple[str, str]], vectors: list[list[float]], embedder: str) -> None:
    """Swap one source's record vectors (call inside the file's transaction)."""
    import numpy as np

    db.execute("DELETE FROM record_vectors WHERE source = ?", (source,))
    db.executemany(
        "INSERT INTO record_vectors(source, chunk_id, embedder, vector) VALUES (?, ?, ?, ?)",
        [(source, chunk_id, embedder, np.asarray(vector, dtype=np.float32).tobytes()) for (chunk_id, _), vector in zip(pairs, vectors)],
    )


def load(db: sqlite3.Connection, embedder: str) -> tuple[list[str], "np.ndarray"]:
    """Every record vector made with ``embedder``: their chunk ids and one row per vector."""
    import numpy as np

    rows = db.execute("SELECT chunk_id, vector FROM record_vectors WHERE embedder = ?", (embedder,)).fetchall()
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    return [row[0] for row in rows], np.stack([np.frombuffer(row[1], dtype=np.float32) for row in rows])


def reembed_stored(db: sqlite3.Connection, embedder: "Embedder") -> int:
    """Embed every stored record of the retrieval types again with ``embedder`` (after an import or a reindex); returns how many."""
    import json

    from coachgen.knowledge.records import load_record

    by_source: dict[str, list["KnowledgeRecord"]] = {}
    marks = ", ".join("?" for _ in RETRIEVAL_TYPES)
    for source, data in db.execute(f"SELECT source, data FROM knowledge_records WHERE type IN ({marks}) ORDER BY source, ordinal", RETRIEVAL_TYPES):
        by_source.setdefault(source, []).append(load_record(json.loads(data)))
    db.execute("DELETE FROM record_vectors")
    done = 0
    for source, records in by_source.items():
        pairs = units(records)
        replace(db, source, pairs, embedder.embed_batch([text for _, text in pairs]) if pairs else [], embedder.name)
        done += len(pairs)
    return done
