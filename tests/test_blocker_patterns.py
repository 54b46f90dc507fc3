"""Blocker patterns read context: ordinary sentences that share a blocker's words pass, real giveaways do not,
in the default rubric and in the sample's own."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from coachgen.knowledge.defaults import load
from coachgen.rubric import parse_rubric

ROOT = Path(__file__).resolve().parents[1]
RUBRICS = [parse_rubric(copy.deepcopy(load("rubric")), "default"),
           parse_rubric(yaml.safe_load((ROOT / "knowledge" / "rubrics" / "objection-handling.yaml").read_text()), "sample")]
COMPETITORS = ("Rivalco", "Otherware")

INNOCENT = [
    "The implementation work is on us, not your team.",
    "That's on me, I should have sent the figures sooner.",
    "What's the number you need to see in the business case?",
    "If you drop the training module, the fee comes down accordingly.",
    "We could start with a lower number of seats for the pilot.",
    "The enterprise plan's price includes the audit log.",
    "We discount only when the term is longer.",
    "Leave it with me and I'll check with engineering and come back by Friday.",
    "There's no question that it's a big decision for you.",
    "I'll have a written answer for you before Thursday's meeting.",
    "We'll check in with you on every single milestone.",
    "We won't see another price review under this contract until 2027.",
    "Your engineers said they don't want to be a test case, and that's fair.",
    "They told me the last rollout felt shaky, and I understand why that worries you.",
    "If you'll host a site visit for another customer, I can bring the subscription down a little.",
]
GIVEAWAYS = [
    ("I'll knock 15% off if you do the deal today.", "unearned-discount"),
    ("I'll take 10% off and agree to your payment terms.", "unearned-discount"),
    ("The first three months are on me.", "unearned-discount"),
    ("I'll leave the connector off the invoice, you won't pay for it.", "unearned-discount"),
    ("Rivalco treats its customers like hostages.", "attacks-competitor"),
    ("Disputes will go to zero the month you switch it on.", "overpromise"),
    ("It pays for itself in a month, take it from me.", "overpromise"),
]


@pytest.mark.parametrize("rubric", RUBRICS, ids=["default", "sample"])
@pytest.mark.parametrize("sentence", INNOCENT)
def test_ordinary_sentences_are_not_blockers(rubric, sentence):
    assert [b.id for b in rubric.blockers if b.matches(sentence, sentence, COMPETITORS)] == []


@pytest.mark.parametrize("rubric", RUBRICS, ids=["default", "sample"])
@pytest.mark.parametrize("sentence, blocker", GIVEAWAYS)
def test_giveaways_said_in_other_words_are_blockers(rubric, sentence, blocker):
    assert blocker in [b.id for b in rubric.blockers if b.matches(sentence, sentence, COMPETITORS)]


# Rules composed from parts, read over a whole sentence; what excuses them may follow in the next sentence.
COMPOSED = [
    ("We'll keep you on the rate we usually keep for our biggest accounts.", "unearned-discount"),
    ("I won't charge you the setup fee this time.", "unearned-discount"),
    ("You'd get the same price as a customer on our longest plan.", "unearned-discount"),
    ("Let's call it forty down to thirty and leave it there.", "unearned-discount"),
    ("The second year's licences are on us.", "unearned-discount"),
    ("Once it's live, your team won't chase a late approval ever again.", "overpromise"),
    ("Your reports will balance every single month, no question.", "overpromise"),
    ("With the alerts on, missed deadlines simply disappear.", "overpromise"),
]
NOT_COMPOSED = [
    ("If you sign for two years, we'll keep you on the rate we usually reserve for bigger accounts.", None),
    ("We'll keep you on the rate we usually reserve for bigger accounts.", "In return we'd ask for a two-year term."),
    ("There's no setup fee; it's part of every plan.", None),
    ("The price is the same for ten users as for five.", None),
    ("We won't change the terms again without telling you first.", None),
    ("I can't promise it will never fail, but outages are rare.", None),
    ("If the data is clean, most of the errors stop.", None),
    ("We'll check every single invoice with you during the pilot.", None),
    ("You said your team will never open another spreadsheet again, and I believe you.", None),
    ("Small tools that simply disappear are the hardest to keep track of.", None),
    # product facts and standard terms, not promises or giveaways (a review found the first rules flagging them)
    ("Your team won't need another login, it uses your existing single sign-on.", None),
    ("The pricing won't change for another year under the contract.", None),
    ("It will work from day one with your ERP.", None),
    ("We won't charge the installation fee; it is included in every plan.", None),
    ("Setup is on us for every customer, it's in the standard terms.", None),
    ("You'll get the same price as the list on our website.", None),
]


@pytest.mark.parametrize("rubric", RUBRICS, ids=["default", "sample"])
@pytest.mark.parametrize("sentence, blocker", COMPOSED)
def test_composed_rules_find_the_behaviour_in_other_words(rubric, sentence, blocker):
    assert blocker in [b.id for b in rubric.blockers if b.shows(sentence, None, COMPETITORS)]


@pytest.mark.parametrize("rubric", RUBRICS, ids=["default", "sample"])
@pytest.mark.parametrize("sentence, following", NOT_COMPOSED)
def test_composed_rules_leave_trades_refusals_and_own_commitments_alone(rubric, sentence, following):
    assert [b.id for b in rubric.blockers if b.shows(sentence, following, COMPETITORS)] == []


@pytest.mark.parametrize("rubric", RUBRICS, ids=["default", "sample"])
def test_a_competitor_blocker_knows_its_subject(rubric):
    about = next(b for b in rubric.blockers if b.id == "attacks-competitor").about
    assert about is not None and about.names("Rivalco bills per seat.", COMPETITORS)
    assert about.carries("Their support desk closes at five.", COMPETITORS)
    assert about.neutral("Rivalco's app is quick.", COMPETITORS) == "they app is quick."
