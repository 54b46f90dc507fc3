"""Spaced repetition: low scores come back sooner, and `drill --rep` picks what is due first."""

from datetime import date

import pytest

from coachgen.artifacts.drill import pick_objections
from coachgen.spaced import INTERVALS, interval_days, schedule

LIB = "objections/objection-library.yaml#"


def attempt(key, day, score, passed, objection=None):
    return {"rep": "Dana Whitfield", "created_at": f"{day}T10:00:00+00:00", "objection_key": LIB + key, "objection": objection or key,
            "rubric_id": "objection-handling", "rubric_version": "1.0", "rubric_sha": "abc", "mode": "interactive",
            "score": score, "passed": int(passed), "scorecard": "{}", "transcript": "[]"}


def test_lower_scores_come_back_sooner():
    assert interval_days(1.5, False, 0) == 0 < interval_days(2.8, False, 0) == 1
    assert interval_days(3.0, True, 1) < interval_days(5.0, True, 1) == INTERVALS[0]
    assert [interval_days(5.0, True, n) for n in range(1, 7)] == [*INTERVALS, INTERVALS[-1]]


def test_schedule_counts_streaks_and_resets_on_a_failure():
    rows = [attempt("no-budget", "2026-11-01", 4.0, True), attempt("no-budget", "2026-11-03", 4.5, True),
            attempt("no-budget", "2026-11-09", 2.0, False)]
    review = schedule(rows)[LIB + "no-budget"]
    assert (review.attempts, review.streak, review.due) == (3, 0, date(2026, 11, 10))
    assert schedule(rows[:2])[LIB + "no-budget"].due == date(2026, 11, 3 + round(6 * 4.5 / 5))


@pytest.fixture
def kb(copy_kb):
    return copy_kb


def test_drill_for_a_rep_picks_due_objections_first_lowest_score_first(kb):
    with kb.catalog.transaction():
        for row in (attempt("price-too-high", "2026-11-10", 4.8, True, "Your price is too high."),      # due 11-12
                    attempt("no-budget", "2026-11-18", 1.5, False, "We don't have budget for this this year."),  # due 11-18
                    attempt("need-to-think", "2026-11-18", 2.6, False, "We need to think about it."),  # due 11-19
                    attempt("ghosting", "2026-11-19", 5.0, True, "ghosting")):                        # due 11-21, not yet
            kb.records.add_attempt(row)
    picks = pick_objections(kb, rep="Dana Whitfield", count=6, today=date(2026, 11, 20))
    keys = [p.hit.doc_key.removeprefix(LIB) for p in picks]
    assert keys[:3] == ["price-too-high", "no-budget", "need-to-think"]
    assert picks[1].why.startswith("due since 2026-11-18 (last score 1.5")
    assert "ghosting" not in keys[:6]
    assert all(p.why.startswith(("raised in", "not practised yet")) for p in picks[3:])
    with kb.catalog.transaction():
        for hit in kb.catalog.chunks_of_kind("objection"):
            if not hit.doc_key.endswith(("#ghosting", "#price-too-high", "#no-budget", "#need-to-think")):
                kb.records.add_attempt(attempt(hit.doc_key.removeprefix(LIB), "2026-11-19", 5.0, True))
    later = pick_objections(kb, rep="Dana Whitfield", count=20, today=date(2026, 11, 20))
    assert [p.hit.doc_key.removeprefix(LIB) for p in later[:3]] == ["price-too-high", "no-budget", "need-to-think"]
    assert all(p.why.startswith("early: next due") for p in later[3:])
    assert len({p.hit.doc_key for p in later}) == len(later)
