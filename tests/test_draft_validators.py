"""The draft checks against a labelled set of drafts (tests/fixtures/drafts_labelled.yaml).

Real answers of the embedded model and written ones, each labelled ok, invented or unusable with the context its
artifact's checks see. Every invented or unusable draft must be rejected (recall 1.0); at most 5% of the ok drafts
may be (false alarms). The figures are printed for benchmarks/RESULTS.md.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from coachgen.artifacts.drafts import (
    DraftContext,
    check_draft,
    dates_invented,
    embedding_similarity,
    names_invented,
    numbers_invented,
    ordinary_words,
    parse_draft,
    prompt_headings,
    same_word,
    voices,
)

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "drafts_labelled.yaml"
CORPORA = {"sample": ROOT / "knowledge", "northwind": ROOT / "tests" / "corpora" / "northwind"}
MAX_FALSE_ALARMS = 0.05


@cache
def labelled() -> dict:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


@cache
def corpus_words(corpus: str) -> frozenset[str]:
    """The words the corpus's files write in lower case: what ``team_words`` reads from its index."""
    files = [p for p in sorted(CORPORA[corpus].rglob("*")) if p.is_file() and p.suffix in (".md", ".yaml", ".yml", ".csv", ".json")]
    return ordinary_words(p.read_text(encoding="utf-8-sig", errors="replace") for p in files)


@cache
def similarity():
    """Meaning similarity under the bundled embedder, as the artifacts pass it (``kb.embedder``)."""
    from coachgen.index.embeddings import OnnxMiniLM

    return embedding_similarity(OnnxMiniLM())


def problems_of(item: dict) -> list[str]:
    """What the checks say about a labelled item: the parse problem of a raw answer, else check_draft's problems."""
    record = labelled()["contexts"][item["context"]]
    context = DraftContext.from_record(record, ordinary=corpus_words(record["corpus"]), headings=list(prompt_headings(item["artifact"])),
                                       similarity=similarity())
    if "raw" in item:
        fields, problem = parse_draft(item["artifact"], item["raw"])
        if problem:
            return [problem]
    else:
        fields = item["fields"]
    return check_draft(item["artifact"], fields, context)


@cache
def verdicts() -> list[tuple[dict, list[str]]]:
    return [(item, problems_of(item)) for item in labelled()["items"]]


def test_the_set_is_big_enough_and_covers_every_kind():
    items = labelled()["items"]
    assert len(items) >= 150
    assert sum(i["origin"] == "model" for i in items) >= 30
    kinds = {i["kind"] for i in items if i["label"] == "invented"}
    assert {"person", "company", "number", "date", "citation"} <= kinds
    assert {"junk", "role", "no-objection"} <= {i["kind"] for i in items if i["label"] == "unusable"}
    assert {"prep", "debrief", "drill", "roleplay", "train"} <= {i["artifact"] for i in items if i["label"] == "ok"}


def test_every_invented_or_unusable_draft_is_rejected():
    bad = [(item, problems) for item, problems in verdicts() if item["label"] != "ok"]
    missed = [f"{item['id']} ({item['kind']}): {item.get('fields') or item['raw'][:120]}" for item, problems in bad if not problems]
    print(f"\nrecall on invented + unusable drafts: {len(bad) - len(missed)}/{len(bad)}")
    assert not missed, "accepted: " + "\n".join(missed)


def test_false_alarms_on_ok_drafts_stay_under_five_percent():
    ok = [(item, problems) for item, problems in verdicts() if item["label"] == "ok"]
    alarms = [f"{item['id']}: {problems}" for item, problems in ok if problems]
    share = len(alarms) / len(ok)
    print(f"\nfalse alarms on ok drafts: {len(alarms)}/{len(ok)} ({share:.1%})" + "".join(f"\n  {a}" for a in alarms))
    assert share <= MAX_FALSE_ALARMS, "\n".join(alarms)


@pytest.mark.parametrize("kind", ["person", "company", "number", "date", "citation"])
def test_recall_per_invention_kind(kind):
    items = [(item, problems) for item, problems in verdicts() if item["label"] == "invented" and item["kind"] == kind]
    assert items and all(problems for _, problems in items)


