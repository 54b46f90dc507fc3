"""Note sentences read by meaning: a buying signal in budget words is no objection, a date makes a commitment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from coachgen.note_reading import find_date, read_notes, read_sentences, split_notes

LABELLED = Path(__file__).parent / "fixtures" / "note_sentences.yaml"
FRESH = Path(__file__).parent / "fixtures" / "note_sentences_fresh.yaml"


def test_the_budget_line_that_was_read_as_no_budget_is_a_buying_signal(embedder):
    """Issue 18: the sample's D-1001 line became a no-budget objection."""
    reading = read_sentences(embedder, ["Tomas said the budget line for next year is approved."])[0]
    assert reading.label == "buying_signal" and reading.speaker == "buyer"
    assert reading.meddpicc.get("Economic buyer") == "met"


def test_the_sample_deal_notes_keep_their_polarity(sample_kb, embedder):
    readings = {r.sentence: r for r in read_notes(embedder, sample_kb.records.notes("D-1001"))}
    labels = {s.split()[0] + " " + s.split()[1]: r.label for s, r in readings.items()}
    assert labels["Rachel worried"] == "concern"
    assert labels["Procurement asked"] == "risk"
    assert labels["Tomas confirmed"] == "buying_signal"


def test_northwind_notes_are_read_in_their_own_style(embedder):
    notes = ("07.05.2025: Stuart Lister (Hire Desk Manager) asked for a quote to add the new Norwich depot.\n"
             "03.06.2025: Unhappy about the 6% index increase – \"nobody told us\".\n"
             "12.05.2025: Board meeting 21.06. – Jana presenting")
    readings = read_notes(embedder, notes)
    assert [r.sentence[:12] for r in readings] == ["Stuart Liste", "Unhappy abou", "Board meetin"]
    assert [r.label for r in readings] == ["buying_signal", "concern", "commitment"]
    assert readings[2].date == "21.06."


@pytest.mark.xfail(strict=True, reason="known miss, left as measured: neither the nearest exemplars nor the trained head read a quoted price jibe as a worry")
def test_a_quoted_pushback_on_price_is_a_concern(embedder):
    reading = read_sentences(embedder, ["Pushback on tag price – \"€3.50 a month on a wacker plate is daft\"."])[0]
    assert reading.label == "concern"


@pytest.mark.parametrize("text, expected", [
    ("Security docs to IT by 27 Nov", "27 Nov"), ("Pricing call on 12/3", "12/3"), ("Pilot review 30.06. with the FD", "30.06."),
    ("Go/no-go on 2026-12-14.", "2026-12-14."), ("Demo Tue 14:00", "Tue 14:00"), ("Check in next quarter", "next quarter"),
    ("Hij stuurt de PO voor vrijdag.", "vrijdag"), ("Install in week 27", "week 27"),
    ("Legal review takes ~2 weeks", None), ("38 clinics, close takes 9 days", None), ("€3.50 a month", None),
])
def test_dates_are_found_and_durations_are_not(text, expected):
    assert find_date(text) == expected


def test_log_dates_are_not_part_of_the_sentence():
    assert split_notes("2026-11-20 (debrief): She said yes. 19 May: He left.\n19.05.2025: Walk agreed.") == \
        ["She said yes.", "He left.", "Walk agreed."]


def test_the_labelled_sets_stay_above_their_measured_floor(embedder):
    """Floors under the figures in benchmarks/RESULTS.md: a change that loses ground fails here. The head is fitted on
    tuning and holdout; fresh was never used to fit or choose anything (its floor is under its one measurement)."""
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    data["fresh"] = yaml.safe_load(FRESH.read_text(encoding="utf-8"))["holdout"]
    for split, floor, most_flipped in (("tuning", 0.85, 3), ("holdout", 0.72, 4), ("fresh", 0.58, 2)):
        items = data[split]
        readings = read_sentences(embedder, [item["text"] for item in items])
        accuracy = sum(item["label"] == r.label for item, r in zip(items, readings)) / len(items)
        flipped = sum(item["label"] == "buying_signal" and r.label == "concern" for item, r in zip(items, readings))
        assert accuracy >= floor and flipped <= most_flipped, (split, accuracy, flipped)
