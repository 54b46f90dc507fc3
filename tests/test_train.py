"""Development plans: evidence, one focus that is never a strength, check-ins as .ics, no invented evidence."""

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

from coachgen.artifacts.development_plan import Evidence, choose_focus, plan_development
from coachgen.calendar_ics import CalendarEvent, to_ics
from coachgen.cli import app
from coachgen.prompts import PromptLibrary

AS_OF = date(2026, 11, 20)
SKILLS = ["listening", "discovery", "objection handling", "closing", "negotiation", "demo", "multithreading"]


def fake(*replies):
    return GenericFakeChatModel(messages=iter([AIMessage(content=json.dumps(r)) for r in replies]))


@pytest.fixture
def kb(copy_kb):
    return copy_kb


def scorecard(levels):
    names = {"acknowledge": "Listen and acknowledge", "explore": "Explore and clarify", "respond": "Respond with value",
             "confirm": "Confirm the concern is answered", "next_step": "Agree a next step"}
    return json.dumps({"criteria": [{"criterion": c, "name": names[c], "score": s} for c, s in levels.items()]})


def drilled(kb, rep, levels, times=2):
    with kb.catalog.transaction():
        for n in range(times):
            kb.records.add_attempt({"rep": rep, "created_at": f"2026-11-1{n}T09:00:00+00:00", "objection_key": f"k{n}", "objection": "o",
                                    "rubric_id": "objection-handling", "rubric_version": "1.0", "rubric_sha": "x", "mode": "interactive",
                                    "score": 3.0, "passed": 1, "scorecard": scorecard(levels), "transcript": "[]"})


def plan(kb, rep, model=None):
    return plan_development(kb, PromptLibrary(kb.settings), rep, model or fake(), "fake", AS_OF)


def test_drill_evidence_picks_the_weak_skill_and_never_assigns_a_strong_one(kb):
    drilled(kb, "Grace Liu", {"acknowledge": 4.5, "explore": 1.5, "respond": 4.0, "confirm": 4.0, "next_step": 3.5})
    note = {"note": "Grace, your listening is strong. Let's work on discovery: average 4.0 on discovery criteria."}
    result = plan(kb, "grace liu", fake(note))
    assert result.focus == "discovery" and "listening" in result.strengths and "objection handling" in result.strengths
    assert result.target.startswith("average 4.0 or more on discovery criteria over the next 3 drill attempts (now 1.5)")
    assert result.target_date == "2027-01-01" and result.check_ins[0] == "2026-11-27" and result.check_ins[-1] == "2027-01-01"
    assert result.modules[0].text == "Training module: discovery questioning" and result.modules[0].sources == [1]
    assert len(result.drills) == 3 and any("drill --rep" in action for action in result.manager_actions)
    assert result.summary == note["note"] and result.notes == []


def test_a_summary_with_invented_numbers_or_a_strength_to_train_falls_back(kb):
    drilled(kb, "Grace Liu", {"acknowledge": 4.5, "explore": 1.5, "respond": 3.5, "confirm": 3.5, "next_step": 3.5})
    bad = {"note": "Grace, you close 97% of deals. Work on listening and discovery."}
    result = plan(kb, "Grace Liu", fake(bad, bad))
    assert "numbers not in the evidence: 97" in result.notes[0] and "assigns 'listening'" in result.notes[0]
    assert result.summary.startswith("Grace, you are strong at listening") and "discovery" in result.summary


def test_debrief_stumbles_and_lead_measures_are_evidence(kb):
    debrief = {"skills": [{"stumble": "s", "objection": "Your price is too high.",
                           "module": {"text": "Training module: negotiating and trading concessions", "sources": [1]}}]}
    with kb.catalog.transaction():
        kb.records.save_debrief("D-1035", "2026-11-15T10:00:00+00:00", json.dumps(debrief))
    result = plan(kb, "Tom Reilly", fake("not json", "not json"))
    sources = {(e.source, e.skill, e.signal) for e in result.evidence}
    assert ("debrief", "negotiation", "weak") in sources
    assert ("lead measure", "discovery", "weak") in sources and ("lead measure", "objection handling", "weak") in sources
    assert result.focus in {"negotiation", "discovery", "objection handling"} and result.focus not in result.strengths
    assert result.skill_or_will.startswith("Skill and will") and "quiet for over" in result.skill_or_will  # the team's activity window


def test_no_evidence_says_so_and_assigns_nothing(kb, tmp_path):
    roster = tmp_path / "reps.csv"
    roster.write_text("rep,manager,quota\nNew Person,Sarah Kim,400000\n")
    assert not kb.ingest([roster]).errors
    result = plan(kb, "New Person")
    assert result.focus is None and result.drills == [] and result.check_ins == [] and result.target is None
    assert result.diagnosis.startswith("No evidence yet for New Person") and result.evidence == []
    assert any("coachgen drill --rep \"New Person\"" in step for step in result.how_to_get_evidence)
    assert any("Lead measures need 3 closed deals; New Person has 0" in step for step in result.how_to_get_evidence)
    result = CliRunner().invoke(app, ["train", "New Person", "--ics", str(tmp_path / "x.ics")])
    assert result.exit_code == 1 and "assigns no focus yet" in result.stderr and not (tmp_path / "x.ics").exists()


