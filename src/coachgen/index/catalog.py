"""The SQLite catalog: which files, documents and chunks the index holds, plus an FTS5 lexical index.

The catalog is the source of truth. A file's documents, chunks and lexical
entries change in one transaction, so a file is never half-indexed; vectors in
Chroma whose ids the catalog does not hold are ignored and swept away.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from coachgen.errors import ConfigError, IndexBusyError, SchemaVersionError
from coachgen.ingest.documents import Chunk, Document

__all__ = ["SCHEMA_VERSION", "Catalog", "ChunkRow", "FileRow", "Scope", "connect"]

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, path TEXT NOT NULL, root TEXT NOT NULL,
    sha256 TEXT NOT NULL, ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    key TEXT PRIMARY KEY, source TEXT NOT NULL REFERENCES files(source) ON DELETE CASCADE,
    kind TEXT NOT NULL, title TEXT NOT NULL, reviewed TEXT, expires TEXT, review_every_days INTEGER,
    deal_id TEXT, rep TEXT, meta TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    doc_key TEXT NOT NULL REFERENCES documents(key) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL, section TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_key);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    title, section, text, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS documents_fts USING fts5(
    title, headings, body, tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


def connect(path: Path) -> sqlite3.Connection:
    """Open the coachgen database with the pragmas every caller needs."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)  # one thread at a time
        connection.execute("PRAGMA schema_version").fetchone()  # opening is lazy: fail here, not in the first query
    except (OSError, sqlite3.OperationalError) as exc:
        if isinstance(exc, sqlite3.OperationalError) and "unable to open" not in str(exc):
            raise
        raise ConfigError(f"{path}: cannot open the database ({getattr(exc, 'strerror', None) or exc}); "
                          "check that COACHGEN_HOME is a folder you may write in") from None
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA busy_timeout=30000")
    connection.execute("PRAGMA foreign_keys=ON")
    # Switching to WAL needs an exclusive lock and SQLite answers "locked" at once, without the
    # busy handler, while another process opens the same new database: retry for a while.
    deadline = time.monotonic() + 30
    while True:
        try:
            if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                connection.execute("PRAGMA journal_mode=WAL")
            return connection
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                connection.close()
                raise IndexBusyError(f"{path}: the database stayed locked by another process; try again") from None
            time.sleep(0.05)


@dataclass(frozen=True)
class FileRow:
    """A file the index holds."""

    source: str
    path: str
    root: str
    sha256: str
    ingested_at: str


@dataclass(frozen=True)
class ChunkRow:
    """A chunk with its document's fields, as retrieval and the CLI show it."""

    rowid: int
    id: str
    doc_key: str
    ordinal: int
    source: str
    section: str
    text: str
    kind: str
    title: str
    reviewed: date | None
    expires: date | None
    review_every_days: int | None
    meta: dict[str, Any]


_CHUNK_SELECT = """
SELECT c.rowid, c.id, c.doc_key, c.ordinal, d.source, c.section, c.text, d.kind, d.title,
       d.reviewed, d.expires, d.review_every_days, d.meta
FROM chunks c JOIN documents d ON d.key = c.doc_key
"""


def _chunk_row(row: sqlite3.Row) -> ChunkRow:
    return ChunkRow(
        rowid=row["rowid"], id=row["id"], doc_key=row["doc_key"], ordinal=row["ordinal"], source=row["source"],
        section=row["section"], text=row["text"], kind=row["kind"], title=row["title"],
        reviewed=date.fromisoformat(row["reviewed"]) if row["reviewed"] else None,
        expires=date.fromisoformat(row["expires"]) if row["expires"] else None,
        review_every_days=row["review_every_days"], meta=json.loads(row["meta"]),
    )


