"""The drill checks read what an answer does, the combination rule, blockers with context, and kappa.

Real embedder throughout (the checks compare sentences by meaning); the knowledge base is the sample's,
whose competitor records give the blocker its names.
"""

import copy

import pytest
import yaml

from coachgen.answer_checks import run_check
from coachgen.answer_reading import read_answer
from coachgen.artifacts.scoring import judge_schema, level_of, quadratic_weighted_kappa, score_answers
from coachgen.knowledge.defaults import load
from coachgen.rubric import parse_rubric
from conftest import KNOWLEDGE

RUBRIC = parse_rubric(yaml.safe_load((KNOWLEDGE / "rubrics" / "objection-handling.yaml").read_text()), "rubric")
DEFAULT = parse_rubric(copy.deepcopy(load("rubric")), "default rubric")
LIBRARY = {e["id"]: e for e in yaml.safe_load((KNOWLEDGE / "objections" / "objection-library.yaml").read_text())["objections"]}
PRICE = "Your price is too high."
SECURITY = "We can't put our payment data in a cloud tool."


def level(check: str, answer: str, embedder, objection: str = PRICE, reference: str | None = None) -> int:
    reading = read_answer([answer], objection, reference if reference is not None else LIBRARY["price-too-high"]["response"], RUBRIC, embedder)
    return run_check(check, reading).level


@pytest.mark.parametrize("check, answer, expected", [
    ("acknowledge", "No, that's not true, we are cheaper.", 1),
    ("acknowledge", "I understand, but we are worth it.", 2),
    ("acknowledge", "I hear you.", 3),
    ("acknowledge", "Paying more than you planned for a tool is a real worry, and you're right to push on it.", 4),
    ("acknowledge", "A price that feels too high is fair to push back on.", 5),
    ("explore", "We are worth it.", 1),
    ("explore", "Wouldn't you agree quality costs money?", 2),
    ("explore", "We are worth it. What are you comparing it with?", 3),
    ("explore", "What are you comparing it with? We are worth it.", 4),
    ("explore", "Compared to what? And how do you budget for AP tools today?", 5),
    ("confirm", "So that's settled then.", 2),
    ("confirm", "Customers save 20 hours a week per clerk. Does that answer your concern?", 4),
    ("confirm", "Customers save 20 hours a week per clerk. Does that answer it, or is anything else standing in the way?", 5),
    ("next_step", "Let's stay in touch.", 2),
    ("next_step", "Shall we set up a demo?", 3),
    ("next_step", "Let's meet on Tuesday to go through it.", 4),
    ("next_step", "Could we put 30 minutes in on Thursday at 2pm with you and your CFO?", 5),
])
def test_checks_give_the_rubric_levels(check, answer, expected, embedder):
    assert level(check, answer, embedder) == expected


def test_a_plain_acknowledgement_beats_stock_words(embedder):
    plain = "Your payment data is the last thing anyone should be casual about, and it's right that you ask."
    assert level("acknowledge", plain, embedder, SECURITY) >= 4
    assert level("acknowledge", "Totally understand, I hear you.", embedder, SECURITY) <= 3


def test_a_dated_next_step_needs_no_stock_verb(embedder):
    assert level("next_step", "Thursday at 2pm, you, your CFO and me, thirty minutes on the numbers - does that work?", embedder) == 5
    assert level("next_step", "Let's book a call.", embedder) == 3


def test_stock_phrases_earn_no_substance(embedder, sample_kb):
    stuffed = ("I totally understand, I hear you. Great question. What's behind that? Our ROI speaks for itself. "
               "Does that answer it? Let's book a call.")
    sheet = score_answers(RUBRIC, [stuffed], PRICE, LIBRARY["price-too-high"]["response"], kb=sample_kb)
    respond = next(c for c in sheet.criteria if c.criterion == "respond")
    assert respond.score <= 2 and not sheet.passed


def test_wording_tricks_do_not_move_the_score(embedder, sample_kb):
    answer = ("Price matters for a team your size. What are you comparing it with? Customers save about 20 hours a week per AP "
              "clerk, which pays for the licence inside six months. Could we run your numbers on Thursday at 2pm with your controller?")
    reference = LIBRARY["price-too-high"]["response"]
    base = score_answers(RUBRIC, [answer], PRICE, reference, kb=sample_kb).score
    assert score_answers(RUBRIC, ["I understand. " + answer], PRICE, reference, kb=sample_kb).score <= base
    rambling = ("so the thing is price matters and what are you comparing it with because customers save about 20 hours a week per AP "
                "clerk and that pays for the licence inside six months and we could run your numbers on Thursday at 2pm with your controller")
    split = ". ".join(part.strip().capitalize() for part in rambling.split(" and ")) + "."
    assert score_answers(RUBRIC, [rambling], PRICE, reference, kb=sample_kb).passed == \
        score_answers(RUBRIC, [split], PRICE, reference, kb=sample_kb).passed


