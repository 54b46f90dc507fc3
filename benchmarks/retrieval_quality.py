"""Retrieval quality on the labelled queries: coachgen's hybrid search against the textbook baseline.

Baseline: every file's raw text cut into fixed 1000-character chunks, dense similarity only,
documents ranked by their best chunk. Both are scored at document (source file) level:
recall@1, recall@5 and MRR. The bundled sample's queries come first, then every corpus under
``tests/corpora`` with ``labels/queries.yaml`` (a query counts as found when any of its relevant
files is). Run: .venv/bin/python benchmarks/retrieval_quality.py [--misses]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from typing import Any

import numpy as np
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, temp_home  # noqa: E402

from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.ingest.loader import discover  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.retrieval import search_many  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

QUERIES = Path(__file__).with_name("retrieval_queries.jsonl")
CORPORA = Path(__file__).resolve().parents[1] / "tests" / "corpora"


def load_queries() -> list[dict]:
    """Labelled queries; each names a source file and, for entries and deals, a document key."""
    items = [json.loads(line) for line in QUERIES.read_text().splitlines() if line.strip()]
    for item in items:
        if "source" not in item:
            item["source"] = "crm/deals.csv" if item["doc"].startswith("deal:") else item["doc"].split("#")[0]
    return items


def scores(rankings: list[list[str]], expected: list[Any]) -> dict[str, float]:
    """recall@1, recall@5 and MRR of ranked lists against the expected item (or any of a list of items)."""
    r1 = r5 = rr = 0.0
    for ranking, want in zip(rankings, expected):
        wanted = set(want) if isinstance(want, list) else {want}
        position = next((i + 1 for i, item in enumerate(ranking) if item in wanted), None)
        if position is not None:
            r1 += position == 1
            r5 += position <= 5
            rr += 1 / position
    n = len(expected)
    return {"recall@1": r1 / n, "recall@5": r5 / n, "mrr": rr / n}


def dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def baseline_rankings(embedder: OnnxMiniLM, queries: list[str], folder: Path = KNOWLEDGE) -> list[list[str]]:
    files, _ = discover([folder])
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
    for corpus in sorted(CORPORA.iterdir()):
        if (corpus / "labels" / "queries.yaml").is_file():
            corpus_report(embedder, corpus)


def corpus_report(embedder: OnnxMiniLM, corpus: Path) -> None:
    """The same comparison on a corpus that is not the sample (its handbook folder, its labelled queries)."""
    items = yaml.safe_load((corpus / "labels" / "queries.yaml").read_text(encoding="utf-8"))
    items = items.get("queries", items) if isinstance(items, dict) else items
    texts = [item["query"] for item in items]
    wanted = [list(item["relevant"]) for item in items]
    kb = KnowledgeBase(load_settings(home=temp_home()), embedder=embedder)
    kb.ingest([corpus / "handbook"])
    hybrid = scores([dedupe([hit.source for hit in result]) for result in search_many(kb, texts, k=10)], wanted)
    baseline = scores(baseline_rankings(embedder, texts, corpus / "handbook"), wanted)
    print(f"\n{corpus.name}: {len(items)} queries, document level")
    print(f"{'metric':<10} {'baseline':>9} {'hybrid':>9} {'ratio':>7}")
    for metric in ("recall@1", "recall@5", "mrr"):
        ratio = hybrid[metric] / baseline[metric] if baseline[metric] else float("inf")
        print(f"{metric:<10} {baseline[metric]:>9.3f} {hybrid[metric]:>9.3f} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
