"""Debriefs that react to what happened on the call: concessions tested against the team's rule (trade, never give),
attendees and dated next steps from the new notes, and the last call's outcome kept for the next plan.

On the bundled sample, on the second corpus (tests/corpora/northwind), and on a small knowledge base without any
negotiation guidance. The note sentences are written here, in the styles reps write them.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.call_outcome import attendees, concessions, latest_outcome
from coachgen.artifacts.debrief import build_debrief, prepare_debrief
from coachgen.artifacts.grounding import Contact
from coachgen.cli import app
from coachgen.llm.models import NoModel
from coachgen.prompts import PromptLibrary
from coachgen.render import debrief_outline, render
from tests.conftest import write



def _debrief(kb, deal_id, notes):
    return build_debrief(prepare_debrief(kb, PromptLibrary(kb.settings), deal_id, notes), NoModel("test"), "none")


def _cli(home, *args):
    result = CliRunner().invoke(app, ["--home", str(home), *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.stdout


def _topics(debrief, topic):
    return [q for q in debrief.questions if q.topic == topic]


# the bundled sample ---------------------------------------------------------------
def test_a_discount_given_for_nothing_is_questioned_with_the_teams_cited_rule(sample_kb):
    debrief = _debrief(sample_kb, "D-1001", "Rachel kept pressing, so towards the end I knocked 12% off the subscription to keep it moving.")
    [given] = debrief.concessions
    assert not given.traded and "12% off" in given.sentence
    [question] = _topics(debrief, "Concession")
    assert "What did you get in return?" in question.question and "The team's rule:" in question.question
    cited = {s.number: s for s in debrief.sources}
    assert question.sources and all(cited[n].file.startswith(("objections/", "training/")) for n in question.sources)
    assert not any("no rule on concessions" in note for note in debrief.notes)
    text = render(debrief, "md", debrief_outline(debrief))
    assert "## Concessions" in text and "Given for nothing back" in text


def test_a_traded_concession_is_acknowledged_not_questioned(sample_kb):
    notes = "Dropped the rate by 8 percent, but only if they put a two-year term on the order form."
    debrief = _debrief(sample_kb, "D-1001", notes)
    [given] = debrief.concessions
    assert given.traded and given.got.startswith("only if they put a two-year term")
    assert _topics(debrief, "Concession") == [] and len(_topics(debrief, "Concession traded")) == 1


def test_a_return_in_the_next_sentence_makes_it_a_trade(sample_kb):
    found = concessions(sample_kb, "Said we'd include the NetSuite connector at no charge. In return Tomas will give us a reference call in March.")
    assert [c.traded for c in found] == [True] and found[0].got.startswith("In return")
    nothing = concessions(sample_kb, "We extended their payment terms to 60 days, nothing in return.")
    assert [c.traded for c in nothing] == [False]


def test_playbook_wording_and_the_buyers_asks_are_no_concessions(sample_kb):
    notes = ("Never discount before you know what the price is being compared with. "
             "There is a discount for paying the year upfront. "
             "Procurement asked for 15% off to stay in the process. "
             "Quorvel offered them 20% off to switch. "
             "I held firm on price and didn't give any discount. "
             "The CFO asked if we could waive implementation.")
    assert concessions(sample_kb, notes) == []
    debrief = _debrief(sample_kb, "D-1001", notes)
    assert debrief.concessions == [] and not _topics(debrief, "Concession")


def test_attendees_and_dated_next_steps_come_from_the_new_notes(sample_kb):
    notes = ("Ines Duarte sat in, and their Head of Procurement Owen Marsh joined for the pricing part. "
             "Tomas is sending the signed NDA back by Thursday. "
             "I'll book the security review with their IT lead.")
    debrief = _debrief(sample_kb, "D-1001", notes)
    people = {a.name: a for a in debrief.attendees}
    assert not people["Ines Duarte"].new and people["Ines Duarte"].role == "AP Manager"
    assert people["Owen Marsh"].new and people["Owen Marsh"].role == "Head of Procurement"
    assert "Dana Whitfield" not in people  # the rep is no attendee
    dated = next(s for s in debrief.next_steps if "NDA" in s.step)
    assert dated.dated and dated.when == "Thursday" and dated.owner == "buyer" and dated.due
    undated = next(s for s in debrief.next_steps if "security review" in s.step)
    assert not undated.dated and undated.owner == "rep"
    text = render(debrief, "md", debrief_outline(debrief))
    assert "## Who was on the call" in text and "Owen Marsh (Head of Procurement) NEW" in text
    assert "## Next steps agreed" in text and "no date agreed" in text


def test_new_names_need_a_role_beside_them():
    found = attendees("Spoke about Harbor Street. Maria Lopez, their CFO, joined late. Sent Kim Park the deck.",
                      [Contact(name="Kim Park", role="Controller")])
    assert [(a.name, a.role, a.new) for a in found] == [("Maria Lopez", "CFO", True), ("Kim Park", "Controller", False)]


def test_latest_outcome_returns_what_the_last_debrief_recorded(sample_copy, embedder):
    from coachgen.deal_log import append_to_deal
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import load_settings

    notes = "Rachel and Tomas both joined. Rachel will send the redlined MSA on 4 Dec. Threw in a free training day."
    debrief = json.loads(_cli(sample_copy, "debrief", "D-1001", "--notes", notes, "--no-llm", "--format", "json"))
    kb = KnowledgeBase(load_settings(home=sample_copy, environ={}), embedder=embedder)
    try:
        assert latest_outcome(kb, "D-1002").attendees == []  # no call recorded there
        outcome = latest_outcome(kb, "D-1001")
        assert [a.model_dump() for a in outcome.attendees] == debrief["attendees"]
        assert [s.model_dump() for s in outcome.next_steps] == debrief["next_steps"]
        assert {a.name for a in outcome.attendees} == {"Rachel Stein", "Tomas Varga"}
        assert [s.when for s in outcome.next_steps] == ["4 Dec"]
        # call notes recorded later without a debrief are read when asked for
        append_to_deal(kb, "D-1001", "call-notes", "Ines Duarte wants the AP workflow demo; she books it for 9 Dec.")
        later = latest_outcome(kb, "D-1001")
        assert [a.name for a in later.attendees] == ["Ines Duarte"] and later.next_steps[0].when == "9 Dec"
    finally:
        kb.close()


def test_the_next_plan_carries_the_last_calls_attendees_next_steps_and_concessions(sample_copy):
    notes = "Rachel and Tomas both joined. Rachel will send the redlined MSA on 2030-03-05. Threw in a free training day."
    _cli(sample_copy, "debrief", "D-1001", "--notes", notes, "--no-llm")
    plan = json.loads(_cli(sample_copy, "prep", "D-1001", "--no-llm", "--format", "json"))
    call = plan["last_call"]
    assert {a["name"] for a in call["attendees"]} == {"Rachel Stein", "Tomas Varga"}
    assert [(s["due"], s["owner"]) for s in call["next_steps"]] == [("2030-03-05", "buyer")]
    assert [c["traded"] for c in call["concessions"]] == [False]
    assert plan["advance_by"] == "2030-03-05" and "last call" in plan["advance_basis"]  # the buyer's date, not the CRM's
    page = _cli(sample_copy, "prep", "D-1001", "--no-llm")
    assert "From the last call" in page and "Given for nothing back" in page
    untouched = json.loads(_cli(sample_copy, "prep", "D-1002", "--no-llm", "--format", "json"))
    assert untouched["last_call"] is None


# the second corpus ----------------------------------------------------------------
@pytest.fixture
def northwind(northwind_home, embedder):
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import load_settings

    kb = KnowledgeBase(load_settings(home=northwind_home, environ={}), embedder=embedder)
    yield kb, kb.records.deals(status="open")[0]["id"]
    kb.close()


def test_second_corpus_questions_a_free_concession_and_cites_its_own_rule(northwind):
    kb, deal_id = northwind
    notes = ("Their operations director Freya Lund joined the site walk. "
             "Ended up agreeing a 14% discount on the Yard subscription. "
             "We also waived the pilot fee against a signed order form by 30 June. "
             "Freya will send the asset list by Friday.")
    debrief = _debrief(kb, deal_id, notes)
    by_traded = {c.traded: c for c in debrief.concessions}
    assert "14% discount" in by_traded[False].sentence and "pilot fee" in by_traded[True].sentence
    [question] = _topics(debrief, "Concession")
    cited = {s.number: s for s in debrief.sources}
    assert question.sources and all("handbook/sales" in cited[n].file for n in question.sources)
    assert [(a.name, a.new) for a in debrief.attendees] == [("Freya Lund", True)]
    step = next(s for s in debrief.next_steps if "asset list" in s.step)
    assert step.dated and step.when == "Friday" and step.owner == "buyer"


def test_second_corpus_playbook_lines_are_no_concessions(northwind):
    kb, _ = northwind
    notes = ("Then trade, don't give: a longer term, more assets, a case study, or a signature date this quarter. "
             "Never discount the pilot fee. Our average discount in 2024 was 13%. "
             "Haulsight offered them three months free.")
    assert concessions(kb, notes) == []


# a knowledge base without negotiation guidance ----------------------------------------
DEALS = """\
Deal ID,Deal Name,Account,Rep,Stage,Amount,Created,Close Date,Last Activity,Contacts,Notes
K-1,Brightwell Bakeries - sensors,Brightwell Bakeries,Noor Haddad,Proposal,36000,2026-08-01,2026-12-20,2026-11-10,Piet Olsen (Operations manager),"2026-11-10: Piet wants the pilot report before talking to finance."
"""


def test_without_negotiation_guidance_the_question_still_comes_with_a_missing_note(tmp_path, embedder):
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import load_settings

    folder = tmp_path / "kb"
    write(folder / "playbook" / "discovery.md", "# Discovery questions\n\n## Metrics\n- How many batches spoil in a month?\n"
          "- What does one spoiled batch cost?\n\n## Economic buyer\n- Who signs equipment spend above the plant budget?\n")
    write(folder / "playbook" / "pushback.md", "# Pushback\n\n| Concern | Response |\n| --- | --- |\n"
          "| We tried sensors and nobody read them | Ask what happened to the alerts; ours go to the shift lead's phone. |\n")
    write(folder / "crm" / "deals.csv", DEALS)
    kb = KnowledgeBase(load_settings(home=tmp_path / "home", environ={}), embedder=embedder)
    try:
        assert not kb.ingest([folder]).errors
        debrief = _debrief(kb, "K-1", "Piet liked the pilot. I gave him the second oven sensor free to get it signed quickly.")
        [question] = _topics(debrief, "Concession")
        assert "What did you get in return?" in question.question and question.sources == []
        assert "holds no rule on concessions" in question.question
        note = next(n for n in debrief.notes if "no rule on concessions" in n)
        assert "To add it" in note and "coachgen kb ingest" in note
    finally:
        kb.close()


def test_follow_up_promises_are_next_steps_not_concessions_and_the_subject_owns_the_step(sample_kb):
    from datetime import date

    from coachgen.artifacts.call_outcome import read_outcome
    from coachgen.artifacts.grounding import deal_facts

    deal = deal_facts(sample_kb.records.deal("D-1001"))
    notes = ("We'll send the additional pricing by Friday. I'll cover the security questions with their IT lead on Tuesday. "
             "It is on me to send the revised proposal by 2030-03-08. They will confirm by week 27. She signs the order by 29 Feb.")
    outcome = read_outcome(sample_kb, deal, notes, on=date(2030, 3, 4))
    assert outcome.concessions == []
    steps = {s.step: s for s in outcome.next_steps}
    assert steps["We'll send the additional pricing by Friday."].due == "2030-03-08" and steps["We'll send the additional pricing by Friday."].owner == "rep"
    assert steps["It is on me to send the revised proposal by 2030-03-08."].owner != "buyer"  # "it" is nobody's name
    assert steps["They will confirm by week 27."].due is None  # a week number names no day
    assert steps["She signs the order by 29 Feb."].due is None  # no 29 Feb in 2030 or 2031: no day, no traceback
    given = read_outcome(sample_kb, deal, "Threw in two extra licences to get it over the line.", on=date(2030, 3, 4))
    assert len(given.concessions) == 1 and not given.concessions[0].traded
