"""Artifacts without a chat model (``--no-llm``, ``COACHGEN_LLM=none``, ``COACHGEN_LLM_SKIP``), and the marks of what a model wrote."""

import json

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.call_plan import build_call_plan, prepare_call
from coachgen.artifacts.drill import make_drill
from coachgen.cli import app
from coachgen.llm import models
from coachgen.llm.guard import chat_model
from coachgen.llm.models import NoModel
from coachgen.prompts import PromptLibrary
from coachgen.render import DRAFTED, drill_outline, plan_outline, render
from coachgen.settings import load_settings
from test_prep import GOOD as GOOD_PLAN, fake

@pytest.fixture
def no_model_load(monkeypatch):
    """Fail the test if anything asks for a chat model."""
    def refuse(settings):
        raise AssertionError("a chat model was loaded")
    monkeypatch.setattr(models, "make_chat_model", refuse)


def _cli(home, *args, **env):
    return CliRunner().invoke(app, ["--home", str(home), *args], env={k: str(v) for k, v in env.items()})


@pytest.mark.parametrize("args", [
    ("prep", "D-1001"),
    ("debrief", "D-1001", "--notes", "They said the price is too high and legal needs two more weeks."),
    ("drill", "--rep", "Dana Whitfield", "--count", "2", "--difficulty", "2"),
    ("train", "Tom Reilly"),
])
def test_no_llm_writes_every_artifact_without_a_model_and_says_so(sample_copy, no_model_load, args):
    result = _cli(sample_copy, *args, "--no-llm", "--format", "json")
    assert result.exit_code == 0, result.output
    artifact = json.loads(result.stdout)
    assert artifact["header"]["model"] == "none"
    assert artifact["header"]["model_wrote"] == []
    assert artifact["header"]["output_tokens"] == 0
    if args[0] != "drill":  # drill cards use the library's wording silently; the others say what replaced the prose
        assert any("without a chat model (--no-llm)" in note for note in artifact["notes"]), artifact["notes"]
    markdown = _cli(sample_copy, *args, "--no-llm")
    assert markdown.exit_code == 0, markdown.output
    assert "no part was written by a chat model" in markdown.stdout and DRAFTED not in markdown.stdout


def test_llm_none_setting_and_interactive_drill_need_no_model(sample_copy, no_model_load):
    result = CliRunner().invoke(app, ["--home", str(sample_copy), "drill", "--interactive", "--rep", "Dana Whitfield", "--format", "json"],
                                input="I hear you. What would waiting cost you?\nCan we book Tuesday with your CFO?\n\n",
                                env={"COACHGEN_LLM": "none"})
    assert result.exit_code == 0, result.output
    session = json.loads(result.stdout[result.stdout.index("{"):])
    assert session["header"]["model_wrote"] == []
    attempt = session["attempts"][0]
    assert not any(turn["by_model"] for turn in attempt["transcript"])
    assert any("deterministic checks alone" in note for note in attempt["scorecard"]["notes"])
    assert {c["by"] for c in attempt["scorecard"]["criteria"]} == {"checks"}


def test_skip_names_one_artifact_and_others_still_use_the_model(sample_kb, monkeypatch):
    monkeypatch.setattr(models, "make_chat_model", lambda settings: fake(GOOD_PLAN))
    monkeypatch.setattr(sample_kb, "settings", load_settings(home=sample_kb.settings.home, environ={"COACHGEN_LLM_SKIP": "prep, train"}))
    assert isinstance(chat_model(sample_kb, artifact="prep"), NoModel)
    assert isinstance(chat_model(sample_kb, artifact="train"), NoModel)
    assert isinstance(chat_model(sample_kb, artifact="debrief", no_llm=True), NoModel)
    assert not isinstance(chat_model(sample_kb, artifact="drill"), NoModel)
    assert not isinstance(chat_model(sample_kb, artifact="debrief"), NoModel)