@pytest.mark.parametrize("rubric", [RUBRIC, DEFAULT], ids=["sample rubric", "default rubric"])
def test_every_blocker_catches_its_examples_and_spares_its_counterexamples(rubric, embedder):
    assert rubric.blocker_problems() == []
    for blocker in rubric.blockers:
        for text, shows in [(e, True) for e in blocker.examples] + [(c, False) for c in blocker.counterexamples]:
            reading = read_answer([text], PRICE, "", rubric, embedder)
            assert (blocker.id in {b.id for b, _ in reading.blocked}) is shows, (blocker.id, text)


@pytest.mark.parametrize("answer, blocked", [
    ("Tallyfold also captures early-payment discounts from your suppliers, so the licence pays for itself.", set()),
    ("I won't promise you a roadmap date I don't own.", set()),
    ("Honestly, Brightbook is a dinosaur.", {"attacks-competitor"}),
    ("I give you my word you'll have zero issues.", {"overpromise"}),
    ("Tell you what, I'll take a chunk off the price.", {"unearned-discount"}),
    ("If you sign a two-year term, I can move on price.", set()),
])
def test_blockers_read_context_and_paraphrase(answer, blocked, sample_kb):
    sheet = score_answers(RUBRIC, [answer], PRICE, LIBRARY["price-too-high"]["response"], kb=sample_kb)
    assert {b.blocker for b in sheet.blockers} == blocked


def test_model_scores_count_only_with_the_reps_own_words(embedder):
    schema = judge_schema(RUBRIC)
    answers = ["Paying more than you planned for a tool is a real worry. What are you comparing it with?"]
    judged = schema.model_validate({c.id: {"score": 5, "quote": "What are you comparing it with?"} for c in RUBRIC.criteria})
    sheet = score_answers(RUBRIC, answers, PRICE, LIBRARY["price-too-high"]["response"], judged, embedder=embedder)
    confirm = next(c for c in sheet.criteria if c.criterion == "confirm")
    assert (confirm.check_level, confirm.model_level, confirm.score, confirm.by) == (1, 5, 3.0, "checks+model")
    made_up = schema.model_validate({c.id: {"score": 5, "quote": "We guarantee savings."} for c in RUBRIC.criteria})
    sheet = score_answers(RUBRIC, answers, PRICE, "", made_up, embedder=embedder)
    assert all(c.model_level is None for c in sheet.criteria) and sheet.notes
    assert sheet.score == round(sum(c.weight * c.score for c in sheet.criteria), 2)


def test_a_blocker_fails_an_attempt_whatever_the_score(sample_kb):
    answer = ("Paying more than you planned is a real worry. What are you comparing it with? Customers save 20 hours a week per AP clerk. "
              "I can give you a 25% discount. Does that answer it? Can we book Tuesday at 2pm with your CFO?")
    sheet = score_answers(RUBRIC, [answer], PRICE, LIBRARY["price-too-high"]["response"], kb=sample_kb)
    assert sheet.score >= 3.5 and not sheet.passed and sheet.blockers[0].evidence == "I can give you a 25% discount."
    assert sheet.stop.startswith("Cuts the price") and sheet.weakest == "I can give you a 25% discount."


def test_quadratic_weighted_kappa_against_hand_computed_values():
    assert quadratic_weighted_kappa([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]) == 1
    assert quadratic_weighted_kappa([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]) == pytest.approx(-1)
    assert quadratic_weighted_kappa([1, 2, 3], [1, 2, 2]) == pytest.approx(2 / 3)  # 1 - 0.0625 / 0.1875, worked by hand
    assert [level_of(x) for x in (1.0, 2.49, 2.5, 4.75)] == [1, 2, 3, 5]
    with pytest.raises(ValueError):
        quadratic_weighted_kappa([1], [])


def test_a_rubric_without_exemplars_borrows_the_defaults(embedder):
    bare = RUBRIC.model_copy(update={"criteria": [c.model_copy(update={"exemplars": {}}) for c in RUBRIC.criteria], "sha256": "bare"})
    assert level("explore", "Compared to what? And how do you budget for AP tools today?", embedder) == \
        run_check("explore", read_answer(["Compared to what? And how do you budget for AP tools today?"], PRICE, "", bare, embedder)).level