def test_an_apostrophe_belongs_to_its_word():
    ordinary = ordinary_words(["the business model can be broken; ask for the budget"])
    assert names_invented("The Business Model Can't Be Broken, so trade terms.", "", ordinary) == []
    assert names_invented("Ask O'Brien for the budget.", "", ordinary) == ["O'Brien"]
    assert names_invented("Rachel's concern is the term.", "Rachel Stein (CFO)", ordinary) == []


def test_capitalised_common_words_are_not_people_but_titles_and_firms_are():
    ordinary = ordinary_words(["walk the mutual action plan with the partners at blue ocean"])
    assert names_invented("Walk the Mutual Action Plan.", "", ordinary) == []
    assert names_invented("Blue Ocean Partners did this.", "", ordinary) == ["Blue Ocean Partners"]
    assert names_invented("Ask Dr Patel.", "", ordinary) == ["Dr Patel"]
    assert names_invented("Michael Johnson signs.", "", ordinary) == ["Michael Johnson"]


def test_list_numbering_is_not_a_number_but_amounts_are_read_by_value():
    assert numbers_invented("1) Recap 2) Price 3) Next step", "") == []
    assert numbers_invented("Close the $96k deal at 15% off.", "96000.0 and 15% off") == []
    assert numbers_invented("Offer 20% off.", "15% off") == ["20%"]


def test_dates_must_be_in_the_records():
    assert dates_invented("Redlines by 2 Dec, close in December.", "redlines by 2 Dec; close 2026-12-15") == []
    assert dates_invented("Sign by Friday.", "redlines by 2 Dec") == ["Friday"]
    assert dates_invented("Sign by 30 November.", "redlines by 2 Dec") == ["30 November"]


def test_skills_match_in_any_word_form():
    assert same_word("negotiate", "negotiation") and same_word("negotiating", "negotiation")
    assert same_word("handle", "handling") and same_word("objections", "objection")
    assert not same_word("discount", "discovery")
    context = DraftContext(known="", focus="negotiation", strengths=["discovery"], ordinary=ordinary_words(["you are strong at"]))
    note = "You ask great discovery questions. Next, practise how you negotiate when procurement pushes on price."
    assert check_draft("train", {"note": note}, context) == []


def test_a_buyer_line_must_voice_its_objection():
    objection = "Procurement says every vendor must cut 15% to stay in the process."
    assert voices("Procurement wants every supplier to take 15% off.", objection)
    assert not voices("Thanks for coming in today, how was the drive over?", objection)


def test_a_rubric_pattern_lends_the_draft_checks_no_words():
    """Words inside a regular expression of the team's files (a blocker pattern's alternatives) are not words the team writes,
    so a capitalised 'Bill' in a draft is still a name nobody gave; the same word in the team's prose is ordinary."""
    from coachgen.artifacts.drafts import ordinary_words

    patterns = "patterns:\n  - '\\b(give|offer)\\b.{0,40}(\\bdiscount|\\bbill\\b|\\bquill)'\n  - '(zorble|quill) (is|are) on (me|us)'\n"
    assert not {"bill", "quill", "zorble"} & ordinary_words([patterns])
    assert "quill" in ordinary_words([patterns, "We send the quill with every order. | Stage | Exit |"])


def test_a_field_that_restates_its_request_or_stops_mid_sentence_is_caught():
    from coachgen.artifacts.drafts import cut_off, echoes

    asked = ["The least the rep accepts before ending the call."]
    assert echoes("The least the rep accepts before ending the call is a dated review.", asked, ["minimum outcome"])
    assert echoes("Minimum outcome: a dated review", [], ["minimum outcome"]) and echoes("Agendas: pricing", [], ["agenda"])
    assert echoes("A dated legal review with procurement before we end.", asked, ["minimum outcome"]) is None
    assert cut_off("They agree on an annual prepayment,") and cut_off("We agree the scope and the")
    assert not cut_off("Recap the close target") and not cut_off("A dated legal review.")
