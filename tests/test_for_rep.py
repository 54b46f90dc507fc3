"""The rep-facing debrief and development plan (``--for rep``): written to the rep, without the manager's diagnosis."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from coachgen.cli import app

CORPUS = Path(__file__).parent / "corpora" / "northwind"


def _cli(home, *args, code=0):
    result = CliRunner().invoke(app, ["--home", str(home), *map(str, args)])
    assert result.exit_code == code, result.output
    return result


def _headings(text):
    return [line[3:] for line in text.splitlines() if line.startswith("## ")]


def test_the_reps_development_plan_speaks_to_them_and_keeps_the_managers_diagnosis_out(sample_copy):
    manager = _cli(sample_copy, "train", "Tom Reilly", "--no-llm").stdout
    rep = _cli(sample_copy, "train", "Tom Reilly", "--no-llm", "--for", "rep").stdout
    assert "Skill or will" in _headings(manager) and "What the manager will do" in _headings(manager)
    headings = _headings(rep)
    assert rep.startswith("# Your development plan, Tom")
    assert "Skill or will" not in headings and "What the manager will do" not in headings and "How to get more evidence" not in headings
    assert "What we do together" in headings and "Our check-ins" in headings
    together = rep.split("## What we do together", 1)[1].split("##", 1)[0]
    assert "Tom Reilly's" not in together and ("your" in together.lower() or "I join" in together)


def test_the_reps_debrief_asks_them_and_names_what_to_practise(sample_copy):
    notes = "Rachel said your price is too high. I talked too much when she pushed back on price."
    rep = _cli(sample_copy, "debrief", "D-1001", "--notes", notes, "--no-llm", "--for", "rep").stdout
    headings = _headings(rep)
    assert rep.startswith("# Your debrief:") and headings[0] == "The deciding issue"
    assert "Think these through before we talk" in headings and "MEDDPICC since the plan" not in headings
    practise = rep.split("## What to practise", 1)[1].split("##", 1)[0]
    assert 'You wrote "I talked too much when she pushed back on price."' in practise


def test_for_takes_only_manager_or_rep(sample_copy):
    result = _cli(sample_copy, "train", "Tom Reilly", "--for", "boss", code=1)
    assert "--for must be manager or rep" in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def northwind_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("northwind-rep") / "home"
    _cli(home, "kb", "ingest", CORPUS / "handbook")
    _cli(home, "deals", "import", CORPUS / "crm" / "opportunities.csv", "--preset", "hubspot")
    _cli(home, "reps", "import", CORPUS / "crm" / "owners.csv")
    return home


def test_second_corpus_rep_plan(northwind_home):
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import load_settings

    kb = KnowledgeBase(load_settings(home=northwind_home, environ={}))
    try:
        rep = next(d["rep"] for d in kb.records.deals(status="open") if d["rep"])
    finally:
        kb.close()
    text = _cli(northwind_home, "train", rep, "--no-llm", "--for", "rep").stdout
    assert text.startswith(f"# Your development plan, {rep.split()[0]}") and "Skill or will" not in _headings(text)
