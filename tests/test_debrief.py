"""Debriefs: questions against the stored plan, MEDDPICC changes, skills, answers fed back to prep."""

import json

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

from coachgen.artifacts.call_plan import plan_call, prepare_call
from coachgen.artifacts.debrief import Debrief, build_debrief, prepare_debrief
from coachgen.cli import app
from coachgen.prompts import PromptLibrary
from coachgen.render import debrief_outline, render

CALL = ("Rachel said your price is too high and asked for 20% off. Tomas confirmed he is our champion. "
        "I talked too much when she pushed back on price.")
PLAN = {"objective": "Rachel Stein agrees to return the MSA redlines by 2 Dec.", "best_outcome": "Signature date agreed.",
        "minimum_outcome": "A dated legal review.", "agenda": ["Upfront contract", "Recap", "Next step"], "sources": [1]}


def fake(*replies):
    return GenericFakeChatModel(messages=iter([AIMessage(content=json.dumps(r) if not isinstance(r, str) else r) for r in replies]))


@pytest.fixture
def kb(copy_kb):
    return copy_kb


def test_debrief_compares_with_the_stored_plan(kb):
    plan_call(kb, "D-1001", model=fake(PLAN))
    prepared = prepare_debrief(kb, PromptLibrary(kb.settings), "D-1001", CALL)
    assert prepared.plan_objective == PLAN["objective"]
    topics = [q.topic for q in prepared.questions]
    assert topics[:5] == ["Deciding issue", "How it ended", "Advance", "Went well", "To improve"] and topics[-1] == "One change"
    assert "your price is too high" in prepared.questions[0].question  # the signer's latest concern, from the call notes
    assert PLAN["objective"] in prepared.questions[2].question
    champion = next(c for c in prepared.changes if c.element == "Champion")
    assert (champion.before, champion.now) == ("unknown", "known")
    assert prepared.skills[0].stumble == "I talked too much when she pushed back on price."
    assert prepared.skills[0].objection == "Your price is too high."
    assert prepared.skills[0].module.text.startswith("Training module:")
    assert all(set(q.sources) <= prepared.pack.numbers() for q in prepared.questions)


def test_model_follow_ups_are_checked(kb):
    prepared = prepare_debrief(kb, PromptLibrary(kb.settings), "D-1001", CALL)
    good = {"questions": ["What did Rachel Stein say about the term?"], "sources": [1]}
    result = build_debrief(prepared, fake(good), "fake")
    assert [q.question for q in result.questions if q.topic == "Follow-up"] == good["questions"] and result.notes == []
    bad = {"questions": ["Tell me about Zed Quimby."], "sources": [1]}
    fallback = build_debrief(prepared, fake(bad, bad), "fake")
    assert not [q for q in fallback.questions if q.topic == "Follow-up"]
    assert "every follow-up must be a question" in fallback.notes[0] and "Zed Quimby" in fallback.notes[0]
    page = render(fallback, "html", debrief_outline(fallback))
    assert "<h1>Debrief: Harborline Logistics (D-1001)</h1>" in page


def test_no_plan_yet_is_said_plainly(kb):
    prepared = prepare_debrief(kb, PromptLibrary(kb.settings), "D-1044")
    assert prepared.plan_objective is None and "No plan was stored" in next(q.question for q in prepared.questions if q.topic == "Advance")


def test_answers_are_recorded_and_the_next_prep_uses_them(kb, tmp_path):
    answers = tmp_path / "answers.md"
    answers.write_text("The buyer committed to a security review. Nina Okoye is our champion now.")
    runner = CliRunner()
    result = runner.invoke(app, ["debrief", "D-1044", "--answers", str(answers)])
    assert result.exit_code == 0, result.output
    assert "recorded the debrief answers on D-1044" in result.stdout
    assert "already recorded" in runner.invoke(app, ["debrief", "D-1044", "--answers", str(answers)]).stdout
    assert "Nina Okoye is our champion now." in kb.records.notes("D-1044")
    prepared = prepare_call(kb, PromptLibrary(kb.settings), "D-1044")
    assert next(m for m in prepared.meddpicc if m.element == "Champion").status == "known"
    assert any(hit.source == "deal-log/D-1044" for hit in prepared.pack.hits)
    assert "Nina Okoye" in prepared.known_text
    lint = runner.invoke(app, ["kb", "lint", "--json"])
    assert all(p["source"] != "deal-log/D-1044" for p in json.loads(lint.stdout))


