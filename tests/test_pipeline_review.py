"""The Monday pipeline review: hygiene flags, the deals most at risk, commit and gap, no pull-ins."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.pipeline_review import LEAST_SURE, review_pipeline
from coachgen.cli import app
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings

NORTHWIND = Path(__file__).parent / "corpora" / "northwind"
MONDAY = date(2026, 11, 30)


def test_past_close_dates_are_flagged_and_later_deals_are_never_pulled_in(sample_kb):
    """Issue 18: a deal closing next year got 'close this quarter?', and deals past their close date went unflagged."""
    review = review_pipeline(sample_kb, rep="Omar Haddad", as_of=MONDAY).reps[0]
    flags = {h.id: h.flags for h in review.hygiene}
    assert any("close date 2026-11-28 has passed" in f for f in flags["D-1007"])
    assert any("follow-up with no date" in f for f in flags["D-1007"])  # "Waiting on CFO"
    assert not any("next step" in f for f in flags["D-1008"])  # dated: "... on 24 Nov"
    later = {h.account for h in review.hygiene if h.close_date and h.close_date > "2026-12-31"}
    assert later and not any(account in q for q in review.questions for account in later)
    assert all(h.in_period for h in review.top_deals) and len(review.top_deals) <= 3
    assert review.questions[-1] == LEAST_SURE


def test_commit_and_gap_need_a_quota_and_say_how_to_add_it(sample_kb):
    review = review_pipeline(sample_kb, rep="Tom Reilly", as_of=MONDAY).reps[0]
    assert review.commit >= review.metrics["won_amount"]
    if review.metrics["quota_period"] is None:
        assert review.gap_to_quota is None and any("coachgen reps import" in line for line in review.reading)
    else:
        assert review.gap_to_quota == max(review.metrics["quota_period"] - review.commit, 0)


def test_details_hide_behind_the_flag_and_json_has_everything(sample_copy):
    runner = CliRunner()
    short = runner.invoke(app, ["pipeline", "Tom Reilly", "--as-of", MONDAY.isoformat()])
    assert short.exit_code == 0, short.output
    assert "Discuss: " in short.stdout and "Stage conversion" not in short.stdout and LEAST_SURE in short.stdout
    detail = runner.invoke(app, ["pipeline", "Tom Reilly", "--as-of", MONDAY.isoformat(), "--detail"])
    assert "Stage conversion" in detail.stdout and "Flagged: " in detail.stdout
    data = json.loads(runner.invoke(app, ["pipeline", "Tom Reilly", "--as-of", MONDAY.isoformat(), "--format", "json"]).stdout)
    assert data["reps"][0]["hygiene"] and "commit" in data["reps"][0]


@pytest.fixture(scope="module")
def northwind(tmp_path_factory, embedder):
    base = KnowledgeBase(load_settings(home=tmp_path_factory.mktemp("nw") / "home", environ={}), embedder=embedder)
    base.ingest([NORTHWIND])
    yield base
    base.close()


def test_northwind_review_flags_hygiene_without_contacts_and_never_pulls_in(northwind):
    as_of = date(2025, 6, 16)
    rep = "Bram Verhoeven"
    review = review_pipeline(northwind, rep=rep, as_of=as_of)
    mine = review.reps[0]
    assert any("Contacts are not in the CRM export" in note for note in review.notes)
    assert any(f.startswith("next step \"Follow up on Order Form\"") for h in mine.hygiene for f in h.flags)
    end = date(2025, 6, 30).isoformat()
    later = {h.account for h in mine.hygiene if h.close_date and h.close_date > end}
    assert not any(f"Will {account} close" in q for q in mine.questions for account in later)
    assert mine.questions[-1] == LEAST_SURE
    assert mine.gap_to_quota == max(mine.metrics["quota_period"] - mine.commit, 0)


def test_northwind_cadence_ranks_by_need_and_plans_leave_the_rep_out_of_the_team(northwind):
    from coachgen.artifacts.development_plan import _team_deals
    from coachgen.cadence import TRAP, priorities

    ranked, notes = priorities(northwind.records, date(2025, 6, 16))
    assert ranked and TRAP in notes
    needs = [p.need for p in ranked if p.under_coached and p.need is not None]
    assert needs and needs == sorted(needs, reverse=True)
    rep = ranked[0].rep
    assert all((d["rep"] or "").lower() != rep.lower() for d in _team_deals(northwind, rep))
    assert northwind.settings.on_working_day(date(2025, 6, 15)) == date(2025, 6, 16)  # Sunday -> Monday
