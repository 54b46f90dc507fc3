"""Index upkeep: statistics, JSON Lines export and import, and re-embedding with another embedder."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Callable

from coachgen.errors import InputError
from coachgen.fileio import atomic_writer
from coachgen.index.catalog import SCHEMA_VERSION, FileRow
from coachgen.ingest.documents import Chunk, Document
from coachgen.knowledge_base import KnowledgeBase, chunk_metadata
from coachgen.records import ACCOUNT_COLUMNS, DEAL_COLUMNS, REP_COLUMNS

__all__ = ["EXPORT_FORMAT", "export_jsonl", "import_jsonl", "index_stats", "reindex"]

EXPORT_FORMAT = "coachgen-kb"
_BATCH = 256


def document_from_row(row: dict[str, Any]) -> Document:
    """Rebuild a document (without its body) from a catalog row."""
    meta = json.loads(row["meta"]) if isinstance(row["meta"], str) else row["meta"]
    extra = {key: value for key, value in meta.items() if key not in Document.__dataclass_fields__ and key != "review_every_days"}
    as_date = lambda value: date.fromisoformat(value) if value else None  # noqa: E731
    return Document(
        key=row["key"], source=row["source"], kind=row["kind"], title=row["title"], body="",
        owner=meta.get("owner"), reviewed=as_date(row["reviewed"]), expires=as_date(row["expires"]),
        review_every_days=row["review_every_days"], tags=tuple(meta.get("tags", [])),
        stages=tuple(meta.get("stages", [])), personas=tuple(meta.get("personas", [])),
        skills=tuple(meta.get("skills", [])), deal_id=row["deal_id"], rep=row["rep"], extra=extra,
    )


def _as_list(vector: Any) -> list[float] | None:
    return None if vector is None else [float(value) for value in vector]


def index_stats(kb: KnowledgeBase) -> dict[str, Any]:
    """Counts and settings that describe the index."""
    counts = kb.catalog.counts()
    vectors = kb.vectors.count() if kb.catalog.get_meta("collection") else 0
    return {
        **counts,
        "vectors": vectors,
        "deals": kb.db.execute("SELECT count(*) FROM deals").fetchone()[0],
        "reps": kb.db.execute("SELECT count(*) FROM reps").fetchone()[0],
        "rubrics": kb.db.execute("SELECT count(*) FROM rubrics").fetchone()[0],
        "drill_attempts": kb.db.execute("SELECT count(*) FROM drill_attempts").fetchone()[0],
        "embedder": kb.catalog.get_meta("embedder"),
        "schema_version": SCHEMA_VERSION,
        "home": str(kb.settings.home),
        "vector_store": kb.settings.chroma_url or str(kb.settings.chroma_path),
    }


def export_jsonl(kb: KnowledgeBase, path: Path) -> dict[str, int]:
    """Write the whole index (with embeddings) and the records as JSON Lines, atomically, readable by the owner only (0600)."""
    files = kb.catalog.files()
    documents = [dict(row) for row in kb.catalog.documents()]
    chunks = list(kb.catalog.iter_chunks())
    vectors = kb.vectors.vectors([chunk.id for chunk in chunks]) if chunks else {}
    with atomic_writer(path, mode=0o600) as handle:
        write = lambda record: handle.write(json.dumps(record, ensure_ascii=False) + "\n")  # noqa: E731
        write({"type": "header", "format": EXPORT_FORMAT, "schema_version": SCHEMA_VERSION, "embedder": kb.catalog.get_meta("embedder")})
        for file in files:
            write({"type": "file", **file.__dict__})
        for document in documents:
            document.pop("chunk_count", None)
            write({"type": "document", **document, "meta": json.loads(document["meta"])})
        for chunk in chunks:
            write({"type": "chunk", "id": chunk.id, "doc_key": chunk.doc_key, "ordinal": chunk.ordinal, "section": chunk.section,
                "text": chunk.text, "embedding": _as_list(vectors.get(chunk.id))})
        for deal in kb.records.deals():
            write({"type": "deal", **deal})
        for rep in kb.records.reps():
            write({"type": "rep", **rep})
        for account in kb.records.accounts():
            write({"type": "account", **account})
        for rubric in kb.db.execute("SELECT * FROM rubrics ORDER BY id"):
            write({"type": "rubric", **dict(rubric)})
        for attempt in kb.records.attempts():
            write({"type": "attempt", **attempt})
    return {"files": len(files), "chunks": len(chunks)}


def _read_export(path: Path) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {"header": [], "file": [], "document": [], "chunk": [], "deal": [], "rep": [], "account": [], "rubric": [], "attempt": [], "knowledge": []}
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                groups[record["type"]].append(record)
            except (json.JSONDecodeError, KeyError, TypeError):
                raise InputError(f"{path}: line {number} is not a coachgen export record") from None
    header = groups["header"][0] if groups["header"] else {}
    if header.get("format") != EXPORT_FORMAT:
        raise InputError(f"{path}: not a coachgen export (no '{EXPORT_FORMAT}' header line)")
    if header.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"{path}: export schema {header.get('schema_version')} is not {SCHEMA_VERSION}; import it with the coachgen that wrote it")
    return groups


def import_jsonl(kb: KnowledgeBase, path: Path, on_wait: Callable[[str], None] | None = None) -> dict[str, int]:
    """Load an export into this home; files with the same source are replaced."""
    groups = _read_export(path)
    exported_by = groups["header"][0].get("embedder")
    documents = [document_from_row({**row, "meta": row["meta"]}) for row in groups["document"]]
    by_key = {document.key: document for document in documents}
    chunks = [Chunk(row["id"], row["doc_key"], row["ordinal"], row["section"], row["text"]) for row in groups["chunk"]]
    embeddings = {row["id"]: row.get("embedding") for row in groups["chunk"]}
    kb.forget_searches()
    with kb.write_lock(on_wait):
        embedder = kb.embedder
        reuse = exported_by == embedder.name
        embedded = 0
        for start in range(0, len(chunks), _BATCH):
            part = chunks[start:start + _BATCH]
            if reuse and all(embeddings.get(chunk.id) for chunk in part):
                vectors = [embeddings[chunk.id] for chunk in part]
            else:
                vectors = embedder.embed_batch([chunk.embedding_text() for chunk in part])
                embedded += len(part)
            kb.vectors.upsert([c.id for c in part], vectors, [chunk_metadata(by_key[c.doc_key]) for c in part])
        if kb.catalog.get_meta("embedder") is None:
            kb.catalog.set_meta("embedder", embedder.name)
            kb.catalog.set_meta("collection", kb.vectors.name)
        with kb.catalog.transaction():
            for file in groups["file"]:
                row = FileRow(**{key: file[key] for key in FileRow.__dataclass_fields__})
                docs = [document for document in documents if document.source == row.source]
                keys = {document.key for document in docs}
                kb.catalog.replace_file(row, docs, [chunk for chunk in chunks if chunk.doc_key in keys])
            kb.records.upsert_deals([{c: row.get(c) for c in DEAL_COLUMNS} for row in groups["deal"]], "import")
            kb.records.upsert_reps([{c: row.get(c) for c in REP_COLUMNS} for row in groups["rep"]], "import")
            kb.records.upsert_accounts([{c: row.get(c) for c in ACCOUNT_COLUMNS} for row in groups["account"]], "import")
            for rubric in groups["rubric"]:
                kb.records.save_rubric(rubric["id"], rubric["version"], rubric["sha256"], rubric["source"], rubric["data"])
            stored = {(a["rep"], a["created_at"], a["objection_key"]) for a in kb.records.attempts()}
            for attempt in groups["attempt"]:
                if (attempt["rep"], attempt["created_at"], attempt["objection_key"]) not in stored:
                    kb.records.add_attempt(attempt)
        kb._sweep()
    return {"files": len(groups["file"]), "chunks": len(chunks), "embedded": embedded}


def reindex(kb: KnowledgeBase, on_wait: Callable[[str], None] | None = None) -> int:
    """Re-embed every chunk into a new collection, then switch to it; the old one serves until then."""
    from coachgen.index.vectors import VectorStore

    kb.forget_searches()
    with kb.write_lock(on_wait):
        if kb._embedder is None:
            from coachgen.index.embeddings import make_embedder

            kb._embedder = make_embedder(kb.settings)
        embedder = kb._embedder
        current = kb.catalog.get_meta("collection")
        generation = int((current or "coachgen-chunks-0").rsplit("-", 1)[-1]) + 1
        target = VectorStore(kb.settings, f"coachgen-chunks-{generation}")
        documents = {row["key"]: document_from_row(dict(row)) for row in kb.catalog.documents()}
        chunks = list(kb.catalog.iter_chunks())
        for start in range(0, len(chunks), _BATCH):
            part = chunks[start:start + _BATCH]
            texts = [f"{chunk.section}\n{chunk.text}" for chunk in part]
            target.upsert([c.id for c in part], embedder.embed_batch(texts), [chunk_metadata(documents[c.doc_key]) for c in part])
        with kb.catalog.transaction():
            kb.catalog.set_meta("embedder", embedder.name)
            kb.catalog.set_meta("collection", target.name)
        kb._vectors = target
        if current:
            try:
                VectorStore(kb.settings, current).drop()
            except Exception:  # noqa: BLE001 - already gone; the catalog no longer points at it
                pass
    return len(chunks)
