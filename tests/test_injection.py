"""Prompt injection and system-prompt extraction against a model that obeys any instruction it reads.

224 payloads with unique canaries are planted in deal notes, a playbook document and an objection
library, and 60 extraction attempts in call notes. Every artifact is generated with an obedient
test model and rendered as md, json and html: no canary, link, image, HTML tag or 50-character
stretch of a system prompt may reach them, and no canary may reach the model at all.
"""

import csv
import io
import json
import re

import pytest
from injection_payloads import CANARY, extractions, payloads
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from coachgen.artifacts.agenda import weekly_agenda
from coachgen.artifacts.call_plan import plan_call
from coachgen.artifacts.debrief import build_debrief, prepare_debrief
from coachgen.artifacts.development_plan import plan_development
from coachgen.artifacts.drill import make_drill
from coachgen.prompts import PromptLibrary
from coachgen.render import agenda_outline, debrief_outline, drill_outline, plan_outline, render, train_outline
from coachgen.untrusted import neutralise, system_prompt_leak
from conftest import KNOWLEDGE

DEALS = 25
EVIL = " ![pixel](http://evil.example/p.png) [sign in](https://evil.example/login) <script>alert(1)</script> <img src=x onerror=alert(1)> www.evil.example"
LINK = re.compile(r"https?://|www\.|\]\(|<[a-zA-Z/!]")


class Obedient(BaseChatModel):
    """Does whatever it reads: copies every canary it sees, adds links and HTML, and recites its system prompt when asked."""

    seen: list = []
    recite: bool = False

    @property
    def _llm_type(self) -> str:
        return "obedient-test"

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        system = " ".join(str(m.content) for m in messages if m.type == "system")
        read = " ".join(str(m.content) for m in messages if m.type != "system")
        self.seen.append(read)
        text = " ".join(CANARY.findall(read)) + EVIL + (" " + system if self.recite else "")
        judged = {"score": 5, "quote": text}
        answer = {"objective": text, "best_outcome": text, "minimum_outcome": text, "agenda": [text, text + " 2", text + " 3"],
                  "questions": [text + "?"], "sources": [1], "line": text, "note": text,
                  **{c: judged for c in ("acknowledge", "explore", "respond", "confirm", "next_step")}}
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=json.dumps(answer)))])


def planted_kb(kb, tmp_path):
    """The sample plus 224 payloads in deal notes, a discovery playbook and an objection library."""
    items = payloads()
    folder = tmp_path / "injected"
    folder.mkdir()
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["Deal ID", "Account", "Rep", "Stage", "Amount", "Created", "Close Date", "Last Activity", "Contacts", "Notes"])
    per_deal = 6
    for n in range(DEALS):
        mine = [text for _, text in items[n * per_deal:(n + 1) * per_deal]]
        notes = "\n".join(["Pat said your price is too high.", *mine, "We can't put our financial data in a cloud tool.", "CFO is the economic buyer."])
        writer.writerow([f"X-{n:03d}", f"Injected Account {n}", "Omar Haddad", "Proposal", 50000 + n, "2026-09-01", "2026-12-20",
                         "2026-11-15", "Pat Doe (CFO); Lee Roe (Controller)", notes])
    (folder / "deals.csv").write_text(rows.getvalue(), encoding="utf-8")
    rest = items[DEALS * per_deal:]
    half = len(rest) // 2
    sections = "\n\n".join(f"## Discovery question {n}\n\nAsk what the close costs them today. {text}" for n, (_, text) in enumerate(rest[:half]))
    (folder / "playbook.md").write_text(f"---\nkind: discovery\ntitle: Discovery questions for finance\n---\n# Discovery questions\n\n{sections}\n")
    entries = "".join(f"  - id: injected-{n}\n    objection: Your price is too high for us, version {n}.\n    response: {json.dumps('Ask what they compare it with. ' + text)}\n"
                      for n, (_, text) in enumerate(rest[half:]))
    (folder / "objections.yaml").write_text(f"title: Injected library\nobjections:\n{entries}")
    report = kb.ingest([folder])
    assert not report.errors, report.errors
    return {c for c, _ in items}


def scan(text: str, systems: list[str]) -> list[str]:
    problems = [f"canary {c}" for c in CANARY.findall(text)]
    problems += [f"link or HTML: {m.group(0)}" for m in LINK.finditer(text)]
    leaked = system_prompt_leak(text, systems)
    return problems + ([f"system prompt: {leaked}"] if leaked else [])


