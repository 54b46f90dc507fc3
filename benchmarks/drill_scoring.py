"""The drill scorer against answers labelled from the rubric's descriptors, on two knowledge bases.

Fixtures: tests/fixtures/drill_holdout_fresh3.yaml (the hold-out, never tuned on), drill_tuning.yaml and the
older hold-outs (tuning material once reported), written and labelled by a second hand that did not read the scoring code; answers to objections of the
bundled sample and of the northwind corpus. Reports, per fixture: QWK per criterion and of the overall
level, pass/fail Cohen's kappa, blocker precision and recall (answer x blocker pairs), each with a
bootstrap 95% interval over answers; whether any keyword-stuffed answer passes or any excellent answer
fails; and how often the scorecard's strongest / weakest sentence is the labelled one. Baselines in
the same run: a constant scorer (QWK 0) and the rubric's regex blockers alone.
Run: .venv/bin/python benchmarks/drill_scoring.py [--model] [--fixture holdout|tuning|both] [--misses]
(DRILL_BENCH_HOMES=DIR keeps the two indexes between runs.)
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, ROOT, temp_home  # noqa: E402

from coachgen.artifacts.common import SourcePack  # noqa: E402
from coachgen.artifacts.drill import DrillCard, Persona, Pick, resolve_rubric, strong_answer  # noqa: E402
from coachgen.artifacts.grounding import objection_entries, objection_of  # noqa: E402
from coachgen.artifacts.scoring import level_of, quadratic_weighted_kappa, score_answers  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

FIXTURES = {name: ROOT / "tests" / "fixtures" / f"drill_{name}.yaml" for name in ("holdout", "tuning", "calibration", "holdout_fresh", "holdout_fresh2", "holdout_fresh3")}
KNOWLEDGE_BASES = {"sample": KNOWLEDGE, "northwind": ROOT / "tests" / "corpora" / "northwind" / "handbook"}
WEIGHTS = {"acknowledge": 0.2, "explore": 0.25, "respond": 0.3, "confirm": 0.1, "next_step": 0.15}
BOOTSTRAP = 1000


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


class Scorer:
    """One knowledge base per fixture kb, its rubric and objection entries; scores an answer as ``drill`` would."""

    def __init__(self, with_model: bool) -> None:
        self.kbs: dict[str, tuple] = {}
        self.model = None
        if with_model:
            from coachgen.llm.models import make_chat_model
            from coachgen.prompts import PromptLibrary

            self.settings = load_settings(home=temp_home())
            self.model, self.prompts = make_chat_model(self.settings), PromptLibrary(self.settings)

    def _kb(self, name: str) -> tuple:
        if name not in self.kbs:
            home = Path(os.environ["DRILL_BENCH_HOMES"]) / name if os.environ.get("DRILL_BENCH_HOMES") else temp_home()
            kb = KnowledgeBase(load_settings(home=home))
            report = kb.ingest([KNOWLEDGE_BASES[name]])
            assert not report.errors, report.errors
            self.kbs[name] = (kb, resolve_rubric(kb)[0], objection_entries(kb))
        return self.kbs[name]

    def card(self, item: dict) -> tuple:
        kb, rubric, entries = self._kb(item["kb"])
        wanted = item.get("objection")
        entry = next((e for e in entries if wanted and e.doc_key.endswith(f"#{wanted}")), None) or \
            next((e for e in entries if _norm(objection_of(e)) == _norm(item["objection_text"])), None)
        objection = objection_of(entry) if entry is not None else item["objection_text"]
        pick = Pick(entry, objection, "benchmark")
        card = DrillCard(objection_key=entry.doc_key if entry else "custom", objection=objection, why="benchmark", difficulty=1,
                         persona=Persona(name="the buyer", role="buyer"), situation="", buyer_line=objection, pushbacks=[],
                         strong_answer=strong_answer(kb, pick, SourcePack()))
        return kb, rubric, card, entry is not None

    def score(self, item: dict):
        kb, rubric, card, found = self.card(item)
        reference = [line.text for line in card.strong_answer]
        judgement = None
        if self.model is not None:
            from coachgen.artifacts.roleplay import judge

            judgement, _, _ = judge(self.model, self.prompts, rubric, card, [item["answer"]])
        return score_answers(rubric, [item["answer"]], card.objection, reference, judgement, kb=kb), found


def _defaults(item: dict) -> dict:
    """Fields the older calibration fixture lacks: its answers are all to the sample's library."""
    return {"kb": "sample", "objection_text": "", "style": "", "strongest": "", "weakest": "", **item}


def answers(name: str) -> list[dict]:
    """The labelled answers of fixture ``name``, with the fields the older calibration fixture lacks filled in."""
    return [_defaults(item) for item in yaml.safe_load(FIXTURES[name].read_text(encoding="utf-8"))["answers"]]


def _human_level(item: dict) -> int:
    return level_of(sum(WEIGHTS[c] * item["scores"][c] for c in WEIGHTS))


