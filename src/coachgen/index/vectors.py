"""The Chroma vector store: a local PersistentClient under COACHGEN_HOME or a Chroma server."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from coachgen.errors import ConfigError, IndexError_
from coachgen.settings import Settings

__all__ = ["VectorStore", "chroma_where"]

_BATCH = 1000


def _client(settings: Settings, fresh: bool = False) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not settings.chroma_url:
        if fresh:
            # chromadb keeps one in-process system per path with what it loaded; a new one reads what other
            # processes wrote since. Handles still holding the old system keep working until they reopen.
            from chromadb.api.client import SharedSystemClient

            for identifier in [i for i in SharedSystemClient._identifier_to_system if i.rstrip("/") == str(settings.chroma_path).rstrip("/")]:
                SharedSystemClient._identifier_to_system.pop(identifier, None)
        return chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
    url = urlparse(settings.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ConfigError(f"COACHGEN_CHROMA_URL '{settings.chroma_url}' is not http(s)://host:port")
    try:
        return chromadb.HttpClient(
            host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https", settings=chroma_settings,
        )
    except Exception as exc:  # chromadb raises bare exceptions for connection failures
        raise IndexError_(f"cannot reach the Chroma server at {settings.chroma_url}: {exc}") from None


def chroma_where(filters: dict[str, list[str]]) -> dict[str, Any] | None:
    """A Chroma ``where`` clause from ``{"kind": [...], "tag": [...], ...}`` (OR within a field, AND across)."""
    clauses: list[dict[str, Any]] = []
    for field, values in filters.items():
        if not values:
            continue
        if field in ("tag", "stage"):
            options = [{f"{field}:{value.lower()}": True} for value in values]
        else:
            options = [{field: value} for value in values]
        clauses.append(options[0] if len(options) == 1 else {"$or": options})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class VectorStore:
    """One Chroma collection holding a vector per chunk id, with filterable metadata."""

    def __init__(self, settings: Settings, collection: str, fresh: bool = False) -> None:
        self.name = collection
        self._client = _client(settings, fresh)
        self._collection = self._client.get_or_create_collection(
            collection, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )

    def upsert(self, ids: list[str], embeddings: list[list[float]], metadatas: list[dict[str, Any]]) -> None:
        """Add or overwrite vectors by chunk id."""
        for start in range(0, len(ids), _BATCH):
            end = start + _BATCH
            self._collection.upsert(ids=ids[start:end], embeddings=embeddings[start:end], metadatas=metadatas[start:end])

    def existing(self, ids: list[str]) -> set[str]:
        """Which of ``ids`` already have a vector."""
        found: set[str] = set()
        for start in range(0, len(ids), _BATCH):
            found.update(self._collection.get(ids=ids[start:start + _BATCH], include=[])["ids"])
        return found

    def delete(self, ids: list[str]) -> None:
        """Drop vectors by chunk id (unknown ids are ignored)."""
        for start in range(0, len(ids), _BATCH):
            self._collection.delete(ids=ids[start:start + _BATCH])

    def all_ids(self) -> set[str]:
        """Every chunk id with a vector."""
        ids: set[str] = set()
        offset = 0
        while True:
            page = self._collection.get(include=[], limit=_BATCH * 5, offset=offset)["ids"]
            ids.update(page)
            if len(page) < _BATCH * 5:
                return ids
            offset += len(page)

    def vectors(self, ids: list[str]) -> dict[str, Any]:
        """Stored vectors by chunk id (numpy arrays)."""
        found: dict[str, Any] = {}
        for start in range(0, len(ids), _BATCH):
            page = self._collection.get(ids=ids[start:start + _BATCH], include=["embeddings"])
            found.update(zip(page["ids"], page["embeddings"]))
        return found

    def count(self) -> int:
        """Number of vectors in the collection."""
        return self._collection.count()

    def query(self, embedding: list[float], limit: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Nearest chunk ids with cosine similarity (1 - distance), best first."""
        total = self.count()
        if total == 0:
            return []
        result = self._collection.query(
            query_embeddings=[embedding], n_results=min(limit, total), where=where, include=["distances"]
        )
        return [(chunk_id, 1.0 - distance) for chunk_id, distance in zip(result["ids"][0], result["distances"][0])]

    def drop(self) -> None:
        """Delete the whole collection."""
        self._client.delete_collection(self.name)