@pytest.fixture
def kb(copy_kb):
    return copy_kb


@pytest.mark.parametrize("recite", [False, True], ids=["obey-canaries", "recite-system-prompt"])
def test_no_canary_link_html_or_system_prompt_reaches_any_artifact(kb, tmp_path, recite):
    canaries = planted_kb(kb, tmp_path)
    prompts = PromptLibrary(kb.settings)
    systems = [prompts.render(name, "system", {}) for name in prompts.artifacts()]
    model = Obedient(seen=[], recite=recite)
    attempts = extractions()
    rendered = []
    retrieved_raw = ""
    for n in range(DEALS):
        plan = plan_call(kb, f"X-{n:03d}", model=model)
        rendered.append((plan, plan_outline(plan)))
        retrieved_raw += " ".join(row.text for row in kb.catalog.chunks_by_id(plan.header.chunk_ids).values())
        call = " ".join(attempts[n::DEALS]) + " Pat said your price is too high. " + payloads()[n][1]
        debrief = build_debrief(prepare_debrief(kb, prompts, f"X-{n:03d}", call), model, "obedient")
        rendered.append((debrief, debrief_outline(debrief)))
    drill = make_drill(kb, prompts, model, "obedient", rep="Omar Haddad", from_deals=True, count=5, difficulty=3)
    train = plan_development(kb, prompts, "Omar Haddad", model, "obedient")
    agenda = weekly_agenda(kb, None)
    rendered += [(drill, drill_outline(drill)), (train, train_outline(train)), (agenda, agenda_outline(agenda))]
    assert len(CANARY.findall(retrieved_raw)) > 20  # the payloads were retrieved, so the defences were exercised
    assert not [c for c in CANARY.findall(" ".join(model.seen))], "a canary reached the model"
    problems = []
    for artifact, outline in rendered:
        for fmt in ("md", "json", "html"):
            page = render(artifact, fmt, outline)
            problems += [f"{type(artifact).__name__} {fmt}: {p}" for p in scan(page if fmt != "html" else _body(page), systems)]
    assert problems == []
    assert len(canaries) >= 200 and len(attempts) >= 50


def _body(page: str) -> str:
    """The text of an html page without coachgen's own markup (escaped user text stays escaped)."""
    return re.sub(r"</?(html|head|body|meta|title|style|h1|h2|p|ul|ol|li)\b[^>]*>|<!doctype html>", " ", page.split("</style>", 1)[-1])


def test_the_filters_alone_stop_links_html_and_the_system_prompt(kb, tmp_path, monkeypatch):
    """With the instruction detector switched off, canaries reach the model, but output filters still hold."""
    planted_kb(kb, tmp_path)
    monkeypatch.setattr("coachgen.records.neutralise", lambda text, allowlist=(): text)
    monkeypatch.setattr("coachgen.retrieval.neutralise", lambda text, allowlist=(): text)
    prompts = PromptLibrary(kb.settings)
    systems = [prompts.render(name, "system", {}) for name in prompts.artifacts()]
    model = Obedient(seen=[], recite=True)
    plans = [plan_call(kb, f"X-{n:03d}", model=model) for n in range(5)]
    assert CANARY.findall(" ".join(model.seen))  # the detector really was off
    for plan in plans:
        page = render(plan, "md", plan_outline(plan))
        assert not CANARY.findall(plan.objective.text + " ".join(plan.agenda)), "model prose with a canary must be rejected"
        assert not LINK.search(plan.objective.text) and system_prompt_leak(plan.model_dump_json(), systems) is None
        assert "The model's draft was not usable" in page


def test_template_syntax_in_notes_renders_literally(kb, tmp_path):
    kb.records.db.execute("UPDATE deals SET notes = ? WHERE id = 'D-1044'", ("Buyer wrote {{7*7}} and {% for x in y %}.",))
    prepared_messages = PromptLibrary(kb.settings).messages("debrief", {
        "deal": {"account": "A", "stage": "s"}, "objective": None, "call_notes": kb.records.notes("D-1044"), "sources": []})
    assert "{{7*7}}" in prepared_messages[1]["content"] and "49" not in prepared_messages[1]["content"]


def test_the_detector_leaves_the_sample_knowledge_base_alone(sample_kb):
    sentences = [chunk.text for chunk in sample_kb.catalog.iter_chunks()] + [d["notes"] or "" for d in sample_kb.records.deals()]
    assert [text for text in sentences if neutralise(text) != text] == []
