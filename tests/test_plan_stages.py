"""A plan asks nothing of stages the deal has passed, and its advance carries the day it is due, decided by code.

Regression (issue 18, the sample's negotiation deal D-1001): the plan listed the general discovery questions.
The same on the second corpus (tests/corpora/northwind), whose CRM stages are HubSpot ids the handbook never names.
"""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.advance import advance_for, call_day, step_date
from coachgen.artifacts.call_plan import CallPlan, build_call_plan, prepare_call
from coachgen.artifacts.grounding import DealFacts
from coachgen.artifacts.stage_scope import stage_scope
from coachgen.cli import app
from coachgen.errors import InputError
from coachgen.prompts import PromptLibrary
from coachgen.render import plan_outline, render
from coachgen.settings import load_settings
from test_prep import GOOD, fake



def _cli(home, *args, code=0, **env):
    result = CliRunner().invoke(app, ["--home", str(home), *map(str, args)], env={k: str(v) for k, v in env.items()})
    assert result.exit_code == code, result.output
    return result


def _plan(kb, deal_id, **kwargs):
    prepared = prepare_call(kb, PromptLibrary(kb.settings), deal_id, **kwargs)
    return prepared, build_call_plan(prepared, fake(GOOD, GOOD), "fake")


def _generic_questions(kb):
    """The team's question-bank lines tied to no stage: discovery material."""
    return {q.text for q in kb.knowledge.questions() if not q.stages}


def _open_gaps(plan):
    return [m.question.text for m in plan.meddpicc if m.status != "known" and m.question is not None]


def _working_day_ahead(plan, settings):
    due, call = date.fromisoformat(plan.advance_by), date.fromisoformat(plan.call_date)
    assert due >= call > date.today() - timedelta(days=1)
    assert due.weekday() in settings.working_weekdays()


def test_a_negotiation_plan_asks_the_open_gaps_not_discovery_questions(sample_kb):
    """Regression (D-1001): past discovery, the questions are the gap questions of what is still open, and the plan says so."""
    prepared, plan = _plan(sample_kb, "D-1001")
    scope = plan.stage_scope
    assert scope.past_discovery and scope.source == "knowledge base" and scope.position == len(scope.order) - 1
    assert "past discovery" in scope.note and "qualification still open" in scope.note
    texts = [q.text for q in plan.discovery_questions]
    assert texts and set(texts) <= set(_open_gaps(plan))
    assert not set(texts) & _generic_questions(sample_kb)
    assert set(plan.discovery_questions[0].sources) <= prepared.pack.numbers()
    text = render(plan, "md", plan_outline(plan))
    assert "## Questions for what is still open" in text and "## Discovery questions" not in text
    assert f"- Process: {scope.note}" in text
    assert not any("discovery question" in note for note in plan.notes)


def test_material_tied_only_to_passed_stages_is_left_out(sample_kb):
    scope = stage_scope(sample_kb, "Negotiation", "negotiation")
    first, last = scope.order[0], scope.order[-1]
    assert first in scope.passed and last not in scope.passed
    assert scope.is_passed([first]) and not scope.is_passed([first, last]) and not scope.is_passed([])
    assert not scope.is_passed(["a stage nobody has"])
    for deal in sample_kb.records.deals(status="open"):
        prepared = prepare_call(sample_kb, PromptLibrary(sample_kb.settings), deal["id"])
        raised = {o.objection for o in prepared.objections}
        tied = {o.text: o.stages for o in sample_kb.knowledge.objections()}
        for scenario in prepared.scenarios:
            if scenario.if_they_say not in raised:
                assert not prepared.scope.is_passed(tied.get(scenario.if_they_say, [])), (deal["id"], scenario.if_they_say)


def test_an_early_stage_deal_keeps_its_discovery_questions(sample_kb):
    _, plan = _plan(sample_kb, "D-1002")
    assert not plan.stage_scope.past_discovery and plan.stage_scope.position is not None
    assert plan.discovery_questions and {q.text for q in plan.discovery_questions} <= {q.text for q in sample_kb.knowledge.questions()}
    assert "## Discovery questions" in render(plan, "md", plan_outline(plan))


@pytest.mark.parametrize("stage, why", [("", "no stage on record"), ("Phase Zeta", "has no place in the team's process")])
def test_without_a_place_in_the_process_nothing_is_left_out_and_the_plan_says_why(sample_copy, embedder, tmp_path, stage, why):
    from coachgen.knowledge_base import KnowledgeBase

    export = tmp_path / "deal.csv"
    export.write_text(f"id,account,stage,notes\nX-9,Quillon Works,{stage},\"First call booked.\"\n")
    kb = KnowledgeBase(load_settings(home=sample_copy, environ={}), embedder=embedder)
    try:
        kb.ingest([export])
        _, plan = _plan(kb, "X-9")
        generic = _generic_questions(kb)
    finally:
        kb.close()
    assert not plan.stage_scope.past_discovery and plan.stage_scope.passed == []
    assert plan.stage_scope.note.startswith("Nothing is left out by stage") and why in plan.stage_scope.note
    assert {q.text for q in plan.discovery_questions} & generic


