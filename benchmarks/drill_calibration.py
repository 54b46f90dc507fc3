"""Agreement of the drill scorer with human rubric scores (quadratic weighted kappa).

Scores every answer of tests/fixtures/drill_calibration.yaml with the deterministic checks alone and
with the checks combined with the embedded chat model as judge, and reports QWK against the human
scores over all criterion scores (and per criterion), separately for the answers used to tune the
checks and for the hold-out answers, plus pass/fail and blocker agreement. Baseline in the same run:
a constant scorer giving every criterion the human scores' median (QWK 0 by construction).
Run: .venv/bin/python benchmarks/drill_calibration.py [--no-model] [--model-weight 0.5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, ROOT, temp_home  # noqa: E402

from coachgen.artifacts.common import SourcePack  # noqa: E402
from coachgen.artifacts.drill import DrillCard, Persona, Pick, resolve_rubric, strong_answer  # noqa: E402
from coachgen.artifacts.roleplay import judge  # noqa: E402
from coachgen.artifacts.scoring import level_of, quadratic_weighted_kappa, score_answers  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.llm.models import make_chat_model  # noqa: E402
from coachgen.prompts import PromptLibrary  # noqa: E402
from coachgen.retrieval import library  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "drill_calibration.yaml"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-model", action="store_true", help="Deterministic checks only.")
    parser.add_argument("--model-weight", type=float, default=0.5)
    args = parser.parse_args()
    kb = KnowledgeBase(load_settings(home=temp_home()))
    kb.ingest([KNOWLEDGE])
    rubric, _ = resolve_rubric(kb)
    prompts = PromptLibrary(kb.settings)
    entries = {hit.doc_key.rsplit("#", 1)[-1]: hit for hit in library(kb, "objection")}
    fixture = yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))
    model = None if args.no_model else make_chat_model(kb.settings)
    runs = {"checks": {}, "checks+model": {}}
    seconds = []
    for item in fixture["answers"]:
        hit = entries[item["objection"]]
        objection = hit.section.rsplit(" > ", 1)[-1]
        card = DrillCard(objection_key=hit.doc_key, objection=objection, why="calibration", difficulty=1,
                         persona=Persona(name="the buyer", role="buyer"), situation="", buyer_line=objection, pushbacks=[],
                         strong_answer=strong_answer(kb, Pick(hit, objection, "calibration"), SourcePack()))
        reference = " ".join(line.text for line in card.strong_answer)
        runs["checks"][item["id"]] = score_answers(rubric, [item["answer"]], objection, reference)
        if model is not None:
            start = time.perf_counter()
            judgement, _, _ = judge(model, prompts, rubric, card, [item["answer"]])
            seconds.append(time.perf_counter() - start)
            runs["checks+model"][item["id"]] = score_answers(rubric, [item["answer"]], objection, reference, judgement, args.model_weight)
    criteria = [c.id for c in rubric.criteria]
    human_all = [item["scores"][c] for item in fixture["answers"] for c in criteria]
    constant = [int(statistics.median(human_all))] * len(human_all)
    print(f"answers: {len(fixture['answers'])}; criteria: {', '.join(criteria)}; rubric {rubric.id} {rubric.version}")
    print(f"baseline (constant median score): QWK {quadratic_weighted_kappa(human_all, constant):.2f}")
    for name, cards in runs.items():
        if not cards:
            continue
        for split in ("tuning", "holdout", "all"):
            items = [i for i in fixture["answers"] if split == "all" or i["split"] == split]
            human = [i["scores"][c] for i in items for c in criteria]
            machine = [level_of(next(s.score for s in cards[i["id"]].criteria if s.criterion == c)) for i in items for c in criteria]
            print(f"{name:13s} {split:8s} n={len(items):2d}  QWK {quadratic_weighted_kappa(human, machine):.2f}")
        per = []
        for c in criteria:
            human = [i["scores"][c] for i in fixture["answers"]]
            machine = [level_of(next(s.score for s in cards[i["id"]].criteria if s.criterion == c)) for i in fixture["answers"]]
            per.append(f"{c} {quadratic_weighted_kappa(human, machine):.2f}")
        print(f"{name:13s} per criterion: {'; '.join(per)}")
        blockers = sum(sorted(b.blocker for b in cards[i["id"]].blockers) == sorted(i["blocked"]) for i in fixture["answers"])
        used = sum(1 for i in fixture["answers"] for s in cards[i["id"]].criteria if s.model_level is not None)
        print(f"{name:13s} blockers identical on {blockers}/{len(fixture['answers'])} answers; model scores used: {used}/{len(human_all)}")
    if seconds:
        print(f"judge time per answer: median {statistics.median(seconds):.1f} s")


if __name__ == "__main__":
    main()
