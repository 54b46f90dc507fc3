"""Drill cards, interactive role-play driven by scripted input, scoring and stored attempts (fake model at the LLM seam)."""

import json

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

from coachgen.artifacts.common import SourcePack
from coachgen.artifacts.drill import make_drill, pick_objections, resolve_rubric
from coachgen.artifacts.roleplay import run_roleplay
from coachgen.cli import app
from coachgen.errors import InputError, NotFoundError
from coachgen.prompts import PromptLibrary
from coachgen.render import drill_outline, render

PRICE = "objections/objection-library.yaml#price-too-high"
GOOD = ("That's a fair concern, price matters. Too high compared to what, another quote or your budget? "
        "Most customers your size save 20 hours a week per AP clerk. Does that answer it? "
        "Could we book 30 minutes on Thursday with your controller to run the numbers?")


def fake(*replies):
    return GenericFakeChatModel(messages=iter([AIMessage(content=json.dumps(r) if not isinstance(r, str) else r) for r in replies]))


def lines(*texts):
    """A fake model that always answers with buyer lines (enough for any number of calls)."""
    return fake(*[{"line": text} for text in texts * 20])


@pytest.fixture
def kb(copy_kb):
    return copy_kb


def drill(kb, model, **options):
    return make_drill(kb, PromptLibrary(kb.settings), model, "fake", **options)


def test_library_objection_card_has_cited_strong_answer_and_rubric(kb):
    result = drill(kb, lines("Honestly, your price is too high for what we planned to spend."), objection="Your price is too high.")
    card = result.cards[0]
    assert card.objection_key == PRICE and card.why == "asked for" and card.buyer_line.startswith("Honestly")
    assert card.strong_answer[0].text.startswith("Acknowledge it, then ask")
    assert all(set(line.sources) <= {s.number for s in result.sources} and line.sources for line in card.strong_answer)
    assert card.persona.deal_id and card.persona.account in card.situation
    assert result.rubric.id == "objection-handling" and result.notes == []
    page = render(result, "md", drill_outline(result))
    assert "## Card 1: Your price is too high." in page and "Pass mark: 3 of 5" in page and "Blocker, fails the attempt" in page


def test_an_objection_outside_the_library_gets_its_own_key_and_says_so(kb):
    result = drill(kb, lines("Fine."), objection="Your product is too slow for our month end.")
    card = result.cards[0]
    assert card.objection_key.startswith("custom:") and "not in the objection library" in card.why
    assert [line.text.split(" (")[0] for line in card.strong_answer] == ["Structure"]
    similar = drill(kb, lines("Fine."), objection="Too expensive for us").cards[0]
    assert similar.objection_key.startswith("custom:") and "Your price is too high." in similar.why
    assert similar.strong_answer[0].text.startswith("Acknowledge it")


def test_from_deals_uses_the_real_buyer_and_the_note_sentence(kb):
    result = drill(kb, lines("We are not signing for three years."), from_deals=True, rep="Dana Whitfield", count=2)
    card = result.cards[0]
    deal = kb.records.deal(card.persona.deal_id)
    assert deal["rep"] == "Dana Whitfield" and deal["status"] == "open"
    assert card.persona.name in deal["contacts"] and card.why.startswith(f"raised in {deal['id']}")
    assert "From the deal notes:" in card.situation


def test_topic_and_difficulty_add_pushbacks_and_a_senior_buyer(kb):
    result = drill(kb, lines("No."), topic="pricing", difficulty=3, count=2)
    assert [c.why for c in result.cards] == ["topic 'pricing'"] * 2
    assert all(len(c.pushbacks) == 2 and c.objection not in c.pushbacks for c in result.cards)
    assert all(c.difficulty == 3 for c in result.cards)
    assert any(role in result.cards[0].persona.role for role in ("CFO", "Controller", "VP", "Director", "Head"))