def test_the_advance_is_dated_on_a_working_day_from_today_on(sample_copy):
    plan = json.loads(_cli(sample_copy, "prep", "D-1001", "--no-llm", "--format", "json").stdout)
    parsed = CallPlan.model_validate(plan)
    _working_day_ahead(parsed, load_settings(home=sample_copy, environ={}))
    assert plan["advance_basis"]
    text = _cli(sample_copy, "prep", "D-1001", "--no-llm", COACHGEN_WORKING_DAYS="Sun-Thu").stdout
    due = next(line for line in text.splitlines() if "buyer's commitment is due by" in line)
    day = date.fromisoformat(due.split("due by ")[1].split()[1].rstrip(":."))
    assert day.weekday() in (6, 0, 1, 2, 3) and day >= date.today()
    assert "Ask for the advance, due by" in text  # the fallback agenda names the day too


def test_a_past_or_bad_call_date_is_one_line_error(sample_copy):
    past = _cli(sample_copy, "prep", "D-1001", "--no-llm", "--call-date", "2020-01-06", code=1)
    assert "in the past" in past.output and "Traceback" not in past.output
    assert "not a date" in _cli(sample_copy, "prep", "D-1001", "--no-llm", "--call-date", "06/01/2020", code=1).output


def _deal(next_step, last_activity="2026-11-19"):
    return DealFacts(id="X", name=None, account=None, rep=None, stage=None, status="open", amount=None, close_date=None,
                     next_step=next_step, last_activity=last_activity, contacts=[])


def test_the_due_day_is_the_next_steps_date_else_a_window_after_the_call():
    settings = load_settings(home=Path("/tmp/unused-home"), environ={})
    named = advance_for(settings, _deal("Rachel Stein to return MSA redlines by 2 Dec"), date(2026, 11, 30))
    assert named.due == date(2026, 12, 2) and "next step" in named.basis
    passed = advance_for(settings, _deal("Rachel Stein to return MSA redlines by 2 Dec"), date(2026, 12, 3))
    assert passed.due == date(2026, 12, 10) and "COACHGEN_ADVANCE_DAYS" in passed.basis and "before the call" in passed.basis
    weekend = advance_for(settings, _deal("Workshop on 5 December"), date(2026, 11, 30))
    assert weekend.due == date(2026, 12, 7) and "moved from 2026-12-05" in weekend.basis
    undated = advance_for(settings.model_copy(update={"advance_days": 3}), _deal("Follow up"), date(2026, 12, 3))
    assert undated.due == date(2026, 12, 7)  # Sunday moves to Monday


def test_a_yearless_next_step_is_read_in_the_year_it_was_written():
    assert step_date("Call James re budget meeting 19.12.", date(2024, 12, 13)) == date(2024, 12, 19)
    assert step_date("Kick-off 10 Jan", date(2026, 12, 20)) == date(2027, 1, 10)
    assert step_date("Call at 14:30", date(2026, 11, 19)) is None and step_date("by Friday", date(2026, 11, 19)) is None


def test_the_call_day_defaults_to_the_next_working_day():
    settings = load_settings(home=Path("/tmp/unused-home"), environ={})
    assert call_day(settings, today=date(2026, 12, 4)) == date(2026, 12, 7)  # Friday -> Monday
    assert call_day(settings, date(2026, 12, 4), today=date(2026, 12, 4)) == date(2026, 12, 4)
    with pytest.raises(InputError):
        call_day(settings, date(2026, 12, 3), today=date(2026, 12, 4))


def test_plans_stored_before_these_fields_still_load(sample_kb):
    _, plan = _plan(sample_kb, "D-1002")
    stored = json.loads(plan.model_dump_json())
    for name in ("stage_scope", "call_date", "advance_by", "advance_basis"):
        stored.pop(name)
    older = CallPlan.model_validate(stored)
    assert older.advance_by is None and "## Discovery questions" in render(older, "md", plan_outline(older))


def _northwind_deal(kb, past: bool) -> str:
    """An open deal with notes whose stage is (or is not) past the discovery part of the corpus's process."""
    for deal in kb.records.deals(status="open"):
        if deal["notes"] and deal["stage"]:
            scope = stage_scope(kb, deal["stage"], "negotiation" if past else "check-in")
            if scope.position is not None and scope.past_discovery == past and (past or scope.position == 0):
                return deal["id"]
    raise AssertionError("no such deal in the corpus")


def test_second_corpus_late_deal_asks_open_gaps_and_early_deal_keeps_discovery(northwind_home, embedder):
    from coachgen.knowledge_base import KnowledgeBase

    kb = KnowledgeBase(load_settings(home=northwind_home, environ={}), embedder=embedder)
    try:
        _, late = _plan(kb, _northwind_deal(kb, past=True))
        _, early = _plan(kb, _northwind_deal(kb, past=False))
        generic = _generic_questions(kb)
    finally:
        kb.close()
    assert late.stage_scope.past_discovery and late.stage_scope.source in ("data", "default", "settings")
    assert "past discovery" in late.stage_scope.note
    assert {q.text for q in late.discovery_questions} <= set(_open_gaps(late))
    assert not {q.text for q in late.discovery_questions} & (generic - set(_open_gaps(late)))
    assert not early.stage_scope.past_discovery and {q.text for q in early.discovery_questions} & generic
    _working_day_ahead(late, load_settings(home=northwind_home, environ={}))