def _passed(item: dict) -> bool:
    return sum(WEIGHTS[c] * item["scores"][c] for c in WEIGHTS) >= 3.0 - 1e-9 and not item["blocked"]


def _kappa(a: list[bool], b: list[bool]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def _blockers(rows: list[tuple[dict, object]]) -> tuple[float, float]:
    truth = {(item["id"], b) for item, _ in rows for b in item["blocked"]}
    found = {(item["id"], b.blocker) for item, card in rows for b in card.blockers}
    hits = len(truth & found)
    return (hits / len(found) if found else 1.0), (hits / len(truth) if truth else 1.0)


def _metrics(rows: list[tuple[dict, object]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for c in WEIGHTS:
        human = [item["scores"][c] for item, _ in rows]
        machine = [level_of(next(s.score for s in card.criteria if s.criterion == c)) for _, card in rows]
        out[c] = quadratic_weighted_kappa(human, machine)
    out["overall"] = quadratic_weighted_kappa([_human_level(item) for item, _ in rows], [level_of(card.score) for _, card in rows])
    out["pass kappa"] = _kappa([_passed(item) for item, _ in rows], [card.passed for _, card in rows])
    out["blocker precision"], out["blocker recall"] = _blockers(rows)
    return out


def _interval(rows: list[tuple[dict, object]], name: str) -> tuple[float, float]:
    rng = random.Random(7)
    values = []
    for _ in range(BOOTSTRAP):
        sample = [rng.choice(rows) for _ in rows]
        try:
            values.append(_metrics(sample)[name])
        except (ValueError, ZeroDivisionError):
            continue
    values.sort()
    return values[int(0.025 * len(values))], values[int(0.975 * len(values)) - 1]


def report(name: str, rows: list[tuple[dict, object]], misses: bool) -> None:
    metrics = _metrics(rows)
    per_kb = ", ".join(f"{kb} {sum(item['kb'] == kb for item, _ in rows)}" for kb in KNOWLEDGE_BASES)
    print(f"\n{name}: {len(rows)} answers ({per_kb})")
    for metric, value in metrics.items():
        low, high = _interval(rows, metric)
        print(f"  {metric:18s} {value:5.2f}  (95% {low:.2f}-{high:.2f})")
    stuffed = [i["id"] for i, card in rows if i["style"] == "stuffed" and card.passed]
    excellent = [i["id"] for i, card in rows if i["style"].startswith("excellent") and not card.passed]
    print(f"  stuffed answers passed: {len(stuffed)} {stuffed}; excellent answers failed: {len(excellent)} {excellent}")
    strongest = sum(_norm(card.strongest or "") == _norm(i["strongest"]) for i, card in rows)
    weakest = sum(_norm(card.weakest or "") == _norm(i["weakest"]) for i, card in rows)
    print(f"  strongest sentence as labelled: {strongest}/{len(rows)}; weakest: {weakest}/{len(rows)}")
    used = sum(1 for _, card in rows for s in card.criteria if s.model_level is not None)
    print(f"  model scores used: {used}/{len(rows) * len(WEIGHTS)}")
    if misses:
        for item, card in rows:
            got = {s.criterion: level_of(s.score) for s in card.criteria}
            off = {c: (item["scores"][c], got[c]) for c in WEIGHTS if abs(item["scores"][c] - got[c]) >= 2}
            blocked = sorted(b.blocker for b in card.blockers)
            if off or blocked != sorted(item["blocked"]) or _passed(item) != card.passed:
                print(f"  {item['id']} {item['style']}: label/scorer {off} blocked {item['blocked']}/{blocked} pass {_passed(item)}/{card.passed}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", action="store_true", help="Also let the embedded chat model judge (slow: seconds per answer).")
    parser.add_argument("--fixture", choices=(*FIXTURES, "both"), default="both",
                        help="calibration: the 32 older sample answers of drill_calibration.yaml, labelled by another hand; "
                             "holdout_fresh, holdout_fresh2: later hold-outs, tuning material now; holdout_fresh3: the hold-out")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--limit", type=int, default=0, help="Score only every n-th answer so that about this many remain (the judge is slow).")
    args = parser.parse_args()
    scorer = Scorer(args.model)
    names = ("tuning", "holdout") if args.fixture == "both" else (args.fixture,)
    for name in names:
        items = answers(name)
        if args.limit and args.limit < len(items):
            items = items[::-(-len(items) // args.limit)]
        rows, unmatched = [], 0
        for number, item in enumerate(items, 1):
            if args.model:
                print(f"  judging {number}/{len(items)}", file=sys.stderr, flush=True)
            card, found = scorer.score(item)
            unmatched += not found
            rows.append((item, card))
        report(name, rows, args.misses)
        if unmatched:
            print(f"  ({unmatched} objections not found in their knowledge base: scored against the objection text alone)")
    human = [item["scores"][c] for name in names for item in answers(name) for c in WEIGHTS]
    print(f"\nbaseline: a constant scorer (median {statistics.median(human)}) has QWK 0 on every criterion by construction")


if __name__ == "__main__":
    main()
