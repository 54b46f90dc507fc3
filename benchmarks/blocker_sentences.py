"""Blockers found sentence by sentence: precision and recall per blocker on hand-labelled single sentences.

``tests/fixtures/blocker_sentences.yaml`` (188 sentences, written from the blockers' descriptions only, without
reading the patterns or examples): plain and paraphrased blockers (a discount given for nothing without the word
"discount", running a competitor down without insult words, a casual guarantee) beside look-alikes (a concession
traded for something, the product's own discount feature, a refusal to promise, a fair comparison). Each
sentence is read as a one-sentence answer with its world's rubric (the sample's for Tallyfold, the default for
Quarrymark) and competitor names. It is a tuning set: use it to choose patterns, examples and thresholds, then
report on the drill hold-outs (``drill_scoring.py``).

    python benchmarks/blocker_sentences.py [--errors]
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from coachgen.answer_reading import Material, read_answer  # noqa: E402
from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.knowledge.defaults import load  # noqa: E402
from coachgen.rubric import parse_rubric  # noqa: E402

LABELLED = ROOT / "tests" / "fixtures" / "blocker_sentences.yaml"
WORLDS = {
    "tallyfold": (ROOT / "knowledge" / "rubrics" / "objection-handling.yaml", ["Quorvel", "Brightbook"]),
    "quarrymark": (None, ["Haulsight", "Tracwell", "Stackyard"]),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list the missed and the wrongly flagged sentences")
    args = parser.parse_args()
    embedder = OnnxMiniLM()
    rubrics = {world: parse_rubric(yaml.safe_load(path.read_text(encoding="utf-8")) if path else copy.deepcopy(load("rubric")), world)
               for world, (path, _) in WORLDS.items()}
    items = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))["sentences"]
    found, said, real, errors = Counter(), Counter(), Counter(), []
    for item in items:
        reading = read_answer([item["text"]], "Your price is too high.", "", rubrics[item["world"]], embedder,
                              Material(competitors=WORLDS[item["world"]][1]))
        got = {blocker.id for blocker, _ in reading.blocked}
        want = {item["blocker"]} - {"none"}
        found.update(got & want)
        said.update(got)
        real.update(want)
        errors += [("missed", b, item["kind"], item["text"]) for b in want - got] + [("flagged", b, item["kind"], item["text"]) for b in got - want]
    print(f"{len(items)} sentences; per blocker: precision / recall (found of labelled)")
    for blocker in sorted(real):
        print(f"  {blocker:<20} {found[blocker] / max(said[blocker], 1):.2f} / {found[blocker] / real[blocker]:.2f} ({found[blocker]} of {real[blocker]})")
    total = sum(found.values())
    print(f"  all                  {total / max(sum(said.values()), 1):.2f} / {total / sum(real.values()):.2f}")
    by_kind = Counter(kind for verdict, _, kind, _ in errors if verdict == "missed")
    print(f"missed by kind: {dict(by_kind)}")
    if args.errors:
        for error in errors:
            print("  ", *error)


if __name__ == "__main__":
    main()