def test_cli_errors_and_schema(kb, tmp_path):
    runner = CliRunner()
    both = runner.invoke(app, ["debrief", "D-1001", "--notes", "x", "--notes-file", str(tmp_path / "n.txt")])
    assert both.exit_code == 1 and "not both" in both.stderr
    missing = runner.invoke(app, ["debrief", "D-1001", "--answers", str(tmp_path / "nope.md")])
    assert missing.exit_code == 1 and "cannot read file" in missing.stderr
    assert json.loads(runner.invoke(app, ["schema", "debrief"]).stdout)["title"] == "Debrief"
    dry = runner.invoke(app, ["debrief", "D-1001", "--notes", "They asked for a pilot {{7*7}}", "--dry-run"])
    assert dry.exit_code == 0 and "<notes>" in dry.stdout and "{{7*7}}" in dry.stdout


def test_debrief_with_the_real_embedded_model(kb, tmp_path):
    out = tmp_path / "debrief.json"
    result = CliRunner().invoke(app, ["debrief", "D-1001", "--notes", CALL, "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    debrief = Debrief.model_validate_json(out.read_text())
    assert debrief.header.model.startswith("llama.cpp:SmolLM2-135M") and debrief.header.input_tokens > 0
    assert debrief.deal.account == "Harborline Logistics" and debrief.deal.next_step == "Rachel Stein to return MSA redlines by 2 Dec"
    numbers = {source.number for source in debrief.sources}
    assert all(set(q.sources) <= numbers for q in debrief.questions)
    assert {s.chunk_id for s in debrief.sources} == set(debrief.header.chunk_ids)
    assert CALL in kb.records.notes("D-1001")


def test_a_buying_signal_in_budget_words_is_no_objection_and_no_stumble(kb):
    """Issue 18 on D-1001: 'the budget line is approved' became a no-budget objection, 'qualify out' advice and a stumble."""
    prepared = prepare_debrief(kb, PromptLibrary(kb.settings), "D-1001", "Tomas said the budget line for next year is approved.")
    assert prepared.skills == []
    assert not any(q.topic == "Skill" for q in prepared.questions)
    assert not any("qualify out" in q.question.lower() for q in prepared.questions)
    economic = next(c for c in prepared.changes if c.element == "Economic buyer")
    assert economic.now == "known" and "budget line" in economic.evidence


def test_a_buyer_concern_is_discussed_but_only_the_reps_admission_is_a_stumble(kb):
    prepared = prepare_debrief(kb, PromptLibrary(kb.settings), "D-1001", "Rachel said your price is too high.")
    assert prepared.skills == [] and any(q.topic == "Skill" for q in prepared.questions)


def test_northwind_debrief_reads_the_call_by_meaning(tmp_path, embedder):
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import load_settings
    from pathlib import Path

    corpus = Path(__file__).parent / "corpora" / "northwind"
    base = KnowledgeBase(load_settings(home=tmp_path / "nw"), embedder=embedder)
    try:
        base.ingest([corpus])
        deal = next(d for d in base.records.deals() if d["status"] == "open")
        call = "The FD said the budget for next year is approved. I forgot to ask who else signs the order form."
        prepared = prepare_debrief(base, PromptLibrary(base.settings), deal["id"], call)
        assert [s.stumble for s in prepared.skills] == ["I forgot to ask who else signs the order form."]
        assert not any(q.topic == "Skill" for q in prepared.questions)
    finally:
        base.close()


def test_the_budget_line_debrief_adds_no_stumble_to_the_plan_and_no_count_to_the_agenda(kb):
    """Issue 18 on D-1001: the buying signal became a stumble in the development plan and '3 debriefs' in the agenda."""
    from datetime import date

    from coachgen.artifacts.agenda import weekly_agenda
    from coachgen.artifacts.development_plan import _debrief_evidence

    prepared = prepare_debrief(kb, PromptLibrary(kb.settings), "D-1001", "Tomas said the budget line for next year is approved.")
    debrief = build_debrief(prepared, fake({"questions": ["What did Tomas say?"], "sources": [1]}), "fake")
    kb.records.save_debrief("D-1001", debrief.header.generated_at, debrief.model_dump_json())
    assert _debrief_evidence(kb, kb.records.deal("D-1001")["rep"]) == []
    skill = next(b for b in weekly_agenda(kb, week=date.today()).blocks if b.title == "Skill drill")
    assert not any("debrief" in line for line in skill.lines)


def test_one_debrief_counts_once_in_the_agenda_however_many_stumbles(kb):
    from datetime import date

    from coachgen.artifacts.agenda import weekly_agenda

    call = "I talked too much when she pushed back on price. I forgot to ask about their timeline and talked over her."
    prepared = prepare_debrief(kb, PromptLibrary(kb.settings), "D-1001", call)
    debrief = build_debrief(prepared, fake({"questions": ["What did Rachel say?"], "sources": [1]}), "fake")
    kb.records.save_debrief("D-1001", debrief.header.generated_at, debrief.model_dump_json())
    skill = next(b for b in weekly_agenda(kb, week=date.today()).blocks if b.title == "Skill drill")
    assert len(debrief.skills) >= 1 and "named in 1 debrief(s)" in skill.lines[0]