@dataclass(frozen=True)
class Scope:
    """The documents a lexical query may return: any of the kinds, tags, stages, deal ids and reps given
    (kinds, tags and stages ignore case), and with ``live_on`` only those not expired on that day."""

    kind: tuple[str, ...] = ()
    tag: tuple[str, ...] = ()
    stage: tuple[str, ...] = ()
    deal: tuple[str, ...] = ()
    rep: tuple[str, ...] = ()
    live_on: date | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """A condition on ``documents d`` ("1" when nothing is restricted) and its arguments."""
        clauses: list[str] = []
        args: list[Any] = []

        def any_of(template: str, values: Iterable[str]) -> None:
            values = list(values)
            if values:
                clauses.append(template.format(marks=",".join("?" * len(values))))
                args.extend(values)

        any_of("lower(d.kind) IN ({marks})", (value.lower() for value in self.kind))
        for field, values in (("tags", self.tag), ("stages", self.stage)):
            any_of(f"EXISTS (SELECT 1 FROM json_each(d.meta, '$.{field}') WHERE lower(value) IN ({{marks}}))",
                   (value.lower() for value in values))
        any_of("d.deal_id IN ({marks})", self.deal)
        any_of("d.rep IN ({marks})", self.rep)
        if self.live_on is not None:
            clauses.append("(d.expires IS NULL OR d.expires >= ?)")
            args.append(self.live_on.isoformat())
        return " AND ".join(clauses) or "1", args


