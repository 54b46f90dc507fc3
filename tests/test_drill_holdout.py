"""The drill scorer on the independent hold-out answers: a guard that its agreement with the labels does not slip.

tests/fixtures/drill_holdout.yaml was written and labelled from the rubric's descriptors by a hand that
never read the scoring code, and nothing was tuned on it (benchmarks/RESULTS.md has the figures and
their intervals). The floors below sit under the measured values (overall QWK 0.75, pass/fail kappa
0.69, blocker recall 0.85); real embedder, both knowledge bases ingested (about a minute).
tests/fixtures/drill_holdout_fresh.yaml, written later by another hand, is guarded the same way under its
own figures (overall 0.73, pass/fail kappa 0.64, blocker precision 1.00 when it was a hold-out; it is tuning
material now). tests/fixtures/drill_holdout_fresh2.yaml likewise (overall 0.75, pass/fail kappa 0.59 and one
keyword-stuffed answer passing as a hold-out; tuning material now, where no stuffed answer passes).
tests/fixtures/drill_holdout_fresh3.yaml, the newest hold-out, under its figures (overall 0.76, pass/fail kappa
0.49, blocker precision 0.88, one keyword-stuffed answer passing).
"""

import sys
from functools import cache
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from drill_scoring import Scorer, _metrics, answers  # noqa: E402


@pytest.fixture(scope="module")
def scorer():
    return Scorer(with_model=False)


def _ids(rows, style, passed):
    """Ids of the answers whose style starts with ``style`` that the scorer passed (``passed``) or failed."""
    return [item["id"] for item, card in rows if item["style"].startswith(style) and card.passed == passed]


@pytest.fixture(scope="module")
def scored(scorer):
    """A fixture file's answers with their scorecards, each file scored once per module: ``scored("holdout")``."""
    return cache(lambda name: [(item, scorer.score(item)[0]) for item in answers(name)])


def test_hold_out_agreement_stays_above_its_floors(scored):
    metrics = _metrics(scored("holdout"))
    assert metrics["overall"] >= 0.70 and metrics["pass kappa"] >= 0.55
    assert metrics["blocker recall"] >= 0.75 and metrics["blocker precision"] >= 0.7
    assert min(metrics[c] for c in ("explore", "respond", "confirm", "next_step")) >= 0.55


def test_no_excellent_answer_fails(scored):
    assert _ids(scored("holdout"), "excellent", passed=False) == []


def test_the_fresh_hold_out_stays_above_its_floors(scored):
    rows = scored("holdout_fresh")
    metrics = _metrics(rows)
    assert metrics["overall"] >= 0.68 and metrics["pass kappa"] >= 0.55 and metrics["blocker precision"] >= 0.9
    assert _ids(rows, "excellent", passed=False) == [] and _ids(rows, "stuffed", passed=True) == []


def test_the_second_fresh_hold_out_stays_above_its_floors(scored):
    rows = scored("holdout_fresh2")
    metrics = _metrics(rows)
    assert metrics["overall"] >= 0.72 and metrics["pass kappa"] >= 0.55 and metrics["blocker precision"] >= 0.9
    assert min(metrics[c] for c in ("explore", "confirm", "next_step")) >= 0.75
    assert _ids(rows, "excellent", passed=False) == [] and _ids(rows, "stuffed", passed=True) == []


def test_the_third_fresh_hold_out_stays_above_its_floors(scored):
    rows = scored("holdout_fresh3")
    metrics = _metrics(rows)
    assert metrics["overall"] >= 0.72 and metrics["pass kappa"] >= 0.42 and metrics["blocker precision"] >= 0.8
    assert min(metrics[c] for c in ("explore", "respond", "confirm", "next_step")) >= 0.6
    assert _ids(rows, "excellent", passed=False) == []
    assert len(_ids(rows, "stuffed", passed=True)) <= 1  # one passes today (benchmarks/RESULTS.md)


def test_feedback_quotes_the_reps_own_sentences(scored):
    for item, card in scored("holdout"):
        for quote in (card.strongest, card.weakest):
            assert quote is None or quote in item["answer"]
