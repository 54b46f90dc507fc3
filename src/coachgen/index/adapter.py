"""A linear map that adapts the bundled embedder to the team's own handbook (``coachgen kb tune``), never at query time.

Tuning fits a 384 x 384 matrix ``W`` with numpy alone: each section's heading path, embedded on its
own, should lie nearer its own chunk than every other chunk of the knowledge base (an InfoNCE loss,
temperature ``TAU``), while ``LAM * ||W - I||^2`` holds ``W`` near the identity. No label is needed:
the pairs come from the index. Search then takes every cosine after the map, on both sides:
``cos(W q, W c) = (W^T W q) . c / (|W q| |W c|)``, so the vector store is asked with ``W^T W q`` and
each answer is rescaled by the chunk's ``|W c|``, saved at tuning. Nothing is re-embedded.

The map is saved as ``adapter.npz`` in the home (a temporary file, then ``os.replace``) with the
fingerprint of the files it was fitted on. Once those files change (an ingest, a removal, another
embedder) it no longer matches and search ignores it until ``kb tune`` runs again; documents coachgen
writes itself (deal logs) do not count. ``kb tune --undo`` deletes it; without the file, search is
exactly what it was. Measured in ``benchmarks/kb_tune.py``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from coachgen.errors import IndexError_, InputError

if TYPE_CHECKING:
    import numpy as np

    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["ADAPTER_FILE", "Adapter", "Probe", "TuneReport", "active", "fingerprint", "fit", "load", "path", "remove", "state", "tune"]

ADAPTER_FILE = "adapter.npz"
FORMAT = 1
# Chosen on tests/corpora/northwind only (benchmarks/kb_tune.py --grid), reported on three other handbooks.
TAU = 0.05
LAM = 0.003
STEPS = 300
LEARNING_RATE = 0.01
MIN_PAIRS = 20  # fewer sections than this are too few to learn from
MAX_PAIRS = 1024  # above this many pairs (or chunks), each step samples this many pairs...
MAX_CANDIDATES = 2048  # ...against their own chunks and this many others


@dataclass(frozen=True)
class Adapter:
    """The fitted map, the length ``|W c|`` of each chunk it was fitted on, and the fingerprint of the files it matches."""

    weights: "np.ndarray"
    norms: dict[str, float]
    fingerprint: str
    embedder: str
    tuned_at: str

    def probe(self, vector: "list[float] | np.ndarray") -> "Probe":
        """A query ready to be compared in the tuned space."""
        np = _np()
        mapped = self.weights @ np.asarray(vector, dtype=np.float32)
        return Probe(self, self.weights.T @ mapped, float(np.linalg.norm(mapped)) or 1.0)

    def norms_of(self, matrix: "np.ndarray", ids: list[str] | None = None) -> "np.ndarray":
        """``|W c|`` of each row: saved for the chunks tuned on, computed one row at a time for the others."""
        np = _np()
        saved = [self.norms.get(chunk_id) for chunk_id in ids] if ids is not None else [None] * len(matrix)
        return np.asarray([norm if norm is not None else float(np.linalg.norm(self.weights @ row)) for norm, row in zip(saved, matrix)],
                          dtype=np.float32)


@dataclass(frozen=True)
class Probe:
    """A query in the tuned space, as ``p = W^T W q`` and ``|W q|``: ``cos(W q, W c) = p . c / (|W q| |W c|)``.

    Only matrix-vector products: a matrix product per search would wake BLAS threads, which on a busy
    machine cost more than the rest of the search.
    """

    adapter: Adapter
    vector: "np.ndarray"
    length: float  # |W q|

    def direction(self) -> list[float]:
        """What to ask the vector store, which compares raw vectors: ``p`` at unit length."""
        return _unit(self.vector[None, :])[0].tolist()

    def from_store(self, found: list[tuple[str, float]]) -> dict[str, float]:
        """The store's cosines to :meth:`direction` as cosines in the tuned space (chunks without a saved length keep theirs)."""
        scale = float(_np().linalg.norm(self.vector)) / self.length
        norms = self.adapter.norms
        return {chunk_id: cosine * scale / norms[chunk_id] if chunk_id in norms else cosine for chunk_id, cosine in found}

    def cosines(self, matrix: "np.ndarray", norms: "np.ndarray") -> "np.ndarray":
        """``cos(W q, W c)`` of stored vectors (one per row) whose lengths ``|W c|`` are ``norms``."""
        return (matrix @ self.vector.astype(matrix.dtype)) / (self.length * norms)


