"""Note-sentence reading against hand labels: precision and recall per class, speaker and MEDDPICC accuracy.

The labels are ``tests/fixtures/note_sentences.yaml`` (written from the two CRM exports by a second hand that did
not read coachgen's code; its ``tuning`` list was used to tune the cue weights, and both lists, read twice,
now train the head of ``train_note_head.py``) and ``tests/fixtures/note_sentences_fresh.yaml`` (written
later by another hand, never used to fit or choose anything: the ``fresh`` split). A majority-class
baseline is printed in the same run; ``--nearest`` reads without the trained head, as under any other embedder.

``--objections`` also asks the question that matters downstream: how many sentences of each class make a
plan raise one of the team's objections (``grounding.raised_objections``), with the sample's sentences read
against the bundled knowledge base and northwind's against its handbook (NOTE_BENCH_HOMES=DIR keeps both).

    python benchmarks/note_reading.py [--split tuning|holdout|fresh|all] [--nearest] [--errors] [--objections]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.note_reading import LABELS, read_sentences  # noqa: E402

sys.path.insert(0, str(ROOT / "benchmarks"))
LABELLED = ROOT / "tests" / "fixtures" / "note_sentences.yaml"
FRESH = ROOT / "tests" / "fixtures" / "note_sentences_fresh.yaml"


def _snake(element: str) -> str:
    return element.lower().replace(" ", "_")


def per_class(gold: list[str], predicted: list[str]) -> dict[str, tuple[float, float, int]]:
    """label -> (precision, recall, support)."""
    result = {}
    for label in LABELS:
        tp = sum(g == p == label for g, p in zip(gold, predicted))
        said = sum(p == label for p in predicted)
        real = sum(g == label for g in gold)
        result[label] = (tp / said if said else 0.0, tp / real if real else 0.0, real)
    return result


def measure(embedder: OnnxMiniLM, items: list[dict], name: str, errors: bool) -> dict[str, object]:
    """Print and return the figures for one split."""
    start = time.perf_counter()
    readings = read_sentences(embedder, [item["text"] for item in items])
    seconds = time.perf_counter() - start
    gold = [item["label"] for item in items]
    predicted = [r.label for r in readings]
    majority = Counter(gold).most_common(1)[0][0]
    print(f"\n== {name}: {len(items)} sentences ({seconds * 1000 / len(items):.1f} ms each) ==")
    print(f"{'class':<14}{'P':>6}{'R':>6}{'n':>5}   baseline (all '{majority}') P/R")
    base = per_class(gold, [majority] * len(gold))
    for label, (p, r, n) in per_class(gold, predicted).items():
        print(f"{label:<14}{p:>6.2f}{r:>6.2f}{n:>5}   {base[label][0]:.2f}/{base[label][1]:.2f}")
    accuracy = sum(g == p for g, p in zip(gold, predicted)) / len(gold)
    print(f"accuracy {accuracy:.2f} (baseline {Counter(gold)[majority] / len(gold):.2f})")
    flipped = sum(g == "buying_signal" and p == "concern" for g, p in zip(gold, predicted))
    print(f"buying_signal read as concern: {flipped} of {gold.count('buying_signal')}")
    speaker = sum(item["speaker"] == r.speaker for item, r in zip(items, readings)) / len(items)
    print(f"speaker accuracy {speaker:.2f} (baseline all 'buyer' {sum(i['speaker'] == 'buyer' for i in items) / len(items):.2f})")
    tp = said = real = 0
    for item, r in zip(items, readings):
        mine = {(_snake(e), s) for e, s in r.meddpicc.items()}
        theirs = {(e, s) for e, s in (item["meddpicc"] or {}).items()}
        tp, said, real = tp + len(mine & theirs), said + len(mine), real + len(theirs)
    print(f"MEDDPICC element+status: P {tp / max(said, 1):.2f} R {tp / max(real, 1):.2f} ({real} labelled)")
    dated = [(item, r) for item, r in zip(items, readings) if item["label"] == "commitment" and r.label == "commitment"]
    print(f"commitment dates found: {sum(bool(r.date) for _, r in dated)} of {len(dated)} correctly labelled commitments")
    if errors:
        for item, r in zip(items, readings):
            if item["label"] != r.label:
                print(f"  {item['id']} {item['label']:>13} -> {r.label:<13} {item['text'][:110]}")
    return {"accuracy": accuracy, "flipped": flipped}


def objections_raised(items: list[dict], name: str, homes: dict[str, object]) -> None:
    """Per gold class: how many sentences make a plan raise a team objection, each in its own knowledge base."""
    from common import KNOWLEDGE, temp_home

    from coachgen.artifacts.grounding import raised_objections
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import load_settings

    roots = {"sample": KNOWLEDGE, "northwind": ROOT / "tests" / "corpora" / "northwind" / "handbook"}
    for corpus, root in roots.items():
        if corpus not in homes:
            base = os.environ.get("NOTE_BENCH_HOMES")
            home = Path(base) / corpus if base else temp_home()
            kb = KnowledgeBase(load_settings(home=home))
            report = kb.ingest([root])  # unchanged files are skipped when the home is kept
            assert not report.errors, report.errors
            homes[corpus] = kb
    raised: Counter = Counter()
    for item in items:
        kb = homes["northwind" if item["source"].startswith("northwind") else "sample"]
        raised[item["label"]] += bool(raised_objections(kb, item["text"]))
    gold = Counter(item["label"] for item in items)
    print(f"{name}: sentences that make a plan raise a team objection, per gold class: " +
          ", ".join(f"{label} {raised[label]}/{gold[label]}" for label in LABELS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["tuning", "holdout", "fresh", "all"], default="all")
    parser.add_argument("--nearest", action="store_true", help="read by nearest exemplars and cue weights, without the trained head")
    parser.add_argument("--errors", action="store_true", help="list misread sentences (never on the fresh split)")
    parser.add_argument("--objections", action="store_true", help="also count the sentences that raise a team objection in a plan (always with the shipped reader)")
    args = parser.parse_args()
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    data["fresh"] = yaml.safe_load(FRESH.read_text(encoding="utf-8"))["holdout"]
    embedder = OnnxMiniLM()
    if args.nearest:
        embedder.name += " (no trained head)"  # the head applies only to the embedder it was fitted on
    for split in ("tuning", "holdout", "fresh"):
        if args.split in (split, "all"):
            measure(embedder, data[split], split, args.errors and split != "fresh")
    if args.objections:
        homes: dict[str, object] = {}
        for split in ("tuning", "holdout", "fresh"):
            if args.split in (split, "all"):
                objections_raised(data[split], split, homes)


if __name__ == "__main__":
    main()
