"""Retrieval quality on the labelled queries: coachgen's hybrid search against the textbook baseline.

Baseline: every file's raw text cut into fixed 1000-character chunks, dense similarity only,
documents ranked by their best chunk. Both are scored at document (source file) level:
recall@1, recall@5 and MRR. Run: .venv/bin/python benchmarks/retrieval_quality.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, temp_home  # noqa: E402

from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.ingest.loader import discover  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.retrieval import search_many  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

QUERIES = Path(__file__).with_name("retrieval_queries.jsonl")


def load_queries() -> list[dict]:
    """Labelled queries; each names a source file and, for entries and deals, a document key."""
    items = [json.loads(line) for line in QUERIES.read_text().splitlines() if line.strip()]
    for item in items:
        if "source" not in item:
            item["source"] = "crm/deals.csv" if item["doc"].startswith("deal:") else item["doc"].split("#")[0]
    return items


def scores(rankings: list[list[str]], expected: list[str]) -> dict[str, float]:
    """recall@1, recall@5 and MRR of ranked lists against the expected item."""
    r1 = r5 = rr = 0.0
    for ranking, want in zip(rankings, expected):
        if want in ranking:
            position = ranking.index(want) + 1
            r1 += position == 1
            r5 += position <= 5
            rr += 1 / position
    n = len(expected)
    return {"recall@1": r1 / n, "recall@5": r5 / n, "mrr": rr / n}


def dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def baseline_rankings(embedder: OnnxMiniLM, queries: list[str]) -> list[list[str]]:
    files, _ = discover([KNOWLEDGE])
    chunks, owners = [], []
    for file in files:
        text = file.path.read_text(encoding="utf-8")
        for start in range(0, len(text), 1000):
            chunks.append(text[start:start + 1000])
            owners.append(file.source)
    matrix = np.array(embedder.embed_batch(chunks))
    query_vectors = np.array(embedder.embed_batch(queries))
    rankings = []
    for vector in query_vectors:
        order = np.argsort(-(matrix @ vector))
        rankings.append(dedupe([owners[i] for i in order])[:10])
    return rankings


def main() -> None:
    queries = load_queries()
    texts = [item["query"] for item in queries]
    embedder = OnnxMiniLM()
    kb = KnowledgeBase(load_settings(home=temp_home()), embedder=embedder)
    report = kb.ingest([KNOWLEDGE])
    assert not report.errors, report.errors
    hits = search_many(kb, texts, k=10)
    hybrid_sources = [dedupe([hit.source for hit in result]) for result in hits]
    hybrid = scores(hybrid_sources, [item["source"] for item in queries])
    baseline = scores(baseline_rankings(embedder, texts), [item["source"] for item in queries])
    entry_items = [(result, item) for result, item in zip(hits, queries) if "doc" in item]
    entries = scores([[hit.doc_key for hit in result] for result, _ in entry_items], [item["doc"] for _, item in entry_items])
    print(f"{len(queries)} queries, document (source file) level")
    print(f"{'metric':<10} {'baseline':>9} {'hybrid':>9} {'ratio':>7}")
    for metric in ("recall@1", "recall@5", "mrr"):
        ratio = hybrid[metric] / baseline[metric] if baseline[metric] else float("inf")
        print(f"{metric:<10} {baseline[metric]:>9.3f} {hybrid[metric]:>9.3f} {ratio:>7.2f}")
    print(f"hybrid, {len(entry_items)} entry-level queries (objection entry / deal): "
          + ", ".join(f"{key} {value:.3f}" for key, value in entries.items()))
    if "--misses" in sys.argv:
        for ranking, item in zip(hybrid_sources, queries):
            if ranking[:1] != [item["source"]]:
                print(f"  miss: {item['query']!r} -> {ranking[:3]} (want {item['source']})")
    beaten = all(hybrid[m] > baseline[m] for m in ("recall@1", "recall@5", "mrr"))
    print("hybrid beats baseline on every metric" if beaten else "HYBRID DOES NOT BEAT THE BASELINE ON EVERY METRIC")


if __name__ == "__main__":
    main()