def test_the_bundled_model_is_not_asked_for_what_it_writes_unusably_unless_skip_says_so(sample_kb, monkeypatch):
    """Unset COACHGEN_LLM_SKIP: the bundled model's measured defaults (bundled_model.yaml); another model, or
    COACHGEN_LLM_SKIP=none, is asked for every artifact."""
    from coachgen.knowledge.defaults import load

    monkeypatch.setattr(models, "make_chat_model", lambda settings: fake(GOOD_PLAN))
    home = sample_kb.settings.home
    bundled = load("bundled_model")["skips"]
    assert set(bundled) <= {"prep", "debrief", "drill", "train"} and "drill" not in bundled
    for environ, skipped in (({}, set(bundled)), ({"COACHGEN_LLM_SKIP": "none"}, set()), ({"COACHGEN_LLM_SKIP": " "}, set(bundled)),
                             ({"COACHGEN_LLM_BASE_URL": "http://127.0.0.1:9/v1"}, set()), ({"COACHGEN_LLM_API_KEY": "sk-test"}, set()),
                             ({"COACHGEN_LLM_SKIP": "drill"}, {"drill"})):
        monkeypatch.setattr(sample_kb, "settings", load_settings(home=home, environ=environ))
        assert {a for a in ("prep", "debrief", "drill", "train") if isinstance(chat_model(sample_kb, artifact=a), NoModel)} == skipped
    monkeypatch.setattr(sample_kb, "settings", load_settings(home=home, environ={}))
    assert "COACHGEN_LLM_SKIP=none" in chat_model(sample_kb, artifact="prep").reason


def test_an_unknown_artifact_in_skip_is_one_clear_error(sample_copy):
    result = _cli(sample_copy, "prep", "D-1001", COACHGEN_LLM_SKIP="prep,plans")
    assert result.exit_code == 1
    assert "'plans' is not one of prep, debrief, drill, train, or none" in result.output and "Traceback" not in result.output


def test_model_written_parts_are_marked_in_json_and_markdown(sample_kb):
    prepared = prepare_call(sample_kb, PromptLibrary(sample_kb.settings), "D-1001")
    plan = build_call_plan(prepared, fake(GOOD_PLAN), "fake")
    assert plan.header.model_wrote == ["objective", "best_outcome", "minimum_outcome", "agenda"]
    text = render(plan, "md", plan_outline(plan))
    assert f"## Objective (the advance){DRAFTED}" in text and f"## Agenda and upfront contract{DRAFTED}" in text
    assert f"## Attendees{DRAFTED}" not in text and "drafted by the model (checked): objective" in text

    fallback = build_call_plan(prepared, fake("not json", "still not json"), "fake")
    assert fallback.header.model_wrote == [] and DRAFTED not in render(fallback, "md", plan_outline(fallback))


def test_drill_marks_only_the_buyer_lines_the_model_wrote(sample_kb):
    prompts = PromptLibrary(sample_kb.settings)
    line = {"line": "Honestly, your price is well above what we budgeted for this year."}
    drill = make_drill(sample_kb, prompts, fake(line, "junk", "junk"), "fake", topic="price", count=2)
    assert len(drill.cards) == 2
    assert drill.header.model_wrote == ["cards[0].buyer_line"]
    text = render(drill, "md", drill_outline(drill))
    assert text.count(DRAFTED) == 1


def test_a_dry_run_says_when_no_model_would_be_sent_its_messages(sample_copy):
    skipped = _cli(sample_copy, "prep", "D-1001", "--dry-run")
    assert skipped.exit_code == 0 and "===== system =====" in skipped.stdout
    assert "no chat model would be sent these messages (the bundled model writes no usable prep draft" in skipped.stderr
    asked = _cli(sample_copy, "debrief", "D-1001", "--notes", "Price came up.", "--dry-run")
    assert asked.exit_code == 0 and "no chat model would be sent" not in asked.stderr