def test_a_buyer_line_with_an_invented_name_falls_back_to_the_library_wording(kb):
    bad = {"line": "Zed Quimby at Frobnicorp says your price is too high."}
    result = drill(kb, fake(bad, bad), objection="Your price is too high.")
    assert result.cards[0].buyer_line == "Your price is too high."
    assert "Zed Quimby" in result.notes[0] and "library's wording" in result.notes[0]


def test_bad_choices_are_one_line_errors(kb):
    with pytest.raises(InputError, match="at most one of"):
        pick_objections(kb, objection="x", topic="pricing")
    with pytest.raises(InputError, match="--count must be between 1 and 20"):
        pick_objections(kb, count=0)
    with pytest.raises(NotFoundError, match="no rep 'Nobody'"):
        drill(kb, lines("x"), rep="Nobody")
    with pytest.raises(InputError, match="--difficulty must be 1, 2 or 3"):
        drill(kb, lines("x"), difficulty=4)
    with pytest.raises(NotFoundError, match="no rubric 'strict'"):
        resolve_rubric(kb, "strict")


def test_without_an_ingested_rubric_the_bundled_default_is_used_and_said(kb):
    kb.remove("rubrics/objection-handling.yaml")
    rubric, notes = resolve_rubric(kb)
    assert rubric.id == "objection-handling" and "coachgen's default" in notes[0]


def test_roleplay_scores_the_reps_words_and_stores_the_attempt(kb):
    prompts = PromptLibrary(kb.settings)
    rubric, _ = resolve_rubric(kb)
    card = drill(kb, lines("Your price is too high for us."), objection="Your price is too high.", difficulty=2).cards[0]
    script = iter([GOOD, "We can start with a smaller team in year one."])
    heard = []

    def answer(buyer_line):
        heard.append(buyer_line)
        return next(script, None)

    judgement = {c.id: {"score": 4, "quote": "Too high compared to what, another quote or your budget?"} for c in rubric.criteria}
    model = fake({"line": "Even so, Quorvel quoted us a lot less than you."}, {"line": "Thursday works for me."}, judgement)  # voices the pushback
    attempt, tokens = run_roleplay(kb, prompts, model, rubric, "Dana Whitfield", card, answer, turns=3, pack=SourcePack())
    assert heard[0] == card.buyer_line and heard[1] == "Even so, Quorvel quoted us a lot less than you."
    assert [t.speaker for t in attempt.transcript] == ["buyer", "rep", "buyer", "rep", "buyer"]
    assert attempt.transcript[-1].text == "Thursday works for me."  # the rep proposed a dated next step, so the buyer accepts
    sheet = attempt.scorecard
    assert sheet.passed and not sheet.blockers and sheet.rubric_version == rubric.version
    by = {c.criterion: c for c in sheet.criteria}
    assert by["explore"].by == "checks+model" and by["explore"].evidence in GOOD
    assert all(c.evidence is None or c.evidence in GOOD + " We can start with a smaller team in year one." for c in sheet.criteria)
    stored = kb.records.attempts("Dana Whitfield")
    assert len(stored) == 1 and stored[0]["rubric_sha"] == rubric.sha256 and stored[0]["objection_key"] == PRICE
    assert json.loads(stored[0]["transcript"])[1]["text"] == GOOD
    assert attempt.next_due > stored[0]["created_at"][:10]


def test_model_quotes_that_the_rep_never_said_are_not_used(kb):
    rubric, _ = resolve_rubric(kb)
    card = drill(kb, lines("Too pricey."), objection="Your price is too high.").cards[0]
    invented = {c.id: {"score": 5, "quote": "I will personally fly to your office."} for c in rubric.criteria}
    script = iter(["No, we're the best, trust me."])
    attempt, _ = run_roleplay(kb, PromptLibrary(kb.settings), fake(invented), rubric, "Dana Whitfield", card,
                              lambda _line: next(script, None), turns=1, pack=SourcePack())
    assert all(c.by == "checks" for c in attempt.scorecard.criteria)
    assert "None of the model's scores quoted the rep's own words" in attempt.scorecard.notes[0]
    assert not attempt.scorecard.passed and attempt.next_due == attempt.created_at[:10]