def test_a_competitor_run_down_in_other_words_is_a_blocker_and_a_fair_comparison_is_not(embedder):
    from coachgen.answer_reading import Material

    def blocked(answer: str) -> list[str]:
        reading = read_answer([answer], "We already use Rivalco.", "", DEFAULT, embedder, Material(competitors=["Rivalco"]))
        return [b.id for b, _ in reading.blocked]

    assert "attacks-competitor" in blocked("Honestly, Rivalco stopped caring about the people who pay them a long time ago.")
    assert "attacks-competitor" not in blocked("Rivalco bills per user; we bill per site, with every user included.")


def test_a_question_about_what_was_just_said_confirms_the_answer_landed(embedder):
    answer = ("Paying more than you planned is hard to defend. Customers cut the cost of each invoice by two thirds in the first year. "
              "Does that change how the number looks next to your budget?")
    assert level("confirm", answer, embedder) >= 4


def test_the_buyers_own_absolute_echoed_back_is_not_an_overpromise(embedder):
    objection = "Our drivers will never use another app."
    echoed = read_answer(["Drivers who will never use another app are exactly who we built this for."], objection, "", DEFAULT, embedder)
    promised = read_answer(["Your drivers won't chase a paper form ever again."], objection, "", DEFAULT, embedder)
    assert [b.id for b, _ in echoed.blocked] == [] and [b.id for b, _ in promised.blocked] == ["overpromise"]


def test_stock_clauses_strung_together_are_still_stock_words(embedder):
    assert level("acknowledge", "Great point, I appreciate you sharing that, and I hear your concern.", embedder) == 3
    assert level("acknowledge", "Fair point, and at this price it should have to earn its place for a team your size.", embedder) >= 4


def test_a_statement_made_only_of_praise_is_a_generic_claim(embedder):
    objection = "We don't have the people to roll out another system."
    praise = "Our rollout is best-in-class and we make it seamless. Let's book a call."
    concrete = ("It's really simple: the operator sees their own machine, a checklist and one button, and the first check is done "
                "before the shift starts. Let's book a call.")
    reference = "The rollout needs none of your people: operators only see their own machine, a checklist and one button."
    assert level("respond_value", praise, embedder, objection, reference) <= 2
    assert level("respond_value", concrete, embedder, objection, reference) >= 3
    assert level("respond_value", "The rollout is simple and needs none of your people.", embedder, objection, reference) >= 3


@pytest.mark.parametrize("check_sentence, expected", [
    ("Tell me whether that changes how the number looks, and what, if anything, would still stop you.", 5),
    ("If that takes the weight off the budget worry, say so.", 4),
    ("Let me know if that answers it.", 4),
    ("Just let me know if that answers it.", 4),
    ("I'd rather know now if the budget is gone.", 1),  # candour, not a check
    ("Tell me if you need anything.", 1),  # a closing courtesy
    ("Tell me if it's the licence or the rollout that worries you.", 1),  # exploring, not checking
    ("Do you still keep invoices on paper?", 1),
])
def test_a_request_to_be_told_whether_it_landed_confirms(check_sentence, expected, embedder):
    answer = f"Paying more than you planned is hard to defend. Customers cut the cost of each invoice by two thirds in the first year. {check_sentence}"
    assert level("confirm", answer, embedder) == expected


def test_a_dated_step_asked_as_let_me_know_stays_a_next_step(embedder):
    answer = ("Paying more than you planned is hard to defend. Customers cut the cost of each invoice by two thirds in the first year. "
              "Let me know if it works to send the contract on Friday with your CFO.")
    assert level("next_step", answer, embedder) >= 4 and level("confirm", answer, embedder) == 1


def test_the_strongest_sentence_is_the_one_behind_the_heaviest_criterion_done_well(sample_kb):
    answer = ("Price matters for a team your size. What are you comparing it with? And how do you budget for AP tools today? "
              "Customers save about 20 hours a week per AP clerk, which pays for the licence inside six months.")
    sheet = score_answers(RUBRIC, [answer], PRICE, LIBRARY["price-too-high"]["response"], kb=sample_kb)
    levels = {c.criterion: c.score for c in sheet.criteria}
    assert levels["explore"] > levels["respond"] >= 3  # exploring scores higher, but responding weighs more
    assert sheet.strongest == "Customers save about 20 hours a week per AP clerk, which pays for the licence inside six months."
    assert sheet.strongest in sheet.keep  # the card praises one sentence, not two