evidence_items = st.builds(
    Evidence, source=st.sampled_from(["drill", "debrief", "lead measure"]), skill=st.sampled_from(SKILLS),
    signal=st.sampled_from(["strong", "weak", "neutral"]), detail=st.just("d"),
    rep_value=st.floats(0.1, 5), team_value=st.floats(0.1, 5))


@given(st.lists(evidence_items, max_size=12))
def test_the_focus_is_never_a_skill_with_strong_evidence(items):
    focus, strengths, mixed = choose_focus(items)
    strong = {i.skill for i in items if i.signal == "strong"}
    weak = {i.skill for i in items if i.signal == "weak"}
    assert focus is None or (focus not in strong and focus in weak)
    assert set(strengths) | set(mixed) == strong and not set(strengths) & set(mixed)
    assert (focus is None) == (not weak - strong)


def test_ics_is_valid_icalendar(kb, tmp_path, monkeypatch):
    text = to_ics([CalendarEvent(date(2026, 12, 1), "Check-in; Grace, discovery", "Target: " + "x" * 120)], "Grace plan")
    lines = text.split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR" and lines[-1] == ""
    assert "SUMMARY:Check-in\\; Grace\\, discovery" in lines and "DTSTART;VALUE=DATE:20261201" in lines
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "\n" not in text.replace("\r\n", "")
    drilled(kb, "Grace Liu", {"acknowledge": 4.5, "explore": 1.5, "respond": 4.0, "confirm": 4.0, "next_step": 3.5})
    out = tmp_path / "grace.ics"
    monkeypatch.setattr("coachgen.llm.models.make_chat_model", lambda settings: fake("no", "no"))
    result = CliRunner().invoke(app, ["train", "Grace Liu", "--ics", str(out), "--as-of", "2026-11-20", "--format", "json"])
    assert result.exit_code == 0, result.output
    plan_json = json.loads(result.stdout)
    assert out.read_text().count("BEGIN:VEVENT") == len(plan_json["check_ins"]) > 0


def test_check_ins_fall_on_working_days_and_the_week_is_a_setting(kb):
    """Issue 18: check-in dates fell on Sundays."""
    drilled(kb, "Dana Whitfield", {"acknowledge": 2, "explore": 2, "respond": 2, "confirm": 2, "next_step": 2})
    sunday = date(2026, 11, 22)
    plan = plan_development(kb, PromptLibrary(kb.settings), "Dana Whitfield", fake({"note": "no"}, {"note": "no"}), "fake", as_of=sunday)
    assert plan.check_ins and all(date.fromisoformat(d).weekday() < 5 for d in plan.check_ins + [plan.target_date])
    kb.settings = kb.settings.model_copy(update={"working_days": "Sun-Thu"})
    plan = plan_development(kb, PromptLibrary(kb.settings), "Dana Whitfield", fake({"note": "no"}, {"note": "no"}), "fake", as_of=sunday)
    assert all(date.fromisoformat(d).weekday() in (6, 0, 1, 2, 3) for d in plan.check_ins)


def test_the_rep_is_compared_with_the_team_without_the_rep(kb):
    """Issue 18: the quiet-deal rate was compared with a team figure that included the rep."""
    from coachgen.artifacts.development_plan import _team_deals

    for rep in ("Dana Whitfield", "Tom Reilly"):
        assert _team_deals(kb, rep) and all(d["rep"] != rep for d in _team_deals(kb, rep))


def test_working_days_setting_reads_ranges_and_refuses_nonsense():
    from coachgen.errors import ConfigError
    from coachgen.settings import load_settings

    settings = load_settings(environ={"COACHGEN_WORKING_DAYS": "Sun-Thu"})
    assert settings.working_weekdays() == frozenset({6, 0, 1, 2, 3})
    assert settings.on_working_day(date(2026, 11, 27)) == date(2026, 11, 29)  # Friday -> Sunday
    with pytest.raises(ConfigError):
        load_settings(environ={"COACHGEN_WORKING_DAYS": "Funday"}).working_weekdays()


def test_a_drill_is_credited_to_a_deal_only_when_its_notes_raise_the_objection_as_a_concern(kb):
    """Issue 18: a drill was credited to a deal whose notes never raise that objection."""
    from coachgen.artifacts.drill import pick_objections
    from coachgen.artifacts.grounding import read_deal_notes

    for rep in ("Dana Whitfield", "Omar Haddad", "Lucia Moreno"):
        for pick in pick_objections(kb, rep, from_deals=True, count=5, today=AS_OF):
            if pick.deal is None:
                continue
            reading = next(r for r in read_deal_notes(kb, kb.records.notes(pick.deal["id"])) if r.sentence == pick.raised)
            assert reading.label == "concern" or (reading.label == "risk" and reading.speaker == "buyer"), (pick.deal["id"], pick.raised)
