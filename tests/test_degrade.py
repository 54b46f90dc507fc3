"""Every command on a knowledge base lacking one record type: an artifact still comes out, with a note saying what is missing.

The knowledge base is a small one for an invented company (not the sample); each variant leaves out one
file: the objections, the competitors, the sales stages, the training modules, the rubric, the deal notes
or the rep roster. A fake chat model at the LLM seam answers with nothing usable, so every artifact takes
its grounded fallback; the real embedded model runs the same flows in test_corpora.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

from coachgen.cli import app
from tests.conftest import KNOWLEDGE, write

FILES = {
    "objections": ("playbook/objections.md", """\
# Handling pushback

| Customer concern | How to respond |
| --- | --- |
| *(Plant manager) We tried sensors before and nobody looked at them* | Ask what happened to the alerts; ours go to the shift lead's phone, not a dashboard. |
| Your price is higher than the clipboard we use now | Put the cost of last quarter's spoiled batches next to the subscription. |
| We are already talking to Chillmark | Ask what they liked; Chillmark sells hardware, we sell the alert that saves the batch. |
"""),
    "competitors": ("playbook/competitors.md", """\
# Competitors

| Competitor | Their pitch | Our counter |
| --- | --- | --- |
| Chillmark | Rugged probes that last ten years | A probe nobody reads saves nothing; we route the alert |
"""),
    "stages": ("process/stages.md", """\
# Our sales stages

## Qualify
We check the plant has cold rooms worth watching.

Exit criteria: a site walk is booked with the plant manager.

## Pilot
Exit criteria: the pilot report is signed. Deals stuck here over 40 days are reviewed.

## Contract
Exit criteria: purchase order received.
"""),
    "training": ("enablement/negotiation-workshop.md", """\
# Workshop: negotiating with plant owners

Trade every concession for a date or a reference.

## Exercise
Role-play an owner who asks for 25% off.
"""),
    "discovery": ("playbook/discovery.md", """\
# Discovery questions

## Metrics
- How many batches did you lose to temperature last year?
- What does one lost batch cost?

## Economic buyer
- Who approves equipment spend above the plant budget?
"""),
    "rubric": ("rubrics/drill.yaml", (KNOWLEDGE / "rubrics" / "objection-handling.yaml").read_text(encoding="utf-8")),
}
DEALS = """\
Deal ID,Deal Name,Account,Rep,Stage,Amount,Created,Close Date,Last Activity,Contacts,Notes
P-1,Northfield Foods - pilot,Northfield Foods,Ava Brooks,Pilot,48000,2026-08-01,2026-12-20,2026-11-10,Lena Ortiz (Plant manager),"2026-11-10: Lena said they tried sensors before and nobody looked at them. Chillmark is also pitching. Pilot report due next week."
P-2,Greywater Dairy,Greywater Dairy,Ava Brooks,Qualify,12000,2026-10-01,,2026-11-01,Sam Hill (Owner),"2026-11-01: Sam thinks the price is higher than the clipboard they use now."
P-3,Eastgate Cold,Eastgate Cold,Ravi Shah,Contract,30000,2026-06-01,2026-10-30,2026-10-30,,
P-4,Lakeside Meats,,Ravi Shah,Closed Won,22000,2026-03-01,2026-07-01,2026-07-01,,
"""
NOTELESS = "\n".join(",".join(line.split(",")[:10]) + "," if i else line for i, line in enumerate(DEALS.splitlines()))
ROSTER = "rep,manager,region,quota\nAva Brooks,Mia Chen,North,400000\nRavi Shah,Mia Chen,North,380000\n"
VARIANTS = ["full", "objections", "competitors", "stages", "training", "rubric", "notes", "roster"]


def fake_model(settings):
    return GenericFakeChatModel(messages=iter([AIMessage(content="{}")] * 400))


def _knowledge(folder: Path, without: str) -> Path:
    for name, (path, text) in FILES.items():
        if name != without:
            write(folder / path, text)
    write(folder / "crm" / "deals.csv", NOTELESS if without == "notes" else DEALS)
    if without != "roster":
        write(folder / "crm" / "roster.csv", ROSTER)
    return folder


@pytest.fixture(scope="module")
def homes(tmp_path_factory):
    """One ingested home per variant (built once for the module)."""
    built = {}
    runner = CliRunner()
    for variant in VARIANTS:
        base = tmp_path_factory.mktemp(variant)
        folder = _knowledge(base / "kb", variant)
        result = runner.invoke(app, ["--home", str(base / "home"), "kb", "ingest", str(folder)])
        assert result.exit_code == 0, result.output
        built[variant] = base / "home"
    return built


COMMANDS = {
    "prep": ["prep", "P-1", "--format", "json"],
    "debrief": ["debrief", "P-1", "--notes", "Lena said nobody looked at the old sensors; she wants a price for 20 rooms.", "--format", "json"],
    "drill": ["drill", "--rep", "Ava Brooks", "--format", "json"],
    "drill-interactive": ["drill", "--rep", "Ava Brooks", "--interactive", "--format", "json"],
    "train": ["train", "Ava Brooks", "--format", "json"],
    "agenda": ["agenda", "--format", "json"],
    "pipeline": ["pipeline", "Ava Brooks", "--format", "json"],
    "pipeline-team": ["pipeline", "--team", "--format", "json"],
    "coach": ["coach", "cadence", "--format", "json"],
}
MISSING_WORDS = {"objections": "objections", "competitors": None, "stages": "stage", "training": "training", "rubric": "rubric",
                 "notes": None, "roster": None}


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_produces_an_artifact_without_each_record_type(homes, variant, command, monkeypatch):
    monkeypatch.setattr("coachgen.llm.models.make_chat_model", fake_model)
    result = CliRunner().invoke(app, ["--home", str(homes[variant]), *COMMANDS[command]],
                                input="I hear you: what did the old sensors miss?\nCould we book Tuesday at 10 with your shift lead?\n\n")
    assert result.exit_code == 0, f"{command} without {variant}: {result.output}"
    assert "Traceback" not in result.output
    artifact = json.loads(result.stdout)
    assert artifact
    text = json.dumps(artifact).lower()
    word = MISSING_WORDS.get(variant)
    if word and command in ("prep", "drill", "drill-interactive", "debrief", "train") and (variant, command) in NOTED:
        assert word in " ".join(artifact.get("notes", [])).lower(), f"{command} without {variant} does not say so: {artifact.get('notes')}"
    assert "nan" not in text.split()


#: The (missing type, command) pairs whose artifact must carry a note naming what is missing.
NOTED = {("objections", "prep"), ("objections", "drill"), ("objections", "drill-interactive"), ("stages", "prep"),
         ("training", "train"), ("rubric", "drill"), ("rubric", "drill-interactive")}