class Catalog:
    """Files, documents, chunks and the lexical index in one SQLite database."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection
        self.db.executescript(_SCHEMA)
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(version) != SCHEMA_VERSION:
            raise SchemaVersionError(
                f"the index was written with storage schema {version}, this coachgen uses {SCHEMA_VERSION}; "
                "run 'coachgen kb export' with the other version, then 'coachgen kb import' into an empty COACHGEN_HOME"
            )

    # meta ----------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        """A value from the meta table, or None."""
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Store a value in the meta table."""
        self.db.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    # files ---------------------------------------------------------------
    def file(self, source: str) -> FileRow | None:
        """The indexed file with this source path, or None."""
        row = self.db.execute("SELECT * FROM files WHERE source = ?", (source,)).fetchone()
        return FileRow(**dict(row)) if row else None

    def files(self) -> list[FileRow]:
        """Every indexed file, by source."""
        return [FileRow(**dict(row)) for row in self.db.execute("SELECT * FROM files ORDER BY source")]

    def chunk_ids_of(self, source: str) -> set[str]:
        """Ids of the chunks a file contributes."""
        rows = self.db.execute(
            "SELECT c.id FROM chunks c JOIN documents d ON d.key = c.doc_key WHERE d.source = ?", (source,)
        )
        return {row["id"] for row in rows}

    def all_chunk_ids(self) -> set[str]:
        """Ids of every chunk in the catalog."""
        return {row["id"] for row in self.db.execute("SELECT id FROM chunks")}

    def _delete_documents(self, where: str, args: tuple[Any, ...]) -> None:
        self.db.execute(
            f"DELETE FROM chunks_fts WHERE rowid IN (SELECT c.rowid FROM chunks c JOIN documents d ON d.key = c.doc_key WHERE {where})",
            args,
        )
        self.db.execute(f"DELETE FROM documents_fts WHERE rowid IN (SELECT d.rowid FROM documents d WHERE {where})", args)
        self.db.execute(f"DELETE FROM chunks WHERE doc_key IN (SELECT key FROM documents d WHERE {where})", args)
        self.db.execute(f"DELETE FROM documents WHERE key IN (SELECT key FROM documents d WHERE {where})", args)

    def replace_file(self, file: FileRow, documents: list[Document], chunks: list[Chunk]) -> None:
        """Swap a file's documents and chunks for new ones in one transaction."""
        with self.transaction():
            self._delete_documents("d.source = ?", (file.source,))
            keys = [document.key for document in documents]
            for start in range(0, len(keys), 500):
                part = keys[start:start + 500]
                self._delete_documents(f"d.key IN ({','.join('?' * len(part))})", tuple(part))
            self.db.execute(
                "INSERT INTO files(source, path, root, sha256, ingested_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(source) DO UPDATE SET path=excluded.path, root=excluded.root, "
                "sha256=excluded.sha256, ingested_at=excluded.ingested_at",
                (file.source, file.path, file.root, file.sha256, file.ingested_at),
            )
            by_key = {document.key: document for document in documents}
            grouped: dict[str, list[Chunk]] = {key: [] for key in by_key}
            for chunk in chunks:
                grouped[chunk.doc_key].append(chunk)
            for document in documents:
                meta = document.metadata()
                cursor = self.db.execute(
                    "INSERT INTO documents(key, source, kind, title, reviewed, expires, review_every_days, deal_id, rep, meta) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (document.key, document.source, document.kind, document.title, meta["reviewed"], meta["expires"],
                     document.review_every_days, document.deal_id, document.rep, json.dumps({**meta, **document.extra})),
                )
                own = grouped[document.key]
                self.db.execute(
                    "INSERT INTO documents_fts(rowid, title, headings, body) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, document.title, " ".join(dict.fromkeys(c.section for c in own)), " ".join(c.text for c in own)),
                )
            for chunk in chunks:
                cursor = self.db.execute(
                    "INSERT INTO chunks(id, doc_key, ordinal, section, text) VALUES (?, ?, ?, ?, ?)",
                    (chunk.id, chunk.doc_key, chunk.ordinal, chunk.section, chunk.text),
                )
                self.db.execute(
                    "INSERT INTO chunks_fts(rowid, title, section, text) VALUES (?, ?, ?, ?)",
                    (cursor.lastrowid, by_key[chunk.doc_key].title, chunk.section, chunk.text),
                )

    def touch_file(self, file: FileRow) -> None:
        """Record where an unchanged file now lives."""
        self.db.execute("UPDATE files SET path = ?, root = ? WHERE source = ?", (file.path, file.root, file.source))

    def remove_file(self, source: str) -> set[str]:
        """Drop a file with its documents and chunks; returns the removed chunk ids."""
        with self.transaction():
            ids = self.chunk_ids_of(source)
            self._delete_documents("d.source = ?", (source,))
            self.db.execute("DELETE FROM files WHERE source = ?", (source,))
        return ids

    # chunks --------------------------------------------------------------
    def chunks_by_id(self, ids: Iterable[str]) -> dict[str, ChunkRow]:
        """Catalog rows for the given chunk ids (unknown ids are left out)."""
        ids = list(ids)
        found: dict[str, ChunkRow] = {}
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            rows = self.db.execute(f"{_CHUNK_SELECT} WHERE c.id IN ({','.join('?' * len(part))})", part)
            found.update((row["id"], _chunk_row(row)) for row in rows)
        return found

    def chunks_of_kind(self, kind: str) -> list[ChunkRow]:
        """Every chunk of the documents of one kind, in file and document order."""
        return [_chunk_row(row) for row in self.db.execute(f"{_CHUNK_SELECT} WHERE d.kind = ? ORDER BY d.source, d.rowid, c.ordinal", (kind,))]

    def iter_chunks(self) -> Iterator[ChunkRow]:
        """Every chunk, in document order."""
        for row in self.db.execute(f"{_CHUNK_SELECT} ORDER BY d.source, c.doc_key, c.ordinal"):
            yield _chunk_row(row)

    def lexical_among(self, match: str, rowids: list[int], weights: tuple[float, float, float]) -> list[tuple[str, float]]:
        """BM25 scores of the given chunks (by rowid) that match; higher is better."""
        if not rowids:
            return []
        rows = self.db.execute(
            "SELECT c.id, -bm25(chunks_fts, ?, ?, ?) AS score FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid "
            f"WHERE chunks_fts MATCH ? AND f.rowid IN ({','.join('?' * len(rowids))})",
            (*weights, match, *rowids),
        )
        return [(row["id"], row["score"]) for row in rows]

    def lexical_documents(self, match: str, limit: int, weights: tuple[float, float, float],
                          scope: Scope = Scope()) -> list[tuple[str, float]]:
        """Document keys in ``scope`` ranked by BM25 over title, headings and whole text (higher is better)."""
        where, args = scope.sql()
        rows = self.db.execute(
            "SELECT d.key, -bm25(documents_fts, ?, ?, ?) AS score FROM documents_fts f JOIN documents d ON d.rowid = f.rowid "
            f"WHERE documents_fts MATCH ? AND {where} ORDER BY bm25(documents_fts, ?, ?, ?) LIMIT ?",
            (*weights, match, *args, *weights, limit),
        )
        return [(row["key"], row["score"]) for row in rows]

    def count_documents(self, scope: Scope = Scope(), match: str | None = None) -> int:
        """How many documents in ``scope`` there are (that match an FTS5 query, when given)."""
        where, args = scope.sql()
        if match is None:
            sql, params = f"SELECT 1 FROM documents d WHERE {where}", args
        else:
            sql = f"SELECT 1 FROM documents_fts f JOIN documents d ON d.rowid = f.rowid WHERE documents_fts MATCH ? AND {where}"
            params = [match, *args]
        return self.db.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]

    def documents_matching(self, match: str, scope: Scope = Scope(), limit: int = -1) -> list[str]:
        """Keys of the documents in ``scope`` that match an FTS5 query (at most ``limit`` of them, if not -1)."""
        where, args = scope.sql()
        rows = self.db.execute(
            "SELECT d.key FROM documents_fts f JOIN documents d ON d.rowid = f.rowid "
            f"WHERE documents_fts MATCH ? AND {where} LIMIT ?", (match, *args, limit))
        return [row["key"] for row in rows]

    def documents_of_deals(self, deal_ids: list[str], scope: Scope = Scope()) -> dict[str, set[str]]:
        """Keys of the documents in ``scope`` of each of these deal ids (by lower-cased id)."""
        where, args = scope.sql()
        wanted = sorted({deal_id.lower() for deal_id in deal_ids})
        rows = self.db.execute(f"SELECT lower(d.deal_id) AS deal, d.key FROM documents d WHERE lower(d.deal_id) IN "
                               f"({','.join('?' * len(wanted))}) AND {where}", (*wanted, *args))
        found: dict[str, set[str]] = {}
        for row in rows:
            found.setdefault(row["deal"], set()).add(row["key"])
        return found

    def chunks_matching(self, match: str, rowids: list[int]) -> set[str]:
        """Ids of the given chunks (by rowid) whose title, heading path or text match an FTS5 query."""
        if not rowids:
            return set()
        rows = self.db.execute(
            "SELECT c.id FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid "
            f"WHERE chunks_fts MATCH ? AND f.rowid IN ({','.join('?' * len(rowids))})", (match, *rowids))
        return {row["id"] for row in rows}

    def chunk_ids_of_documents(self, keys: Iterable[str]) -> dict[str, list[str]]:
        """Chunk ids of each document, in order."""
        keys = list(keys)
        found: dict[str, list[str]] = {key: [] for key in keys}
        for start in range(0, len(keys), 500):
            part = keys[start:start + 500]
            rows = self.db.execute(f"SELECT id, doc_key FROM chunks WHERE doc_key IN ({','.join('?' * len(part))}) ORDER BY ordinal", part)
            for row in rows:
                found[row["doc_key"]].append(row["id"])
        return found

    def counts(self) -> dict[str, Any]:
        """Files, documents and chunks held, and documents per kind."""
        one = lambda sql: self.db.execute(sql).fetchone()[0]  # noqa: E731
        kinds = {row["kind"]: row["n"] for row in self.db.execute("SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind")}
        return {
            "files": one("SELECT count(*) FROM files"),
            "documents": one("SELECT count(*) FROM documents"),
            "chunks": one("SELECT count(*) FROM chunks"),
            "kinds": kinds,
        }

    def documents(self) -> list[sqlite3.Row]:
        """Every document with its chunk count."""
        return self.db.execute(
            "SELECT d.*, (SELECT count(*) FROM chunks c WHERE c.doc_key = d.key) AS chunk_count "
            "FROM documents d ORDER BY d.source, d.key"
        ).fetchall()

    # transactions --------------------------------------------------------
    def transaction(self) -> "_Transaction":
        """``with catalog.transaction():`` commits on success, rolls back on error."""
        return _Transaction(self.db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.depth_owner = False

    def __enter__(self) -> None:
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.depth_owner = True

    def __exit__(self, kind, value, traceback) -> None:
        if not self.depth_owner:
            return
        self.db.execute("ROLLBACK" if kind else "COMMIT")


def utc_now() -> str:
    """The current UTC time as ISO 8601 text."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
