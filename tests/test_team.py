"""Coaching cadence and the weekly team meeting, on the bundled sample."""

import csv
import json
from datetime import date

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

from coachgen.artifacts.agenda import weekly_agenda
from coachgen.cadence import TARGET_HOURS, cadence, log_coaching
from coachgen.cli import app
from coachgen.errors import InputError, NotFoundError


@pytest.fixture
def kb(copy_kb):
    return copy_kb


def test_cadence_hours_under_coached_and_trend(kb):
    records = kb.records
    log_coaching(records, "Dana Whitfield", 120, "1on1", day=date(2026, 11, 3))
    log_coaching(records, "Dana Whitfield", 90, "call-prep", day=date(2026, 11, 10))
    log_coaching(records, "Dana Whitfield", 60, "1on1", day=date(2026, 10, 30))
    log_coaching(records, "Omar Haddad", 30, "debrief", day=date(2026, 11, 12))
    rows = {row.rep: row for row in cadence(records, date(2026, 11, 1), manager="Sarah Kim")}
    assert set(rows) == {"Dana Whitfield", "Omar Haddad", "Lucia Moreno"}
    dana = rows["Dana Whitfield"]
    assert (dana.hours, dana.under_coached, dana.by_type, dana.trend) == (3.5, False, {"1on1": 2.0, "call-prep": 1.5}, [0.0, 1.0, 3.5])
    assert rows["Omar Haddad"].hours == 0.5 and rows["Omar Haddad"].under_coached
    assert rows["Lucia Moreno"].hours == 0.0 and rows["Lucia Moreno"].target == TARGET_HOURS
    with pytest.raises(InputError, match="--type"):
        log_coaching(records, "Dana Whitfield", 10, "lunch")
    with pytest.raises(NotFoundError):
        log_coaching(records, "Nobody", 10, "1on1")


def test_coach_cli_log_cadence_json_and_csv(kb, tmp_path):
    runner = CliRunner()
    assert runner.invoke(app, ["coach", "log", "Grace Liu", "--minutes", "45", "--type", "pipeline-review", "--date", "2026-11-05"]).exit_code == 0
    bad = runner.invoke(app, ["coach", "log", "Grace Liu", "--minutes", "0", "--type", "1on1"])
    assert bad.exit_code == 1 and "--minutes" in bad.stderr
    out = tmp_path / "cadence.csv"
    result = runner.invoke(app, ["coach", "cadence", "--month", "2026-11", "--team", "Jonah Patel", "--format", "json", "--csv", str(out)])
    rows = {row["rep"]: row for row in json.loads(result.stdout)}
    assert rows["Grace Liu"]["hours"] == 0.75 and rows["Grace Liu"]["under_coached"]
    assert list(csv.reader(out.open()))[0] == ["rep", "hours", "target", "under_coached", "trend"]
    text = runner.invoke(app, ["coach", "cadence", "--month", "2026-11"]).stdout
    assert "## Under-coached" in text and "Grace Liu: 0.8 h of 3 (UNDER)" in text


def test_prep_and_debrief_can_log_the_coaching_time(kb, monkeypatch):
    import coachgen.llm.models as models

    answer = {"objective": "Agree a signature date.", "best_outcome": "A signed order form.", "minimum_outcome": "A dated legal review.",
              "agenda": ["Upfront contract", "Recap", "Next step"], "sources": [1]}
    monkeypatch.setattr(models, "make_chat_model", lambda settings: GenericFakeChatModel(messages=iter([AIMessage(content=json.dumps(answer))] * 4)))
    runner = CliRunner()
    assert runner.invoke(app, ["prep", "D-1001", "--log-minutes", "20"]).exit_code == 0
    assert runner.invoke(app, ["debrief", "D-1001", "--notes", "It went fine.", "--log-minutes", "25"]).exit_code == 0
    entries = kb.records.coaching("2000-01-01", "2999-12-31")
    assert [(e["rep"], e["minutes"], e["type"]) for e in entries] == [("Dana Whitfield", 20, "call-prep"), ("Dana Whitfield", 25, "debrief")]


def test_weekly_agenda(kb):
    agenda = weekly_agenda(kb, "Jonah Patel", date(2026, 11, 22))
    assert agenda.reps == ["Ben Okafor", "Grace Liu", "Tom Reilly"]
    blocks = {block.title: block for block in agenda.blocks}
    assert sum(block.minutes for block in agenda.blocks) == 60
    assert blocks["Stuck deals"].lines[0].startswith("Stonebridge Insurance (D-1026")
    assert "NetSuite connector 3.0" in blocks["Product news"].lines[0] and blocks["Product news"].sources
    assert all("Q2 2026 promotion" not in line for line in blocks["Product news"].lines)  # expired
    assert blocks["Skill drill"].sources and set(blocks["Skill drill"].sources) <= {s.number for s in agenda.sources}
    won = weekly_agenda(kb, "Jonah Patel", date(2026, 6, 14))
    assert won.blocks[0].lines == ["Won: Bayside Restaurants (Tom Reilly, $39,000)"]


def test_agenda_prefers_skills_named_in_debriefs(kb):
    debrief = {"skills": [{"module": {"text": "Training module: active listening", "sources": []}}]}
    kb.records.save_debrief("D-1025", "2026-11-20T10:00:00+00:00", json.dumps(debrief))
    agenda = weekly_agenda(kb, "Jonah Patel", date(2026, 11, 22))
    skill = agenda.blocks[-1]
    assert skill.lines[0].startswith("Training module: active listening: named in 1 debrief(s)")


def test_agenda_cli(kb):
    result = CliRunner().invoke(app, ["agenda", "--team", "Sarah Kim", "--week", "2026-11-22", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["team"] == "Sarah Kim"
    assert CliRunner().invoke(app, ["agenda", "--team", "Nobody"]).exit_code == 1


def test_cadence_ranks_under_coached_reps_by_need_and_names_the_best_rep_trap(kb):
    """Issue 18: cadence ranks under-coached reps by need over a rolling 30 days and names the trap of coaching the best rep most."""
    from coachgen.cadence import TRAP, priorities

    records = kb.records
    ranked, _ = priorities(records, date(2026, 11, 20))
    rated = [p for p in ranked if p.win_rate is not None]
    best = max(rated, key=lambda p: p.win_rate)
    log_coaching(records, best.rep, 240, "1on1", day=date(2026, 11, 10))
    log_coaching(records, best.rep, 60, "1on1", day=date(2026, 10, 1))  # outside the 30 days
    ranked, notes = priorities(records, date(2026, 11, 20))
    mine = next(p for p in ranked if p.rep == best.rep)
    assert mine.hours == 4.0 and not mine.under_coached and ranked[-1].rep == best.rep or not ranked[-1].under_coached
    needs = [p.need for p in ranked if p.under_coached and p.need is not None]
    assert needs == sorted(needs, reverse=True)
    assert TRAP in notes and any(best.rep in note and "move hours" in note for note in notes)
    result = CliRunner().invoke(app, ["coach", "cadence", "--month", "2026-11"])
    assert result.exit_code == 0 and "Who to coach next" in result.stdout and "coaching the best rep most" in result.stdout
