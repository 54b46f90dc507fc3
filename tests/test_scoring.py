"""Deterministic answer checks, the scorer's combination rule, and the hand-scored calibration fixture."""

from pathlib import Path

import pytest
import yaml

from coachgen.answer_checks import run_check
from coachgen.artifacts.scoring import judge_schema, level_of, quadratic_weighted_kappa, score_answers
from coachgen.rubric import parse_rubric
from conftest import KNOWLEDGE

RUBRIC = parse_rubric(yaml.safe_load((KNOWLEDGE / "rubrics" / "objection-handling.yaml").read_text()), "rubric")
LIBRARY = {e["id"]: e for e in yaml.safe_load((KNOWLEDGE / "objections" / "objection-library.yaml").read_text())["objections"]}
FIXTURE = yaml.safe_load((Path(__file__).parent / "fixtures" / "drill_calibration.yaml").read_text())
PRICE = "Your price is too high."


@pytest.mark.parametrize("check, answer, level", [
    ("acknowledge", "No, that's not true, we are cheaper.", 1),
    ("acknowledge", "I understand, but we are worth it.", 2),
    ("acknowledge", "We are worth it. I understand the concern though.", 3),
    ("acknowledge", "Thanks for raising it. What are you comparing against?", 4),
    ("acknowledge", "I hear you that the price feels high.", 5),
    ("explore", "We are worth it.", 1),
    ("explore", "Wouldn't you agree quality costs money?", 2),
    ("explore", "We are worth it. What are you comparing it with?", 3),
    ("explore", "What are you comparing it with? We are worth it.", 4),
    ("explore", "Compared to what? And how do you budget for AP tools today?", 5),
    ("confirm", "So that's settled then.", 2),
    ("confirm", "Makes sense, right?", 3),
    ("confirm", "Does that answer your concern?", 4),
    ("confirm", "Does that answer it? Is there anything else standing in the way?", 5),
    ("next_step", "Let's stay in touch.", 2),
    ("next_step", "Shall we set up a demo?", 3),
    ("next_step", "I'll send a proposal today.", 3),
    ("next_step", "Let's book a call on Tuesday.", 4),
    ("next_step", "Could we book a call on Tuesday at 2pm with your CFO?", 5),
])
def test_checks_give_the_rubric_levels(check, answer, level):
    result = run_check(check, [answer], PRICE, LIBRARY["price-too-high"]["response"])
    assert result.level == level
    assert result.evidence is None or result.evidence in answer


def test_respond_rewards_evidence_in_the_buyers_terms():
    reference = LIBRARY["price-too-high"]["response"]
    levels = [run_check("respond_value", [a], PRICE, reference).level for a in (
        "Hmm.", "We're the best in class, trust me.", "Most customers save 20 hours a week.",
        "Customers save hours per AP clerk and take days off the close.",
        "For your team that is 20 hours saved per AP clerk and three days off your close.")]
    assert levels == [1, 2, 3, 4, 5]


def test_model_scores_count_only_with_the_reps_own_words():
    schema = judge_schema(RUBRIC)
    answers = ["I hear you that the price feels high. What are you comparing it with?"]
    judged = schema.model_validate({c.id: {"score": 5, "quote": "I hear you that the price feels high."} for c in RUBRIC.criteria})
    sheet = score_answers(RUBRIC, answers, PRICE, LIBRARY["price-too-high"]["response"], judged)
    acknowledge = sheet.criteria[0]
    assert (acknowledge.check_level, acknowledge.model_level, acknowledge.score, acknowledge.by) == (5, 5, 5.0, "checks+model")
    confirm = next(c for c in sheet.criteria if c.criterion == "confirm")
    assert (confirm.check_level, confirm.model_level, confirm.score) == (1, 5, 3.0)
    made_up = schema.model_validate({c.id: {"score": 5, "quote": "We guarantee savings."} for c in RUBRIC.criteria})
    sheet = score_answers(RUBRIC, answers, PRICE, "", made_up)
    assert all(c.model_level is None for c in sheet.criteria) and sheet.notes
    assert sheet.score == round(sum(c.weight * c.score for c in sheet.criteria), 2)


def test_a_blocker_fails_an_attempt_whatever_the_score():
    answer = ("I hear you that the price feels high. What are you comparing it with? Customers save 20 hours a week per AP clerk. "
              "I can give you a 25% discount. Does that answer it? Can we book Tuesday at 2pm with your CFO?")
    sheet = score_answers(RUBRIC, [answer], PRICE, LIBRARY["price-too-high"]["response"])
    assert sheet.score >= 4 and not sheet.passed and sheet.blockers[0].evidence == "I can give you a 25% discount."
    assert sheet.stop.startswith("Cuts the price")


def test_quadratic_weighted_kappa_against_hand_computed_values():
    assert quadratic_weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == 1
    assert quadratic_weighted_kappa([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) == pytest.approx(-1)
    assert quadratic_weighted_kappa([1, 2, 3], [1, 2, 2]) == pytest.approx(2 / 3)  # 1 - 0.0625 / 0.1875, worked by hand
    assert [level_of(x) for x in (1.0, 2.49, 2.5, 4.75)] == [1, 2, 3, 5]
    with pytest.raises(ValueError):
        quadratic_weighted_kappa([1], [])


def test_the_calibration_fixture_is_complete_and_the_checks_agree_with_it():
    answers = FIXTURE["answers"]
    assert len(answers) >= 20 and len({a["id"] for a in answers}) == len(answers)
    criteria = [c.id for c in RUBRIC.criteria]
    assert all(sorted(a["scores"]) == sorted(criteria) and all(1 <= v <= 5 for v in a["scores"].values()) for a in answers)
    assert all(a["objection"] in LIBRARY and set(a["blocked"]) <= {b.id for b in RUBRIC.blockers} for a in answers)
    human, machine = [], []
    for a in (a for a in answers if a["split"] == "holdout"):
        entry = LIBRARY[a["objection"]]
        sheet = score_answers(RUBRIC, [a["answer"]], entry["objection"], entry["response"])
        assert sorted(b.blocker for b in sheet.blockers) == sorted(a["blocked"])
        human += [a["scores"][c] for c in criteria]
        machine += [level_of(s.score) for s in sheet.criteria]
    assert quadratic_weighted_kappa(human, machine) >= 0.7  # measured 0.87: see benchmarks/drill_calibration.py