@dataclass(frozen=True)
class TuneReport:
    """What one ``kb tune`` did."""

    pairs: int  # heading path -> chunk, one per chunk of the team's files
    seconds: float
    change: float  # ||W - I||, how far the map moved from the identity
    path: str

    def as_dict(self) -> dict[str, object]:
        """JSON-ready fields."""
        return dict(self.__dict__)


def _np():
    import numpy

    return numpy


def _unit(matrix: "np.ndarray") -> "np.ndarray":
    np = _np()
    return (matrix / np.clip(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12, None)).astype(np.float32)


def path(kb: "KnowledgeBase") -> Path:
    """Where the adapter of this home is kept."""
    return kb.settings.home / ADAPTER_FILE


def fingerprint(kb: "KnowledgeBase") -> str:
    """The embedder, the embedding format and the content hash of every file read from the team's folders."""
    digest = hashlib.sha256()
    digest.update(f"{kb.catalog.get_meta('embedder')}\x00{kb.catalog.get_meta('embedding_format')}\x00".encode())
    for row in kb.indexed_files():
        digest.update(f"{row.source}\x00{row.sha256}\x00".encode())
    return digest.hexdigest()


def fit(anchors: "np.ndarray", targets: "np.ndarray", chunks: "np.ndarray", tau: float = TAU, lam: float = LAM,
        steps: int = STEPS, seed: int = 0, both: bool = True) -> "np.ndarray":
    """``W`` minimising the mean InfoNCE loss of ``cos(W anchor, W chunk)`` plus ``lam * ||W - I||^2`` (full-batch Adam).

    ``targets[i]`` is the row of ``chunks`` that ``anchors[i]`` belongs to; every chunk is a negative for
    the others. A large knowledge base is sampled each step (``MAX_PAIRS``, ``MAX_CANDIDATES``). With
    ``both=False`` only the anchor side is mapped and the (unit-length) chunks stay as stored: the query-only
    variant the benchmark compares.
    """
    np = _np()
    rng = np.random.default_rng(seed)
    identity = np.eye(anchors.shape[1])
    weights = identity.copy()
    first, second = np.zeros_like(weights), np.zeros_like(weights)
    anchors, chunks = anchors.astype(np.float64), chunks.astype(np.float64)
    sampled = len(anchors) > MAX_PAIRS or len(chunks) > MAX_CANDIDATES
    for step in range(1, steps + 1):
        a, c, t = anchors, chunks, targets
        if sampled:
            rows = rng.choice(len(anchors), min(MAX_PAIRS, len(anchors)), replace=False)
            keep = np.union1d(targets[rows], rng.choice(len(chunks), min(MAX_CANDIDATES, len(chunks)), replace=False))
            a, c, t = anchors[rows], chunks[keep], np.searchsorted(keep, targets[rows])
        n = len(a)
        mapped_a = a @ weights.T
        norm_a = np.linalg.norm(mapped_a, axis=1, keepdims=True)
        q = mapped_a / norm_a
        if both:
            mapped_c = c @ weights.T
            norm_c = np.linalg.norm(mapped_c, axis=1, keepdims=True)
            k = mapped_c / norm_c
        else:
            k = c
        logits = q @ k.T / tau
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        probs[np.arange(n), t] -= 1
        probs /= n * tau  # the loss's gradient with respect to q k^T
        d_q = probs @ k
        grad = ((d_q - q * (d_q * q).sum(axis=1, keepdims=True)) / norm_a).T @ a + 2 * lam * (weights - identity)
        if both:
            d_k = probs.T @ q
            grad += ((d_k - k * (d_k * k).sum(axis=1, keepdims=True)) / norm_c).T @ c
        first = 0.9 * first + 0.1 * grad
        second = 0.999 * second + 0.001 * grad**2
        weights -= LEARNING_RATE * (first / (1 - 0.9**step)) / (np.sqrt(second / (1 - 0.999**step)) + 1e-8)
    return weights.astype(np.float32)


