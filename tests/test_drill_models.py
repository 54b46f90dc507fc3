"""Drills, interactive role-play and development plans end to end with the real embedded model."""

import json

from typer.testing import CliRunner

from coachgen.artifacts.development_plan import DevelopmentPlan
from coachgen.artifacts.drill import Drill
from coachgen.artifacts.roleplay import DrillSession
from coachgen.cli import app
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings


def test_drill_cards_with_the_real_embedded_model(sample_copy):
    result = CliRunner().invoke(app, ["drill", "--from-deals", "--rep", "Dana Whitfield", "--count", "2", "--difficulty", "2", "--format", "json"])
    assert result.exit_code == 0, result.output
    drill = Drill.model_validate_json(result.stdout)
    assert drill.header.model.startswith("llama.cpp:SmolLM2-135M") and drill.header.output_tokens > 0
    assert len(drill.cards) == 2 and all(card.persona.deal_id and card.buyer_line.strip() for card in drill.cards)
    numbers = {source.number for source in drill.sources}
    assert all(line.sources and set(line.sources) <= numbers for card in drill.cards for line in card.strong_answer)
    assert all(len(card.pushbacks) == 1 for card in drill.cards)


def test_interactive_drill_with_the_real_embedded_model(sample_copy):
    script = ("That's a fair concern. Too high compared to what, another quote or your budget?\n"
              "Most customers save 20 hours a week per AP clerk. Does that answer it? Could we book Thursday at 10am with your controller?\n")
    result = CliRunner().invoke(app, ["drill", "--interactive", "--rep", "Dana Whitfield", "--objection", "Your price is too high.",
                                      "--format", "json"], input=script)
    assert result.exit_code == 0, result.output
    session = DrillSession.model_validate_json(result.stdout)
    attempt = session.attempts[0]
    assert [t.speaker for t in attempt.transcript][:4] == ["buyer", "rep", "buyer", "rep"]
    assert session.header.input_tokens > 500 and session.header.output_tokens > 0  # the judge and the buyer ran
    assert attempt.scorecard.passed and {c.criterion for c in attempt.scorecard.criteria} == {"acknowledge", "explore", "respond", "confirm", "next_step"}
    spoken = " ".join(t.text for t in attempt.transcript if t.speaker == "rep")
    assert all(c.evidence is None or c.evidence in spoken for c in attempt.scorecard.criteria)
    stored = KnowledgeBase(load_settings(home=sample_copy)).records.attempts("Dana Whitfield")
    assert len(stored) == 1 and stored[0]["rubric_version"] == "1.1" and json.loads(stored[0]["scorecard"])["passed"]


def test_train_with_the_real_embedded_model(sample_copy, tmp_path):
    ics = tmp_path / "tom.ics"
    result = CliRunner().invoke(app, ["train", "Tom Reilly", "--as-of", "2026-11-20", "--format", "json", "--ics", str(ics)],
                                env={"COACHGEN_LLM_SKIP": "none"})
    assert result.exit_code == 0, result.output
    plan = DevelopmentPlan.model_validate_json(result.stdout)
    assert plan.header.model.startswith("llama.cpp:SmolLM2-135M") and plan.header.output_tokens > 0
    assert plan.focus and plan.focus not in plan.strengths and plan.summary.strip()
    assert plan.target and plan.check_ins and ics.read_text().count("BEGIN:VEVENT") == len(plan.check_ins)
    assert plan.modules and all(m.sources for m in plan.modules)
