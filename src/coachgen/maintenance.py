"""Index upkeep: statistics, JSON Lines export and import, and re-embedding with another embedder."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any, Callable

from coachgen.errors import InputError
from coachgen.fileio import atomic_writer, check_output
from coachgen.index import record_vectors
from coachgen.index.catalog import SCHEMA_VERSION, FileRow
from coachgen.ingest.documents import EMBEDDING_FORMAT, Chunk, Document, embedding_text
from coachgen.knowledge_base import KnowledgeBase, chunk_metadata
from coachgen.records import ACCOUNT_COLUMNS, ATTEMPT_COLUMNS, DEAL_COLUMNS, PRODUCT_COLUMNS, REP_COLUMNS

__all__ = ["EXPORT_FORMAT", "export_jsonl", "import_jsonl", "index_stats", "reindex"]

EXPORT_FORMAT = "coachgen-kb"
#: Version of the manifest an export ends with; exports without one predate it.
MANIFEST_VERSION = 1
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
        "accounts": kb.db.execute("SELECT count(*) FROM accounts").fetchone()[0],
        "products": kb.db.execute("SELECT count(*) FROM products").fetchone()[0],
        "rubrics": kb.db.execute("SELECT count(*) FROM rubrics").fetchone()[0],
        "knowledge_records": kb.knowledge.counts(),
        "drill_attempts": kb.db.execute("SELECT count(*) FROM drill_attempts").fetchone()[0],
        "embedder": kb.catalog.get_meta("embedder"),
        "embedding_format": _embedding_format(kb),
        "schema_version": SCHEMA_VERSION,
        "home": str(kb.settings.home),
        "vector_store": kb.settings.chroma_url or str(kb.settings.chroma_path),
    }


def _embedding_format(kb: KnowledgeBase) -> int | None:
    """How the index's vectors were embedded (1 for an index built before formats were recorded; None when empty)."""
    if kb.catalog.get_meta("embedder") is None:
        return None
    return int(kb.catalog.get_meta("embedding_format") or 1)


def export_jsonl(kb: KnowledgeBase, path: Path) -> dict[str, int]:
    """Write the whole index (with embeddings) and the records as JSON Lines, atomically, readable by the owner only (0600).

    The last line is a manifest: the count of records of each type and the sha256 of every byte before it,
    so that :func:`import_jsonl` refuses a backup that was cut short or changed.
    """
    check_output(path, "kb export")
    files = kb.catalog.files()
    documents = [dict(row) for row in kb.catalog.documents()]
    chunks = list(kb.catalog.iter_chunks())
    vectors = kb.vectors.vectors([chunk.id for chunk in chunks]) if chunks else {}
    counts: Counter[str] = Counter()
    digest = hashlib.sha256()
    with atomic_writer(path, mode=0o600) as handle:
        def write(record: dict[str, Any]) -> None:
            line = json.dumps(record, ensure_ascii=False) + "\n"
            digest.update(line.encode("utf-8"))
            counts[record["type"]] += 1
            handle.write(line)

        write({"type": "header", "format": EXPORT_FORMAT, "schema_version": SCHEMA_VERSION, "embedder": kb.catalog.get_meta("embedder"),
               "embedding_format": _embedding_format(kb), "manifest": MANIFEST_VERSION})
        for file in files:
            write({"type": "file", **file.__dict__})
        for document in documents:
            document.pop("chunk_count", None)
            write({"type": "document", **document, "meta": json.loads(document["meta"])})
        for chunk in chunks:
            write({"type": "chunk", "id": chunk.id, "doc_key": chunk.doc_key, "ordinal": chunk.ordinal, "section": chunk.section,
                "text": chunk.text, "embedding": _as_list(vectors.get(chunk.id))})
        for deal in kb.records.deals(raw=True):
            write({"type": "deal", **deal})
        for rep in kb.records.reps(raw=True):
            write({"type": "rep", **rep})
        for account in kb.records.accounts(raw=True):
            write({"type": "account", **account})
        for product in kb.records.products(raw=True):
            write({"type": "product", **product})
        for rubric in kb.db.execute("SELECT * FROM rubrics ORDER BY id"):
            write({"type": "rubric", **dict(rubric)})
        for attempt in kb.records.attempts():
            write({"type": "attempt", **attempt})
        for row in kb.db.execute("SELECT source, doc_key, ordinal, type, data FROM knowledge_records ORDER BY source, ordinal"):
            write({"type": "knowledge", "source": row["source"], "doc_key": row["doc_key"], "ordinal": row["ordinal"],
                   "record_type": row["type"], "data": row["data"]})
        handle.write(json.dumps({"type": "manifest", "counts": dict(sorted(counts.items())), "sha256": digest.hexdigest()}) + "\n")
    return {"files": len(files), "chunks": len(chunks)}


