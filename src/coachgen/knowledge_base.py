"""The knowledge base: ingest files into the catalog, the lexical index and the vector store.

Order of writes keeps the index whole through crashes: vectors are upserted
first (ids are content hashes, so a retry reuses them), then the catalog
changes in one transaction, then vectors no longer referenced are deleted. The
catalog decides what exists; stray vectors are swept at the end of each write.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterator

from coachgen.errors import (
    EmbedderMismatchError,
    IndexBusyError,
    InputError,
    NotFoundError,
)
from coachgen.fileio import expand_user
from coachgen.index import record_vectors
from coachgen.index.catalog import Catalog, FileRow, connect, utc_now
from coachgen.index.embeddings import Embedder, make_embedder
from coachgen.index.vectors import VectorStore
from coachgen.ingest.chunking import chunk_document
from coachgen.ingest.crm import CrmTable
from coachgen.ingest.documents import EMBEDDING_FORMAT, Chunk, Document
from coachgen.knowledge.miners import MINER_VERSION, mine_document
from coachgen.knowledge.records import KnowledgeRecord
from coachgen.knowledge.store import KnowledgeStore, attach_chunks, ensure_schema, replace_records
from coachgen.ingest.loader import (
    CrmOptions,
    LoadedFile,
    SourceFile,
    assign_sources,
    discover,
    load_file,
)
from coachgen.records import Records
from coachgen.settings import Settings

__all__ = ["RECORDS_ROOT", "IngestReport", "KnowledgeBase", "chunk_metadata"]

#: The root recorded for documents coachgen writes itself rather than reads from a file.
RECORDS_ROOT = "coachgen-records"

Progress = Callable[[str], None]
_LOADED: dict[str, tuple[str | None, int]] = {}  # chroma path -> (write generation its in-process client loaded, reload count)
_FLUSH_TEXTS = 256


@dataclass
class IngestReport:
    """What one ``kb ingest`` did."""

    files_ingested: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    chunks_added: int = 0
    chunks_unchanged: int = 0
    chunks_removed: int = 0
    chunks_embedded: int = 0
    deals: int = 0
    reps: int = 0
    accounts: int = 0
    products: int = 0
    rubrics: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # files left out on purpose (drafts, front matter only, YAML not ours)
    imports: list[dict[str, Any]] = field(default_factory=list)  # one summary per CRM export imported

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return dict(self.__dict__)


def chunk_metadata(document: Document) -> dict[str, Any]:
    """Chroma metadata of a document's chunks: scalar fields plus one boolean key per tag and stage."""
    meta: dict[str, Any] = {"doc_key": document.key, "source": document.source, "kind": document.kind}
    if document.deal_id:
        meta["deal_id"] = document.deal_id
    if document.rep:
        meta["rep"] = document.rep
    for tag in document.tags:
        meta[f"tag:{tag.lower()}"] = True
    for stage in document.stages:
        meta[f"stage:{stage.lower()}"] = True
    return meta


@dataclass
class _Pending:
    loaded: LoadedFile
    chunks: list[Chunk]
    metadata: dict[str, dict[str, Any]]
    old_ids: set[str]
    records: list[KnowledgeRecord] = field(default_factory=list)
    unit_vectors: list[list[float]] = field(default_factory=list)  # one per record_vectors.units(records)


