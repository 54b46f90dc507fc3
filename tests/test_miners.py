"""The miners read the shapes real handbooks use (REAL_MATERIAL.md), for an invented company unlike the sample."""

from __future__ import annotations

from coachgen.ingest.markdown import load_markdown
from coachgen.knowledge.miners import mine_document


def mine(text: str, source: str = "sales/playbook/index.md"):
    document, _ = load_markdown(source, text)
    return mine_document(document)


def of(records, record_type):
    return [r for r in records if r.type == record_type]


PLAYBOOK = """\
---
title: Selling to dairy cooperatives
weight: 20
sidebar: true
---
# Selling to dairy cooperatives

Our cooling sensors go on bulk milk tanks.

## Objection handling

| What they say | What we say |
| --- | --- |
| *(Herd manager) The tank alarm already beeps* | A beep at 3 a.m. nobody hears is not an alarm. We text the right person. |
| *It costs more than the milk we lose* | Walk through last year's rejected loads together; most co-ops lose more than they think. |

## Potential objections

**We are locked into a contract with our current monitor**

Ask when it ends and offer a pilot on the tanks it does not cover.

A second paragraph of the same answer.

**Our drivers will never use an app**

They do not have to: alerts arrive as plain text messages.

## Discovery

### Metrics
- How many loads were rejected last season?
- What does one rejected load cost you?

### Economic buyer
- Who signs for equipment over ten thousand?

### Asking better questions
- Do you have problems with temperature? → What happened the last time a tank ran warm?

## Stages

### 1. Qualify
We confirm the co-op has more than 20 tanks.

Move on when:
- a site visit is booked
- the herd manager has named the budget owner

### 2. Pilot
Exit criteria: the pilot report is signed by the co-op board. Deals stuck here over 45 days are reviewed.

## Customer stories

### Valley Creamery
**Problem:** rejected loads every summer.
**Solution:** sensors on 40 tanks with text alerts.
**Result:** rejected loads down 70% in one season.

## Collateral to send
- Rejected-load calculator - after the first call
- Board pilot summary (when the board meets)
"""


def test_objection_tables_and_bold_lines_are_read_with_persona_and_response():
    records = mine(PLAYBOOK)
    objections = {o.text: o for o in of(records, "objection")}
    assert "The tank alarm already beeps" in objections
    assert objections["The tank alarm already beeps"].persona == "Herd manager"
    assert objections["It costs more than the milk we lose"].response.startswith("Walk through")
    bold = objections["We are locked into a contract with our current monitor"]
    assert bold.response.startswith("Ask when it ends") and "second paragraph" in bold.response
    assert bold.provenance.found_by == "bold-lines" and bold.provenance.heading.endswith("Potential objections")
    assert "Our drivers will never use an app" in objections


def test_question_lists_give_topics_elements_and_the_better_question():
    questions = of(mine(PLAYBOOK), "discovery_question")
    by_text = {q.text: q for q in questions}
    assert by_text["How many loads were rejected last season?"].element == "Metrics"
    assert by_text["Who signs for equipment over ten thousand?"].element == "Economic buyer"
    assert "What happened the last time a tank ran warm?" in by_text
    assert not any(q.text.startswith("Do you have problems") for q in questions)


def test_stages_with_exit_lists_labels_order_and_stuck_days():
    stages = of(mine(PLAYBOOK), "stage")
    assert [s.text for s in stages] == ["Qualify", "Pilot"]
    assert stages[0].exit_criteria == ["a site visit is booked", "the herd manager has named the budget owner"]
    assert stages[1].stuck_days == 45 and stages[1].order == 2


def test_proof_points_and_content_items():
    records = mine(PLAYBOOK)
    proof = of(records, "proof_point")
    assert proof and proof[0].text == "Valley Creamery" and proof[0].result.startswith("rejected loads down")
    content = [c.text for c in of(records, "content_item")]
    assert content == ["Rejected-load calculator", "Board pilot summary"]


def test_provenance_points_at_the_file_lines():
    text = PLAYBOOK
    records = mine(text)
    lines = text.splitlines()
    checked = of(records, "objection") + of(records, "discovery_question") + of(records, "stage")
    assert len(checked) >= 10
    for record in checked:
        first = lines[record.provenance.line_start - 1]
        assert " ".join(record.text.split()[:3]) in first, (record.text, record.provenance.line_start, first)


COMPETITORS = """\
# Competitive landscape

| Competitor | Their pitch | Our counter |
| --- | --- | --- |
| Frostline | Cheapest sensor on the market | Cheap sensors without alerts still lose the load |
| TankTrack | All-in-one farm software | We do one thing and integrate with theirs |

| Differentiator | How Frostline does it | How we do it |
| --- | --- | --- |
| Alerts | Email once a day | Text within two minutes |
"""


def test_competitor_tables_in_both_shapes():
    competitors = of(mine(COMPETITORS, "sales/competitors.md"), "competitor")
    names = [c.text for c in competitors]
    assert "Frostline" in names and "TankTrack" in names
    frostline = [c for c in competitors if c.text == "Frostline"]
    assert any("Cheapest sensor" in claim for c in frostline for claim in c.claims)


FAQ = """\
---
title: Frequently asked questions
---
# Frequently asked questions

## Why pay when the co-op already has a lab?
The lab tests a load after it is rejected; we stop the rejection.

## How do I book PTO?
Use the HR portal.
"""


def test_faq_headings_in_the_buyers_voice_are_objections_internal_ones_are_not():
    objections = [o.text for o in of(mine(FAQ, "faq.md"), "objection")]
    assert objections == ["Why pay when the co-op already has a lab?"]


TRAINING = """\
# Workshop: negotiating with co-op boards

Boards decide slowly; trade concessions for dates.

## Exercise
Role-play a board that asks for 20% off.
"""


def test_training_module_and_its_skill_from_the_title():
    modules = of(mine(TRAINING, "enablement/negotiation.md"), "training_module")
    assert len(modules) == 1 and modules[0].skill == "negotiation"


def test_ordinary_prose_yields_no_records():
    text = "# Travel policy\n\nBook trains when the trip is under four hours.\n\n## Expenses\n- Keep receipts.\n- Submit monthly.\n"
    assert mine(text, "ops/travel.md") == []