def _read_export(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every record of an export by type, checked against its manifest; ``InputError`` (one line) before any write."""
    groups: dict[str, list[dict[str, Any]]] = {"header": [], "file": [], "document": [], "chunk": [], "deal": [], "rep": [], "account": [], "product": [], "rubric": [], "attempt": [], "knowledge": []}
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    digest = hashlib.sha256()
    manifest: dict[str, Any] | None = None
    with handle:
        for number, raw in enumerate(handle, 1):
            if manifest is not None:
                if raw.strip():
                    raise InputError(f"{path}: line {number} comes after the manifest: the file was changed after export; nothing imported")
                continue
            try:
                record = json.loads(raw.decode("utf-8")) if raw.strip() else None
                if record is not None and record["type"] == "manifest":
                    manifest = record
                    continue
                if record is not None:
                    groups[record["type"]].append(record)
            except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
                raise InputError(f"{path}: line {number} is not a coachgen export record") from None
            digest.update(raw)
    header = groups["header"][0] if groups["header"] else {}
    if header.get("format") != EXPORT_FORMAT:
        raise InputError(f"{path}: not a coachgen export (no '{EXPORT_FORMAT}' header line)")
    if header.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"{path}: export schema {header.get('schema_version')} is not {SCHEMA_VERSION}; import it with the coachgen that wrote it")
    if header.get("manifest") is not None:
        _check_manifest(path, manifest, groups, digest.hexdigest())
    return groups


def _check_manifest(path: Path, manifest: dict[str, Any] | None, groups: dict[str, list[dict[str, Any]]], sha256: str) -> None:
    if manifest is None:
        raise InputError(f"{path}: the backup ends before its manifest: it was cut short; nothing imported")
    counts = {kind: len(records) for kind, records in groups.items() if records}
    expected = manifest.get("counts")
    if counts != expected:
        wrong = next((kind for kind in sorted(set(counts) | set(expected or {})) if counts.get(kind, 0) != (expected or {}).get(kind, 0)), "?")
        raise InputError(f"{path}: does not match its manifest ({counts.get(wrong, 0)} {wrong} records, the manifest says "
                         f"{(expected or {}).get(wrong, 0)}); nothing imported")
    if manifest.get("sha256") != sha256:
        raise InputError(f"{path}: does not match its manifest (sha256 differs): the file was changed after export; nothing imported")


_SCALAR = (str, int, float, bool, type(None))
#: Fields each record type must have, with the types they may take (a backup written by hand or by an older version).
_SHAPES: dict[str, dict[str, tuple[type, ...]]] = {
    "file": {"source": (str,), "path": (str,), "root": (str,), "sha256": (str,), "ingested_at": (str,)},
    "document": {"key": (str,), "source": (str,), "kind": (str,), "title": (str,), "meta": (str, dict), "reviewed": (str, type(None)),
                 "expires": (str, type(None)), "review_every_days": (int, type(None)), "deal_id": (str, type(None)), "rep": (str, type(None))},
    "chunk": {"id": (str,), "doc_key": (str,), "ordinal": (int,), "section": (str,), "text": (str,), "embedding": (list, type(None))},
    "deal": {"id": (str,), **{column: _SCALAR for column in DEAL_COLUMNS if column != "id"}},
    "rep": {"rep": (str,), **{column: _SCALAR for column in REP_COLUMNS if column != "rep"}},
    "account": {"account": (str,), **{column: _SCALAR for column in ACCOUNT_COLUMNS if column != "account"}},
    "product": {"product": (str,), **{column: _SCALAR for column in PRODUCT_COLUMNS if column != "product"}},
    "rubric": {"id": (str,), "version": (str,), "sha256": (str,), "source": (str,), "data": (str,)},
    "attempt": {column: _SCALAR for column in ATTEMPT_COLUMNS},
    "knowledge": {"source": (str,), "ordinal": (int,), "data": (str,)},
}
_OPTIONAL = ({column for columns in (DEAL_COLUMNS, REP_COLUMNS, ACCOUNT_COLUMNS, PRODUCT_COLUMNS) for column in columns}
             - {"id", "rep", "account"} | {"embedding"})
#: The key of a record type whose key is an optional column of another type (a deal may name no product).
_KEYED = {"product": "product"}


def _check_records(path: Path, groups: dict[str, list[dict[str, Any]]]) -> None:
    """Refuse (one line, before any write) a record without a field the import needs, or with a value of the wrong type."""
    from coachgen.knowledge.records import load_record
    from coachgen.rubric import Rubric

    def refuse(kind: str, number: int, why: str) -> None:
        raise InputError(f"{path}: {kind} record {number} {why}: not a coachgen export; nothing imported")

    for kind, fields in _SHAPES.items():
        for number, record in enumerate(groups[kind], 1):
            for name, types in fields.items():
                if name not in record and (name not in _OPTIONAL or _KEYED.get(kind) == name):
                    refuse(kind, number, f"has no '{name}'")
                if name in record and (not isinstance(record[name], types) or isinstance(record[name], bool) and bool not in types):
                    refuse(kind, number, f"has a wrong '{name}'")
    keys = {row["key"] for row in groups["document"]}
    dims = {len(row["embedding"]) for row in groups["chunk"] if row.get("embedding")}
    for number, row in enumerate(groups["document"], 1):
        try:
            meta = json.loads(row["meta"]) if isinstance(row["meta"], str) else row["meta"]
            if not isinstance(meta, dict):
                raise ValueError
            chunk_metadata(document_from_row(row))
        except (ValueError, TypeError, AttributeError, RecursionError):
            refuse("document", number, "has a wrong 'meta' or date")
    for number, row in enumerate(groups["chunk"], 1):
        if row["doc_key"] not in keys:
            refuse("chunk", number, "belongs to no document")
        if row.get("embedding") and (len(dims) > 1 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in row["embedding"])):
            refuse("chunk", number, "has a wrong 'embedding'")
    for number, row in enumerate(groups["knowledge"], 1):
        try:
            load_record(json.loads(row["data"]))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):  # pydantic's ValidationError is a ValueError
            refuse("knowledge", number, "has a wrong 'data'")
    for number, row in enumerate(groups["rubric"], 1):
        try:
            Rubric.model_validate_json(row["data"])
        except ValueError:
            refuse("rubric", number, "has a wrong 'data'")


def import_jsonl(kb: KnowledgeBase, path: Path, on_wait: Callable[[str], None] | None = None) -> dict[str, int]:
    """Load an export into this home; files with the same source are replaced.

    An export that does not match its manifest is refused before anything changes; ``verified`` is 0 for an
    export written before manifests existed (its completeness cannot be checked).
    """
    groups = _read_export(path)
    _check_records(path, groups)
    exported_by = groups["header"][0].get("embedder")
    exported_format = groups["header"][0].get("embedding_format") or 1
    documents = [document_from_row({**row, "meta": row["meta"]}) for row in groups["document"]]
    by_key = {document.key: document for document in documents}
    chunks = [Chunk(row["id"], row["doc_key"], row["ordinal"], row["section"], row["text"]) for row in groups["chunk"]]
    embeddings = {row["id"]: row.get("embedding") for row in groups["chunk"]}
    kb.forget_searches()
    with kb.write_lock(on_wait):
        embedder = kb.embedder
        reuse = exported_by == embedder.name and exported_format == EMBEDDING_FORMAT
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
            kb.catalog.set_meta("embedding_format", str(EMBEDDING_FORMAT))
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
            kb.records.upsert_products([{c: row.get(c) for c in PRODUCT_COLUMNS} for row in groups["product"]], "import")
            for rubric in groups["rubric"]:
                kb.records.save_rubric(rubric["id"], rubric["version"], rubric["sha256"], rubric["source"], rubric["data"])
            from coachgen.knowledge.records import load_record
            from coachgen.knowledge.store import replace_records

            for file in groups["file"]:
                rows = sorted((r for r in groups["knowledge"] if r["source"] == file["source"]), key=lambda r: r["ordinal"])
                replace_records(kb.db, file["source"], [load_record(json.loads(r["data"])) for r in rows])
            record_vectors.reembed_stored(kb.db, embedder)
            stored = {(a["rep"], a["created_at"], a["objection_key"]) for a in kb.records.attempts()}
            for attempt in groups["attempt"]:
                if (attempt["rep"], attempt["created_at"], attempt["objection_key"]) not in stored:
                    kb.records.add_attempt(attempt)
        kb._sweep()
    return {"files": len(groups["file"]), "chunks": len(chunks), "embedded": embedded,
            "verified": int(groups["header"][0].get("manifest") is not None)}


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
            texts = [embedding_text(chunk.section, chunk.text) for chunk in part]
            target.upsert([c.id for c in part], embedder.embed_batch(texts), [chunk_metadata(documents[c.doc_key]) for c in part])
        with kb.catalog.transaction():
            record_vectors.reembed_stored(kb.db, embedder)
            kb.catalog.set_meta("embedder", embedder.name)
            kb.catalog.set_meta("embedding_format", str(EMBEDDING_FORMAT))
            kb.catalog.set_meta("collection", target.name)
        kb._vectors = target
        if current:
            try:
                VectorStore(kb.settings, current).drop()
            except Exception:  # noqa: BLE001 - already gone; the catalog no longer points at it
                pass
    return len(chunks)