class KnowledgeBase:
    """Catalog, lexical index, vector store and records under one ``COACHGEN_HOME``."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None, vectors: VectorStore | None = None) -> None:
        self.settings = settings
        self.db = connect(settings.db_path)
        self.catalog = Catalog(self.db)
        self.records = Records(self.db)
        ensure_schema(self.db)
        record_vectors.ensure_schema(self.db)
        self._knowledge: KnowledgeStore | None = None
        self._embedder = embedder
        self._vectors = vectors
        self._memo: dict[tuple[Any, ...], list[Any]] = {}
        self._epoch = _LOADED.get(str(settings.chroma_path), (None, 0))[1] if vectors is not None else -1

    def for_thread(self) -> "KnowledgeBase":
        """Another handle for a worker thread: its own SQLite connection, the same embedder, vector store and records read.

        Chroma clients must not be created concurrently, so the store is opened here, before threads start.
        """
        handle = KnowledgeBase(self.settings, embedder=self.embedder, vectors=self.vectors)
        handle._memo = self._memo
        handle._epoch = self._epoch
        handle._knowledge = self.knowledge.for_handle(handle)
        return handle

    # components ----------------------------------------------------------
    @property
    def knowledge(self) -> KnowledgeStore:
        """The typed records mined from the knowledge base (objections, questions, stages...)."""
        if self._knowledge is None:
            self._knowledge = KnowledgeStore(self)
        return self._knowledge

    @property
    def embedder(self) -> Embedder:
        """The configured embedder, loaded on first use and checked against the index."""
        if self._embedder is None:
            self._embedder = make_embedder(self.settings)
        recorded = self.catalog.get_meta("embedder")
        if recorded is not None and recorded != self._embedder.name:
            raise EmbedderMismatchError(
                f"the index was built with embedder '{recorded}' but '{self._embedder.name}' is configured; "
                "run 'coachgen kb reindex' to rebuild the vectors with it, or switch the setting back"
            )
        return self._embedder

    @property
    def vectors(self) -> VectorStore:
        """The Chroma collection the catalog points at, reopened when another process has written since."""
        if self.settings.chroma_url:
            if self._vectors is None:
                self._vectors = VectorStore(self.settings, self.catalog.get_meta("collection") or "coachgen-chunks-1")
            return self._vectors
        # A local chromadb client keeps, per process, what it loaded from disk. When another process has
        # written since (the catalog's write generation moved), load a fresh one; every handle of this
        # process then moves to it on its next use.
        path = str(self.settings.chroma_path)
        generation = self.catalog.get_meta("write_generation")
        loaded, epoch = _LOADED.get(path, (generation, 0))
        fresh = loaded != generation
        if fresh:
            epoch += 1
        if self._vectors is None or fresh or self._epoch != epoch:
            name = self._vectors.name if self._vectors is not None else self.catalog.get_meta("collection") or "coachgen-chunks-1"
            self._vectors = VectorStore(self.settings, name, fresh=fresh)
            self._epoch = epoch
            self.forget_searches()
        _LOADED[path] = (generation, epoch)
        return self._vectors

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    @contextmanager
    def write_lock(self, on_wait: Progress | None = None) -> Iterator[None]:
        """Hold the index's exclusive write lock (chromadb is not process-safe)."""
        from filelock import FileLock, Timeout

        self.settings.home.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.settings.lock_path))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if on_wait:
                on_wait(f"index busy: waiting up to {self.settings.lock_timeout:g}s for another coachgen writer")
            try:
                lock.acquire(timeout=self.settings.lock_timeout)
            except Timeout:
                raise IndexBusyError(
                    f"index busy: another coachgen process is writing to {self.settings.home}; try again when it finishes"
                ) from None
        try:
            yield
        finally:
            try:
                generation = uuid.uuid4().hex  # readers in other processes see it change and reload the vectors
                self.catalog.set_meta("write_generation", generation)
                path = str(self.settings.chroma_path)
                _LOADED[path] = (generation, _LOADED.get(path, (None, self._epoch))[1])  # this process wrote it: current
            finally:
                lock.release()

    # ingest --------------------------------------------------------------
    def ingest(
        self,
        paths: list[Path],
        prune: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
        on_wait: Progress | None = None,
        crm: CrmOptions | None = None,
        follow_symlinks: bool = False,
        on_embed: Callable[[int, int], None] | None = None,
    ) -> IngestReport:
        """Index the knowledge files and CRM exports under ``paths``; see :class:`IngestReport`.

        Links out of a folder are left out (a note) unless ``follow_symlinks``. ``on_embed(done, total)``
        follows the embedding of new chunks, batch by batch.
        """
        report = IngestReport()
        files, report.errors = discover(paths, follow_symlinks, report.notes)
        files = assign_sources(files, [(row.source, row.path, row.root) for row in self.catalog.files()])
        expanded = [expand_user(path) for path in paths]
        roots = {path.resolve() for path in expanded if path.is_dir()}
        self.forget_searches()
        with self.write_lock(on_wait):
            pending: list[_Pending] = []
            for number, file in enumerate(files, 1):
                if progress:
                    progress(file.source, number, len(files))
                item = self._prepare(file, report, crm)
                if item is not None:
                    pending.append(item)
                if sum(len(p.chunks) for p in pending) >= _FLUSH_TEXTS:
                    self._flush(pending, report, on_embed)
                    pending = []
            self._flush(pending, report, on_embed)
            if prune:
                seen = {file.source for file in files}
                for row in self.catalog.files():
                    if Path(row.root) in roots and row.source not in seen:
                        report.chunks_removed += self._remove(row.source)
                        report.files_removed += 1
            self._sweep()
            self.catalog.set_meta("miner_version", MINER_VERSION)
        return report

    def _prepare(self, file: SourceFile, report: IngestReport, crm: CrmOptions | None) -> _Pending | None:
        try:
            crm_file = file.path.suffix.lower() in (".csv", ".json")
            limit = self.settings.max_crm_bytes if crm_file else self.settings.max_file_bytes
            loaded = load_file(file, limit, crm, currency=self.settings.currency, setting="COACHGEN_MAX_CRM_BYTES" if crm_file else None)
        except InputError as exc:
            report.errors.append(str(exc))
            return None
        report.warnings.extend(loaded.warnings)
        known = self.catalog.file(file.source)
        if loaded.skipped:  # a note, and the file leaves the index if it was in it
            report.notes.append(loaded.skipped)
            if known is not None:
                report.chunks_removed += self._remove(file.source)
                report.files_removed += 1
            return None
        if known is not None and known.sha256 == loaded.sha256 and self.catalog.get_meta("miner_version") == MINER_VERSION:
            self.catalog.touch_file(FileRow(file.source, str(file.path), str(file.root), loaded.sha256, known.ingested_at))
            report.files_unchanged += 1
            report.chunks_unchanged += len(self.catalog.chunk_ids_of(file.source))
            return None
        pending = self._pending(loaded)
        if not pending.chunks and loaded.crm is None and loaded.rubric is None:
            report.errors.append(f"{file.source}: no text to index (every section is empty)")
            return None
        return pending

    def _pending(self, loaded: LoadedFile) -> _Pending:
        chunks: list[Chunk] = []
        metadata: dict[str, dict[str, Any]] = {}
        records: list[KnowledgeRecord] = []
        for document in loaded.documents:
            meta = chunk_metadata(document)
            for chunk in chunk_document(document, self.settings.chunk_chars):
                chunks.append(chunk)
                metadata[chunk.id] = meta
            records.extend(mine_document(document))
        attach_chunks(records, chunks)
        return _Pending(loaded, chunks, metadata, self.catalog.chunk_ids_of(loaded.file.source), records)

    def index_documents(self, source: str, documents: list[Document], on_wait: Progress | None = None) -> IngestReport:
        """Index documents coachgen writes itself (deal logs), under ``source`` as if it were a file."""
        digest = hashlib.sha256("\x00".join(f"{d.key}\x00{d.body}" for d in documents).encode()).hexdigest()
        loaded = LoadedFile(SourceFile(Path(source), Path(RECORDS_ROOT), source), digest, list(documents))
        report = IngestReport()
        self.forget_searches()
        with self.write_lock(on_wait):
            self._flush([self._pending(loaded)], report)
            self._sweep()
        return report

    def _flush(self, pending: list[_Pending], report: IngestReport, on_embed: Callable[[int, int], None] | None = None) -> None:
        if not pending:
            return
        # one vector per id: two files may carry the same document (a deal in two exports)
        fresh = list({chunk.id: chunk for item in pending for chunk in item.chunks if chunk.id not in item.old_ids}.values())
        if fresh:
            metadata = {chunk_id: meta for item in pending for chunk_id, meta in item.metadata.items()}
            embedder = self._embed(fresh, metadata, report, on_embed)
            if self.catalog.get_meta("embedder") is None:
                self.catalog.set_meta("embedder", embedder.name)
                self.catalog.set_meta("embedding_format", str(EMBEDDING_FORMAT))
                self.catalog.set_meta("collection", self.vectors.name)
        self._embed_records(pending)
        for item in pending:
            self._commit(item, report)

    def _embed_records(self, pending: list[_Pending]) -> None:
        """Embed the records that get a vector of their own (:mod:`coachgen.index.record_vectors`), in one batch."""
        texts = [text for item in pending for _, text in record_vectors.units(item.records)]
        if not texts:
            return
        vectors = iter(self.embedder.embed_batch(texts))
        for item in pending:
            item.unit_vectors = [next(vectors) for _ in record_vectors.units(item.records)]

    def _embed(self, fresh: list[Chunk], metadata: dict[str, dict[str, Any]], report: IngestReport,
               on_embed: Callable[[int, int], None] | None) -> Embedder:
        """Embed and store the vectors of chunks the store does not hold yet, shortest texts first (the least padding).

        The first batch is embedded in a worker while the vector store opens: its start-up is seconds of
        Python imports and the model runs outside the GIL, so the two overlap. Should the store already
        hold some of that batch (after a crash), their vectors are dropped: one batch at most is wasted.
        """
        from concurrent.futures import ThreadPoolExecutor

        embedder = self.embedder
        texts = {chunk.id: chunk.embedding_text() for chunk in fresh}
        ordered = sorted(fresh, key=lambda chunk: len(texts[chunk.id]))
        size = self.settings.embed_batch_size
        if on_embed:
            on_embed(0, len(ordered))
        with ThreadPoolExecutor(1) as worker:
            ahead = worker.submit(embedder.embed_batch, [texts[chunk.id] for chunk in ordered[:size]])
            already = self.vectors.existing(list(texts))
            first = [(chunk, vector) for chunk, vector in zip(ordered[:size], ahead.result()) if chunk.id not in already]
        rest = [chunk for chunk in ordered[size:] if chunk.id not in already]
        total, done = len(first) + len(rest), 0
        batches = [([chunk for chunk, _ in first], [vector for _, vector in first])] if first else []
        for start in range(0, len(rest), size):
            batches.append((rest[start:start + size], []))
        for part, vectors in batches:
            vectors = vectors or embedder.embed_batch([texts[chunk.id] for chunk in part])
            self.vectors.upsert([chunk.id for chunk in part], vectors, [metadata[chunk.id] for chunk in part])
            done += len(part)
            report.chunks_embedded += len(part)
            if on_embed:
                on_embed(done, total)
        return embedder

    def _commit(self, item: _Pending, report: IngestReport) -> None:
        file = item.loaded.file
        row = FileRow(file.source, str(file.path), str(file.root), item.loaded.sha256, utc_now())
        new_ids = {chunk.id for chunk in item.chunks}
        with self.catalog.transaction():
            self.catalog.replace_file(row, item.loaded.documents, item.chunks)
            replace_records(self.db, file.source, item.records)
            record_vectors.replace(self.db, file.source, record_vectors.units(item.records), item.unit_vectors, self.embedder.name if item.unit_vectors else "")
            if item.loaded.crm is not None:
                report.imports.append(self._import_table(item.loaded.crm, file.source, report, item.loaded.replace_deals))
            self.records.forget_rubrics(file.source)
            rubric = item.loaded.rubric
            if rubric is not None:
                self.records.save_rubric(rubric.id, rubric.version, rubric.sha256, file.source, rubric.model_dump_json())
                report.rubrics += 1
        removed = item.old_ids - new_ids
        if removed:  # opening the vector store costs seconds; a records-only import never needs it
            self.vectors.delete(sorted(removed))
        report.files_ingested += 1
        report.chunks_added += len(new_ids - item.old_ids)
        report.chunks_unchanged += len(new_ids & item.old_ids)
        report.chunks_removed += len(removed)

    def _import_table(self, table: CrmTable, source: str, report: IngestReport, replace: bool = False) -> dict[str, Any]:
        """Upsert a CRM table's rows (inside the file's transaction); deals its export no longer holds are marked missing,
        and with ``replace`` every open deal it does not hold is closed."""
        upsert = {"deals": self.records.upsert_deals, "reps": self.records.upsert_reps, "accounts": self.records.upsert_accounts,
                  "products": self.records.upsert_products}[table.kind]
        counts = upsert(table.rows, source)
        present = {row["id"] for row in table.rows} if table.kind == "deals" else set()
        missing = self.records.mark_missing(source, present, date.today()) if table.kind == "deals" else []
        closed: list[str] = []
        notes = list(table.notes)
        if table.kind == "deals" and replace and table.skipped:  # a skipped row may be a deal that is still open
            notes.append(f"--replace closed no deals: {len(table.skipped)} rows were skipped; fix them, then import again")
        elif table.kind == "deals" and replace:
            closed = self.records.close_missing(present, date.today())
        setattr(report, table.kind, getattr(report, table.kind) + len(table.rows))
        return {"source": source, "kind": table.kind, "rows": len(table.rows), "added": counts.added, "updated": counts.updated,
                "unchanged": counts.unchanged, "skipped": len(table.skipped), "problems": table.problems(), "notes": notes,
                "missing": missing, "closed": closed, "currency": table.currency}

    def _sweep(self) -> None:
        """Delete vectors that no catalog chunk refers to (left by a crash between writes)."""
        if self.catalog.get_meta("collection") is None:
            return
        stray = self.vectors.all_ids() - self.catalog.all_chunk_ids()
        self.vectors.delete(sorted(stray))

    # removal -------------------------------------------------------------
    def _remove(self, source: str) -> int:
        ids = self.catalog.remove_file(source)
        replace_records(self.db, source, [])
        record_vectors.replace(self.db, source, [], [], "")
        self.records.forget_rubrics(source)
        if ids:
            self.vectors.delete(sorted(ids))
        return len(ids)

    def indexed_files(self) -> list[FileRow]:
        """The files read from the team's folders (not the documents coachgen writes itself), by source."""
        return [row for row in self.catalog.files() if row.root != RECORDS_ROOT]

    def resolve_source(self, source: str) -> str:
        """The indexed source matching a relative source or a file path."""
        if self.catalog.file(source) is not None:
            return source
        candidate = str(expand_user(source).resolve())
        for row in self.catalog.files():
            if row.path == candidate:
                return row.source
        raise NotFoundError(f"'{source}' is not in the index; 'coachgen kb list' shows what is")

    def remove(self, source: str, on_wait: Progress | None = None) -> int:
        """Drop one source file from the index; returns how many chunks went."""
        self.forget_searches()
        with self.write_lock(on_wait):
            return self._remove(self.resolve_source(source))

    # queries -------------------------------------------------------------
    def search(self, query: str, **options: Any) -> list[Any]:
        """Hybrid search; options as for :func:`coachgen.retrieval.search`."""
        from coachgen.retrieval import search

        return search(self, query, **options)

    def forget_searches(self) -> None:
        """Drop remembered searches and records (every write through this handle does)."""
        self._memo.clear()
        self._knowledge = None

    def search_memo(self, query: str, **options: Any) -> list[Any]:
        """:meth:`search`, remembered for this handle's lifetime: for the fixed lookups artifacts repeat
        for every deal (gap questions, stage criteria, content worth sending). Writes through this handle forget."""
        key = (query, *sorted(options.items()))
        if key not in self._memo:
            self._memo[key] = self.search(query, **options)
        return self._memo[key]

    def chunk(self, chunk_id: str) -> Any:
        """One chunk by id (a unique prefix of at least 6 characters also works)."""
        rows = self.catalog.chunks_by_id([chunk_id])
        if rows:
            return rows[chunk_id]
        if len(chunk_id) >= 6 and re.fullmatch(r"[0-9a-f]+", chunk_id):
            matches = [row["id"] for row in self.db.execute("SELECT id FROM chunks WHERE id LIKE ? LIMIT 2", (chunk_id + "%",))]
            if len(matches) == 1:
                return self.catalog.chunks_by_id(matches)[matches[0]]
        raise NotFoundError(f"no chunk with id '{chunk_id}'; ids are shown by 'coachgen kb search'")