def tune(kb: "KnowledgeBase", on_wait: Callable[[str], None] | None = None) -> TuneReport:
    """Fit the adapter on this knowledge base's heading paths and chunks and save it beside the index."""
    from coachgen.knowledge_base import RECORDS_ROOT

    np = _np()
    start = time.perf_counter()
    if kb.catalog.get_meta("collection") is None:
        raise InputError("the knowledge base is empty; run 'coachgen kb ingest' first, then 'coachgen kb tune'")
    before = fingerprint(kb)  # fitted without the write lock (it can take minutes); saved under it only if nothing changed
    own = {row.source for row in kb.catalog.files() if row.root == RECORDS_ROOT}
    rows = [row for row in kb.catalog.iter_chunks() if row.source not in own]
    stored = kb.vectors.vectors([row.id for row in rows])
    rows = [row for row in rows if row.id in stored]
    if len(rows) < MIN_PAIRS:
        raise InputError(f"only {len(rows)} sections are indexed; tuning needs at least {MIN_PAIRS} (ingest more of the handbook first)")
    chunks = np.asarray([stored[row.id] for row in rows], dtype=np.float32)
    anchors = np.asarray(kb.embedder.embed_batch([row.section for row in rows]), dtype=np.float32)
    if anchors.shape[1] != chunks.shape[1]:
        raise IndexError_("the index's vectors and the embedder's differ in size; run 'coachgen kb reindex' first")
    weights = fit(anchors, np.arange(len(rows)), chunks)
    norms = np.linalg.norm(chunks @ weights.T, axis=1).astype(np.float32)
    target = path(kb)
    with kb.write_lock(on_wait):
        if fingerprint(kb) != before:
            raise InputError("the knowledge base's files changed while tuning; run 'coachgen kb tune' again")
        _save(target, weights, [row.id for row in rows], norms, before, kb.catalog.get_meta("embedder") or "")
    kb.forget_searches()
    return TuneReport(len(rows), round(time.perf_counter() - start, 1),
                      round(float(np.linalg.norm(weights - np.eye(len(weights)))), 3), str(target))


def _save(target: Path, weights: "np.ndarray", ids: list[str], norms: "np.ndarray", print_: str, embedder: str) -> None:
    """Write the adapter whole or not at all: a temporary file beside it, then ``os.replace``."""
    np = _np()
    from coachgen.index.catalog import utc_now

    try:
        descriptor, name = tempfile.mkstemp(prefix=".adapter-", suffix=".npz", dir=target.parent)
    except OSError as exc:
        raise InputError(f"{target.parent}: cannot write the adapter: {exc.strerror or exc}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez(handle, weights=weights, ids=np.array(ids), norms=norms, fingerprint=np.array(print_),
                     embedder=np.array(embedder), tuned_at=np.array(utc_now()), format=np.array(FORMAT))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, target)
    except OSError as exc:
        Path(name).unlink(missing_ok=True)
        raise InputError(f"{target}: cannot write the adapter: {exc.strerror or exc}") from None
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def load(kb: "KnowledgeBase") -> Adapter | None:
    """The saved adapter, whether or not it matches the index (None when there is none)."""
    np = _np()
    target = path(kb)
    if not target.is_file():
        return None
    try:
        with np.load(target, allow_pickle=False) as data:
            if int(data["format"]) != FORMAT:
                raise ValueError(f"format {int(data['format'])}")
            weights, ids, norms = data["weights"].astype(np.float32), [str(i) for i in data["ids"]], data["norms"].astype(float)
            if weights.ndim != 2 or weights.shape[0] != weights.shape[1] or not np.isfinite(weights).all():
                raise ValueError("not a square matrix of numbers")
            if len(ids) != len(norms) or not (norms > 0).all():
                raise ValueError("the chunks' lengths are missing")
            return Adapter(weights, dict(zip(ids, norms.tolist())), str(data["fingerprint"]), str(data["embedder"]), str(data["tuned_at"]))
    except FileNotFoundError:  # removed by another process since the check above
        return None
    except (OSError, ValueError, TypeError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise IndexError_(f"{target} is not a coachgen adapter ({exc}); run 'coachgen kb tune' again or 'coachgen kb tune --undo'") from None


def state(kb: "KnowledgeBase") -> str:
    """``none``, ``current`` (search uses it) or ``stale`` (the files changed since it was tuned; search ignores it)."""
    saved = load(kb)
    if saved is None:
        return "none"
    return "current" if saved.fingerprint == fingerprint(kb) else "stale"


def active(kb: "KnowledgeBase") -> Adapter | None:
    """The adapter search should use: saved and matching the index; looked up once per index write."""
    key = ("adapter", kb.catalog.get_meta("write_generation"))
    if key not in kb._memo:
        saved = load(kb) if path(kb).is_file() else None
        kb._memo[key] = [saved if saved is not None and saved.fingerprint == fingerprint(kb) else None]
    return kb._memo[key][0]


def remove(kb: "KnowledgeBase", on_wait: Callable[[str], None] | None = None) -> bool:
    """Delete the adapter (search is untuned again); False when there was none."""
    with kb.write_lock(on_wait):  # readers in other processes see the write generation move and look again
        try:
            path(kb).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise InputError(f"cannot remove the adapter {path(kb)}: {exc.strerror or exc}") from None
    kb.forget_searches()
    return True
