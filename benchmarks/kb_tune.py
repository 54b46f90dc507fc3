"""Adapting the bundled embedder to one team's handbook: a linear map learned from the indexed pages alone.

A 384 x 384 matrix ``W`` starts at the identity and is fitted, with numpy only, by an InfoNCE loss: each
section's heading path (embedded on its own) should come closer to its own chunk than to every other
chunk of the knowledge base, with ``LAM * ||W - I||^2`` pulling it back toward the identity. No label is
used: the pairs are mined from the index. ``W`` is applied to the query vector, or to both the query and
the stored chunk and record vectors ("both"); cosines are taken after the map.

Scored at document level like ``retrieval_quality.py``. The setting was chosen on ``tests/corpora/northwind``
only (``--grid``: the search that chose it, through the real ``search`` with the vector store swapped for
the mapped vectors, exact cosine over every chunk); the sample, harbor and ember are only reported, with
today's ranking and the textbook baseline from the same run. The default run tunes each index with
``coachgen.index.adapter.tune`` (what ``kb tune`` runs) and searches with the real code, then times search
with and without the adapter, and scores the same map once more with the exact mapped store (``exact``)
to check that asking Chroma with the probe ``W^T W q`` loses nothing.

Run: .venv/bin/python benchmarks/kb_tune.py [--grid]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, temp_home  # noqa: E402
from retrieval_quality import baseline_rankings, dedupe, load_queries, scores  # noqa: E402

import coachgen.retrieval as retrieval  # noqa: E402
from coachgen.index import adapter, record_vectors  # noqa: E402
from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

CORPORA = Path(__file__).resolve().parents[1] / "tests" / "corpora"
TUNED_ON = "northwind"

# The setting chosen on northwind (--grid); coachgen.index.adapter ships it.
PAIRS = ("heading",)
BOTH = True
TAU, LAM, STEPS = adapter.TAU, adapter.LAM, adapter.STEPS


def unit(matrix: np.ndarray) -> np.ndarray:
    return (matrix / np.clip(np.linalg.norm(matrix, axis=-1, keepdims=True), 1e-12, None)).astype(np.float32)


def train(anchors: np.ndarray, targets: np.ndarray, chunks: np.ndarray, both: bool, tau: float, lam: float,
          steps: int) -> np.ndarray:
    """``W`` mapping both sides (what ``kb tune`` fits), or only the query: then the chunks stay as stored."""
    return adapter.fit(anchors, targets, chunks, tau, lam, steps, both=both)


class MappedStore:
    """The vector store's read side over mapped vectors held in memory (exact cosine over every chunk)."""

    name = "mapped"

    def __init__(self, ids: list[str], matrix: np.ndarray) -> None:
        self.ids, self.matrix, self.position = ids, matrix, {chunk_id: n for n, chunk_id in enumerate(ids)}

    def count(self) -> int:
        return len(self.ids)

    def query(self, embedding, limit, where=None):
        similarities = self.matrix @ np.asarray(embedding, dtype=np.float32)
        return [(self.ids[i], float(similarities[i])) for i in np.argsort(-similarities)[:limit]]

    def vectors(self, ids):
        return {chunk_id: self.matrix[self.position[chunk_id]] for chunk_id in ids if chunk_id in self.position}


class Corpus:
    """One indexed knowledge base with its labelled queries, their vectors, and its chunk and record vectors."""

    def __init__(self, name: str, folder: Path, texts: list[str], wanted: list, embedder: OnnxMiniLM) -> None:
        self.name, self.folder, self.texts, self.wanted, self.embedder = name, folder, texts, wanted, embedder
        self.kb = KnowledgeBase(load_settings(home=temp_home()), embedder=embedder)
        report = self.kb.ingest([folder])
        assert not report.errors, report.errors
        self.queries = np.asarray(embedder.embed_batch([" ".join(text.split()) for text in texts]), dtype=np.float32)
        self.rows = list(self.kb.catalog.iter_chunks())
        self.ids = [row.id for row in self.rows]
        stored = self.kb.vectors.vectors(self.ids)
        self.chunks = np.asarray([stored[chunk_id] for chunk_id in self.ids], dtype=np.float32)
        self.record_ids, self.records = record_vectors.load(self.kb.db, self.kb.catalog.get_meta("embedder"))
        self.store = self.kb.vectors

    def pairs(self, kinds: tuple[str, ...] = PAIRS) -> tuple[np.ndarray, np.ndarray]:
        """Anchor vectors and the index of their chunk: heading paths, and mined records if asked."""
        position = {chunk_id: n for n, chunk_id in enumerate(self.ids)}
        texts, targets = [], []
        if "heading" in kinds:
            for n, row in enumerate(self.rows):
                texts.append(row.section)
                targets.append(n)
        if "records" in kinds:
            for record in self.kb.knowledge.records():
                if record.provenance.chunk_id in position and record.text.strip():
                    texts.append(record.text)
                    targets.append(position[record.provenance.chunk_id])
        return np.asarray(self.embedder.embed_batch(texts), dtype=np.float32), np.asarray(targets)

    def search(self, weights: np.ndarray | None = None, both: bool = BOTH) -> list[list[str]]:
        """Every query through the real search, its vector (and with ``both`` the index's) mapped by ``weights``."""
        kb = self.kb
        kb._memo.clear()
        kb._memo[("adapter", kb.catalog.get_meta("write_generation"))] = [None]  # the map is applied here, not by a saved adapter
        if weights is not None and both:
            kb._vectors = MappedStore(self.ids, unit(self.chunks @ weights.T))
            kb._memo[("record_vectors", kb.catalog.get_meta("write_generation"))] = [(self.record_ids, unit(self.records @ weights.T))]
        vectors = self.queries if weights is None else unit(self.queries @ weights.T)
        try:
            results = [retrieval.search(kb, text, k=10, query_vector=vector.tolist()) for text, vector in zip(self.texts, vectors)]
        finally:
            kb._vectors = self.store
            kb._memo.clear()
        return [dedupe([hit.source for hit in hits]) for hits in results]

    def score(self, weights: np.ndarray | None = None, both: bool = BOTH) -> dict[str, float]:
        return scores(self.search(weights, both), self.wanted)

    def score_saved(self) -> dict[str, float]:
        """The real search as a user runs it: the adapter ``kb tune`` saved in this home, if any."""
        self.kb.forget_searches()
        results = [retrieval.search(self.kb, text, k=10, query_vector=vector.tolist()) for text, vector in zip(self.texts, self.queries)]
        return scores([dedupe([hit.source for hit in hits]) for hits in results], self.wanted)

    def baseline(self) -> dict[str, float]:
        return scores(baseline_rankings(self.embedder, self.texts, self.folder), self.wanted)


