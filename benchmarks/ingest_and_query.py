"""Ingest throughput against the raw embedder, and query latency at 10,000 chunks.

1. Ingest: a synthetic corpus (sentences from the bundled knowledge, reshuffled) is
   ingested into a fresh home; the same chunk texts are embedded by the bare embedder.
   Target: ingest texts/s >= 0.85 x raw embedder texts/s.
2. Query: an index of 10,000 chunks; median in-process latency of ``search``.
   Baseline in the same run: embedding the query plus one dense-only Chroma query.
   Target: p50 <= 30 ms.
Run: .venv/bin/python benchmarks/ingest_and_query.py [--chunks 10000]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, temp_home  # noqa: E402

from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.ingest.chunking import chunk_document  # noqa: E402
from coachgen.ingest.loader import discover, load_file  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.retrieval import search  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

TOPICS = ["Pricing", "Discovery", "Security review", "Procurement", "Demo", "Renewal", "Onboarding", "Champions", "Forecast", "Legal"]


def sentences() -> list[str]:
    found = []
    for file in discover([KNOWLEDGE])[0]:
        text = file.path.read_text(encoding="utf-8")
        found += [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if 40 < len(s.strip()) < 300 and "\n" not in s.strip()]
    return found


def write_corpus(folder: Path, documents: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    pool = sentences()
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(documents):
        sections = "\n\n".join(
            f"## {rng.choice(TOPICS)} {section}\n\n" + " ".join(rng.sample(pool, 4)) for section in range(4)
        )
        (folder / f"doc-{number:05d}.md").write_text(f"---\nkind: playbook\n---\n# Playbook {number}\n\n{sections}\n")


def chunk_texts(folder: Path, settings) -> list[str]:
    texts = []
    for file in discover([folder])[0]:
        for document in load_file(file, settings.max_file_bytes).documents:
            texts += [chunk.embedding_text() for chunk in chunk_document(document, settings.chunk_chars)]
    return texts


def bench_ingest(embedder: OnnxMiniLM, documents: int, repeats: int) -> None:
    corpus = temp_home() / "corpus"
    write_corpus(corpus, documents)
    settings = load_settings(home=temp_home(), environ={})
    texts = chunk_texts(corpus, settings)
    raw, ingest = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        for offset in range(0, len(texts), settings.embed_batch_size):
            embedder.embed_batch(texts[offset:offset + settings.embed_batch_size])
        raw.append(len(texts) / (time.perf_counter() - start))
        kb = KnowledgeBase(load_settings(home=temp_home(), environ={}), embedder=embedder)
        start = time.perf_counter()
        report = kb.ingest([corpus])
        ingest.append(report.chunks_added / (time.perf_counter() - start))
        assert report.chunks_added == len(texts), (report.chunks_added, len(texts))
    raw_median, ingest_median = statistics.median(raw), statistics.median(ingest)
    print(f"ingest: {len(texts)} chunks from {documents} files, median of {repeats}")
    print(f"  raw embedder   {raw_median:8.1f} texts/s")
    print(f"  kb ingest      {ingest_median:8.1f} texts/s")
    print(f"  ratio          {ingest_median / raw_median:8.2f}   (target >= 0.85)")


def bench_query(embedder: OnnxMiniLM, chunks: int, queries: int, keep: Path | None) -> None:
    """``keep``: a folder where the corpus and its index are built once and reused by later runs."""
    work = keep or temp_home()
    corpus = work / "corpus"
    if not corpus.exists():
        write_corpus(corpus, chunks // 4, seed=11)
    kb = KnowledgeBase(load_settings(home=work / "home", environ={}), embedder=embedder)
    start = time.perf_counter()
    kb.ingest([corpus])
    built = time.perf_counter() - start
    total = kb.catalog.counts()["chunks"]
    rng = random.Random(3)
    pool = sentences()
    asks = [" ".join(rng.sample(s.split(), min(8, len(s.split())))) for s in (rng.choice(pool) for _ in range(queries))]
    for ask in asks[:5]:
        search(kb, ask)  # warm up
    hybrid, dense = [], []
    for ask in asks:
        start = time.perf_counter()
        search(kb, ask, k=5)
        hybrid.append(time.perf_counter() - start)
        start = time.perf_counter()
        kb.vectors.query(embedder.embed_batch([ask])[0], 5)
        dense.append(time.perf_counter() - start)
    p50, base = statistics.median(hybrid) * 1000, statistics.median(dense) * 1000
    p95 = sorted(hybrid)[int(len(hybrid) * 0.95)] * 1000
    print(f"query: {total} chunks (built or checked in {built:.0f} s), {queries} queries")
    print(f"  embed + dense-only query p50  {base:6.1f} ms")
    print(f"  coachgen hybrid search p50    {p50:6.1f} ms   (p95 {p95:.1f} ms, target p50 <= 30 ms)")
    print(f"  ratio hybrid / dense-only      {p50 / base:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=150, help="files in the ingest corpus (4 chunks each)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--only", choices=["ingest", "query"], help="run one of the two")
    parser.add_argument("--keep", type=Path, help="build the query index here once and reuse it")
    args = parser.parse_args()
    embedder = OnnxMiniLM()
    if args.only != "query":
        bench_ingest(embedder, args.documents, args.repeats)
    if args.only != "ingest":
        bench_query(embedder, args.chunks, args.queries, args.keep)


if __name__ == "__main__":
    main()
