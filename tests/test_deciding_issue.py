"""Plans and debriefs open with the issue that decides the deal, answer it from the library, and flag advice against it."""

import json

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.call_plan import build_call_plan, prepare_call
from coachgen.artifacts.common import CitedText, SourcePack
from coachgen.artifacts.deciding_issue import DecidingIssue, conflicts_with, find_deciding_issue
from coachgen.artifacts.grounding import Contact
from coachgen.artifacts.meddpicc import assess_readings
from coachgen.cli import app
from coachgen.llm.models import NoModel
from coachgen.prompts import PromptLibrary
from coachgen.render import plan_outline, render



def _cli(home, *args):
    result = CliRunner().invoke(app, ["--home", str(home), *map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def test_the_signers_worry_about_the_term_leads_the_negotiation_plan(sample_kb):
    """Regression (D-1001): the CFO's three-year-term worry decides the deal; the library answers it; the advice
    to offer procurement a longer term is flagged against it."""
    prepared = prepare_call(sample_kb, PromptLibrary(sample_kb.settings), "D-1001")
    issue = prepared.deciding
    assert issue.kind == "concern" and "three-year term" in issue.issue and issue.said_on == "2026-11-03"
    assert "economic buyer" in issue.why
    assert issue.objection == "We won't sign a three-year contract." and "price lock" in issue.answer.text
    assert any("Procurement says every vendor must cut 15%" in line and "'term'" in line for line in issue.conflicts)
    plan = build_call_plan(prepared, NoModel("test"), "none")
    assert plan.agenda[1].startswith("Settle the deciding issue first: ") and "three-year term" in plan.agenda[1]
    text = render(plan, "md", plan_outline(plan))
    assert text.index("## The deciding issue") < text.index("## Deal")
    assert "Library: We won't sign a three-year contract." in text
    cited = plan.deciding_issue.answer.sources[0]
    assert any(s.number == cited and "objection" in s.file for s in plan.sources)


def test_a_debrief_opens_with_the_issue_and_quotes_the_reps_own_words(sample_copy):
    notes = "Rachel said she cannot sign a three-year term this quarter. I offered 10% off to close and I talked too much about features."
    debrief = json.loads(_cli(sample_copy, "debrief", "D-1001", "--notes", notes, "--no-llm", "--format", "json").stdout)
    issue = debrief["deciding_issue"]
    assert issue["kind"] == "concern" and "three-year term" in issue["issue"]
    assert issue["objection"] == "We won't sign a three-year contract."
    first = debrief["questions"][0]
    assert first["topic"] == "Deciding issue" and "three-year term" in first["question"] and first["sources"]
    ours = [q for q in debrief["questions"] if q["topic"] == "Your words"]
    assert ours and "I offered 10% off to close" in ours[0]["question"]
    # the next plan starts from the new notes
    plan = json.loads(_cli(sample_copy, "prep", "D-1001", "--no-llm", "--format", "json").stdout)
    assert "this quarter" in plan["deciding_issue"]["issue"]


def test_a_deal_whose_notes_raise_nothing_leads_with_its_open_qualification(sample_kb):
    pack = SourcePack()
    statuses = assess_readings([])
    issue = find_deciding_issue(sample_kb, "", [], statuses, pack)
    assert issue.kind == "gap" and issue.answer is None and issue.conflicts == []


def test_advice_on_the_same_topic_is_an_answer_not_a_conflict():
    issue = DecidingIssue(kind="concern", issue="They want 12 months max after a bad five-year lease.", why="test",
                          objection="Why is the standard term 36 months?",
                          answer=CitedText(text="Explain what the 36-month price buys; offer 12 at list.", sources=[1]))
    advice = [("We only want a 12-month contract.", "Offer 12 months at list price."),
              ("Procurement wants 20% off.", "Trade it for a longer commitment of 36 months.")]
    found = conflicts_with(issue, advice, [])
    assert len(found) == 1 and "Procurement wants 20% off." in found[0]


def test_second_corpus_concerns_find_their_library_answer(northwind_home, embedder):
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import load_settings

    kb = KnowledgeBase(load_settings(home=northwind_home, environ={}), embedder=embedder)
    try:
        by_notes = {}
        for deal in kb.records.deals(status="open"):
            notes = kb.records.notes(deal["id"])
            for marker in ("stick Haulsight", "6% index"):
                if marker in notes:
                    by_notes.setdefault(marker, deal["id"])
        assert set(by_notes) == {"stick Haulsight", "6% index"}
        expected = {"stick Haulsight": "We can set Haulsight up ourselves in an afternoon.", "6% index": "The price went up 6% and nobody told us."}
        for marker, deal_id in by_notes.items():
            prepared = prepare_call(kb, PromptLibrary(kb.settings), deal_id)
            assert prepared.deciding.kind == "concern" and marker in prepared.deciding.issue
            assert prepared.deciding.objection == expected[marker]
    finally:
        kb.close()


def test_without_objections_the_issue_still_leads_and_says_what_is_missing(sample_copy):
    _cli(sample_copy, "kb", "remove", "objections/objection-library.yaml")
    text = _cli(sample_copy, "prep", "D-1001", "--no-llm").stdout
    assert "## The deciding issue" in text
    assert "The knowledge base has no answer to it: add the objection and its response to the library." in text


def test_contacts_named_by_the_economic_buyer_evidence_decide_between_two_concerns(sample_kb):
    notes = ("2026-11-10: Procurement asked for 15% off to stay in the process. Rachel worried about a three-year term.\n")
    statuses = [type("S", (), {"element": "Economic buyer", "status": "known", "evidence": "Rachel Stein (CFO) signs."})()]
    issue = find_deciding_issue(sample_kb, notes, [Contact(name="Rachel Stein", role="CFO")], statuses, SourcePack())
    assert "three-year term" in issue.issue and issue.said_on == "2026-11-10"
