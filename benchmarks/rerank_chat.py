"""The embedded chat model as a yes/no reranker of search's top five documents (issue 12's last lever).

For each labelled query, the hybrid search's five best documents (each shown by its best chunk, heading
path and text, cut to 600 characters) are put to SmolLM2-135M-Instruct one at a time: "Does this passage
answer the question? Answer yes or no." The documents are re-ordered by P(yes) / (P(yes) + P(no)) from
the first answer token's log-probabilities (ties keep search's order). Nothing is tuned: the prompt and
the rule were fixed before the first run. Scored at document level (recall@1, MRR; recall@5 cannot move)
against search's own order in the same run, with the time per query of both.

    .venv/bin/python benchmarks/rerank_chat.py [--corpus sample|harbor|ember|northwind] [--limit N]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, temp_home  # noqa: E402
from retrieval_quality import CORPORA, dedupe, load_queries, scores  # noqa: E402

from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.llm.llama import bundled_gguf  # noqa: E402
from coachgen.retrieval import search  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

PROMPT = ("<|im_start|>system\nYou judge search results for a sales team.<|im_end|>\n"
          "<|im_start|>user\nQuestion: {query}\n\nPassage ({title}):\n{text}\n\n"
          "Does this passage answer the question? Answer yes or no.<|im_end|>\n<|im_start|>assistant\n")


def labelled(corpus: str) -> tuple[Path, list[str], list[list[str]]]:
    """The folder to ingest, the queries and each query's relevant source files."""
    if corpus == "sample":
        items = load_queries()
        return KNOWLEDGE, [i["query"] for i in items], [[i["source"]] for i in items]
    data = yaml.safe_load((CORPORA / corpus / "labels" / "queries.yaml").read_text(encoding="utf-8"))
    items = data.get("queries", data) if isinstance(data, dict) else data
    return CORPORA / corpus / "handbook", [i["query"] for i in items], [list(i["relevant"]) for i in items]


def p_yes(llm, query: str, title: str, text: str) -> float:
    """P(yes) among yes/no for the first token the model would write."""
    out = llm.create_completion(PROMPT.format(query=query, title=title, text=text[:600]), max_tokens=1, logprobs=20, temperature=0.0)
    top = out["choices"][0]["logprobs"]["top_logprobs"][0]
    yes = sum(math.exp(v) for k, v in top.items() if k.strip().lower() == "yes")
    no = sum(math.exp(v) for k, v in top.items() if k.strip().lower() == "no")
    return yes / (yes + no) if yes + no else 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="sample")
    parser.add_argument("--limit", type=int, default=0)
    args = parser.parse_args()
    from llama_cpp import Llama

    folder, queries, wanted = labelled(args.corpus)
    if args.limit:
        queries, wanted = queries[:args.limit], wanted[:args.limit]
    kb = KnowledgeBase(load_settings(home=temp_home()), embedder=OnnxMiniLM())
    kb.ingest([folder])
    llm = Llama(model_path=str(bundled_gguf()), n_ctx=1024, verbose=False, logits_all=True)
    searched, reranked, search_s, rerank_s = [], [], [], []
    for query in queries:
        start = time.perf_counter()
        hits = search(kb, query, k=10)
        search_s.append(time.perf_counter() - start)
        best = {}
        for hit in hits:
            best.setdefault(hit.source, hit)
        order = dedupe([hit.source for hit in hits])
        start = time.perf_counter()
        judged = {source: p_yes(llm, query, best[source].title, best[source].text) for source in order[:5]}
        rerank_s.append(time.perf_counter() - start)
        top = sorted(order[:5], key=lambda s: -judged[s])  # sorted is stable: ties keep search's order
        searched.append(order)
        reranked.append(top + order[5:])
    before, after = scores(searched, wanted), scores(reranked, wanted)
    print(f"{args.corpus}: {len(queries)} queries, document level")
    for metric in ("recall@1", "recall@5", "mrr"):
        print(f"  {metric:<9} search {before[metric]:.3f}   + chat rerank {after[metric]:.3f}")
    s, r = statistics.median(search_s) * 1000, statistics.median(rerank_s) * 1000
    print(f"  per query p50: search {s:.0f} ms, rerank of 5 {r:.0f} ms (ratio {r / s:.0f}x)")


if __name__ == "__main__":
    main()