def corpora(embedder: OnnxMiniLM, names: list[str]) -> list[Corpus]:
    found = []
    for name in names:
        if name == "sample":
            items = load_queries()
            found.append(Corpus(name, KNOWLEDGE, [item["query"] for item in items], [item["source"] for item in items], embedder))
            continue
        items = yaml.safe_load((CORPORA / name / "labels" / "queries.yaml").read_text(encoding="utf-8"))
        items = items.get("queries", items) if isinstance(items, dict) else items
        found.append(Corpus(name, CORPORA / name / "handbook", [item["query"] for item in items],
                            [list(item["relevant"]) for item in items], embedder))
    return found


def shown(result: dict[str, float]) -> str:
    return f"{result['recall@1']:.3f} / {result['recall@5']:.3f} / {result['mrr']:.3f}"


def grid(embedder: OnnxMiniLM) -> None:
    """The search that chose the setting, on northwind only: pair types x sides x the pull toward the identity at
    200 steps, then the number of steps for the best of those."""
    corpus = corpora(embedder, [TUNED_ON])[0]
    print(f"{TUNED_ON}: today {shown(corpus.score())}")
    best = (-1.0, ())
    for kinds in (("heading",), ("heading", "records")):
        anchors, targets = corpus.pairs(kinds)
        for both in (False, True):
            for lam in (0.001, 0.003, 0.01, 0.03):
                result = corpus.score(train(anchors, targets, corpus.chunks, both, TAU, lam, 200), both)
                print(f"{'+'.join(kinds):<16} {'both' if both else 'query':<6} lam {lam:<6g} 200 steps  {shown(result)}", flush=True)
                best = max(best, (result["mrr"], (kinds, both, lam)))
    kinds, both, lam = best[1]
    anchors, targets = corpus.pairs(kinds)
    for steps in (100, 300):
        result = corpus.score(train(anchors, targets, corpus.chunks, both, TAU, lam, steps), both)
        print(f"{'+'.join(kinds):<16} {'both' if both else 'query':<6} lam {lam:<6g} {steps} steps  {shown(result)}", flush=True)


def query_p50(corpus: Corpus, repeats: int = 3) -> float:
    """Median over ``repeats`` runs of the per-query median of the real search (query vectors given), in ms."""
    runs = []
    for _ in range(repeats):
        corpus.kb.forget_searches()
        times = []
        for text, vector in zip(corpus.texts, corpus.queries):
            start = time.perf_counter()
            retrieval.search(corpus.kb, text, k=10, query_vector=vector.tolist())
            times.append(time.perf_counter() - start)
        runs.append(statistics.median(times) * 1000)
    return statistics.median(runs)


def main() -> None:
    embedder = OnnxMiniLM()
    if "--grid" in sys.argv:
        grid(embedder)
        return
    print(f"setting (chosen on {TUNED_ON}): pairs {'+'.join(PAIRS)}, {'both sides' if BOTH else 'query only'}, "
          f"tau {TAU}, lam {LAM}, {STEPS} steps")
    print(f"{'corpus':<10} {'queries':>7} {'baseline':>21} {'today':>21} {'kb tune':>21} {'exact':>21} {'tune s':>7}"
          f" {'p50 ms':>7} {'tuned':>6} {'ratio':>6}")
    for corpus in corpora(embedder, [TUNED_ON, "sample", "harbor", "ember"]):
        today, plain = corpus.score_saved(), query_p50(corpus)
        seconds = statistics.median(adapter.tune(corpus.kb).seconds for _ in range(3))
        tuned, with_adapter = corpus.score_saved(), query_p50(corpus)
        exact = corpus.score(adapter.load(corpus.kb).weights)
        print(f"{corpus.name:<10} {len(corpus.texts):>7} {shown(corpus.baseline()):>21} {shown(today):>21} {shown(tuned):>21} "
              f"{shown(exact):>21} {seconds:>7.1f} {plain:>7.1f} {with_adapter:>6.1f} {with_adapter / plain:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