def test_interactive_cli_end_to_end_with_scripted_input(kb, monkeypatch):
    rubric, _ = resolve_rubric(kb)
    judgement = {c.id: {"score": 1, "quote": ""} for c in rubric.criteria}
    replies = [{"line": "Your price is too high."}, {"line": "What would you suggest next?"}, judgement,
               {"line": "Quorvel quoted us a lot less."}, judgement]
    monkeypatch.setattr("coachgen.llm.models.make_chat_model", lambda settings: fake(*replies))
    script = "Sure, I can give you a 20% discount.\nLet's talk again soon.\n\nwhatever\n"
    result = CliRunner().invoke(app, ["drill", "--rep", "dana whitfield", "--interactive", "--objection", "Your price is too high.",
                                      "--format", "json", "--log-minutes", "15"], input=script)
    assert result.exit_code == 0, result.output
    session = json.loads(result.stdout)
    assert session["rep"] == "Dana Whitfield" and len(session["attempts"]) == 1
    attempt = session["attempts"][0]
    assert [t["text"] for t in attempt["transcript"] if t["speaker"] == "rep"] == ["Sure, I can give you a 20% discount.", "Let's talk again soon."]
    assert attempt["scorecard"]["blockers"][0]["blocker"] == "unearned-discount" and not attempt["scorecard"]["passed"]
    assert attempt["scorecard"]["stop"].startswith("Cuts the price")
    assert "Your price is too high." in result.stderr and "you> " in result.stderr
    assert len(kb.records.attempts("Dana Whitfield")) == 1
    assert kb.records.coaching("2000-01-01", "2100-01-01")[-1]["type"] == "drill"


def test_interactive_needs_a_rep_and_an_answer(kb, monkeypatch):
    monkeypatch.setattr("coachgen.llm.models.make_chat_model", lambda settings: lines("Too expensive."))
    runner = CliRunner()
    result = runner.invoke(app, ["drill", "--interactive"])
    assert result.exit_code == 1 and result.stderr.strip() == "error: --interactive needs --rep: every attempt is stored for the rep who made it"
    result = runner.invoke(app, ["drill", "--interactive", "--rep", "Dana Whitfield"], input="")
    assert result.exit_code == 1 and "no answer was given" in result.stderr
    assert kb.records.attempts("Dana Whitfield") == []
    result = runner.invoke(app, ["drill", "--topic", "pricing", "--from-deals"])
    assert result.exit_code == 1 and result.stderr.strip() == "error: give at most one of --objection, --topic and --from-deals"


def test_drill_cards_cli_formats(kb, monkeypatch, tmp_path):
    monkeypatch.setattr("coachgen.llm.models.make_chat_model", lambda settings: lines("We can't afford this <b>now</b>."))
    runner = CliRunner()
    page = tmp_path / "cards.html"
    result = runner.invoke(app, ["drill", "--topic", "pricing", "--count", "2", "--format", "html", "-o", str(page)])
    assert result.exit_code == 0, result.output
    html = page.read_text()
    assert "<h2>Card 1: Your price is too high.</h2>" in html and "<b>" not in html and "We can&#x27;t afford this now." in html
    data = json.loads(runner.invoke(app, ["drill", "--topic", "pricing", "--count", "1", "--format", "json"]).stdout)
    assert data["cards"][0]["objection_key"] == PRICE and data["rubric"]["criteria"][0]["levels"]["5"]


def test_a_buyer_line_that_is_not_words_falls_back(kb):
    junk = {"line": "{ { 10,2} } -4.5-3}"}
    result = drill(kb, fake(junk, junk), objection="Your price is too high.")
    assert result.cards[0].buyer_line == "Your price is too high." and "not a sentence of words" in result.notes[0]
