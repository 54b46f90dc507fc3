"""Development plans learn from the rep's closed-lost deals: the reason, the rep's own misses as evidence, the team's answer to the buyer's concern."""

import json
from datetime import date

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from coachgen.artifacts.common import SourcePack
from coachgen.artifacts.development_plan import plan_development
from coachgen.artifacts.lost_lessons import lost_deals
from coachgen.knowledge_base import KnowledgeBase
from coachgen.prompts import PromptLibrary
from coachgen.render import train_outline
from coachgen.settings import load_settings

AS_OF = date(2026, 11, 20)


def silent():
    return GenericFakeChatModel(messages=iter([AIMessage(content="not json")] * 4))


def test_a_lost_deal_gives_its_reason_the_reps_own_miss_as_evidence_and_the_teams_answer(copy_kb):
    lost = lost_deals(copy_kb, "Dana Whitfield", AS_OF, SourcePack())
    assert [item.deal for item in lost] == ["D-1005"]
    item = lost[0]
    assert item.reason and item.reason.startswith("Lost to")
    misses = [lesson for lesson in item.lessons if lesson.kind == "own miss"]
    assert misses and all(lesson.skill for lesson in misses), item.lessons
    assert not any(lesson.sentence == item.reason for lesson in item.lessons)  # the reason is not also a lesson
    given = [lesson for lesson in misses if "25%" in lesson.sentence]
    assert given and given[0].skill == "negotiation"  # a discount given for nothing is the rep's own miss
    plan = plan_development(copy_kb, PromptLibrary(copy_kb.settings), "Dana Whitfield", silent(), "fake", AS_OF)
    evidence = [e for e in plan.evidence if e.source == "lost deal"]
    assert evidence and all(e.signal == "weak" and "D-1005" in e.detail for e in evidence)
    assert plan.lost_deals == lost
    lines = [line for section in train_outline(plan).sections if section.title == "Lessons from lost deals" for line in section.items]
    assert lines[0].startswith("D-1005 (2026-07-31)") and any("own miss" in line for line in lines)


def test_a_rep_without_lost_deals_gets_no_lessons_and_no_section(copy_kb):
    reps_with_losses = {d["rep"] for d in copy_kb.records.deals(status="lost")}
    rep = next(d["rep"] for d in copy_kb.records.deals() if d["rep"] not in reps_with_losses)
    plan = plan_development(copy_kb, PromptLibrary(copy_kb.settings), rep, silent(), "fake", AS_OF)
    assert plan.lost_deals == [] and not any(e.source == "lost deal" for e in plan.evidence)
    assert "Lessons from lost deals" not in [s.title for s in train_outline(plan).sections]


def test_a_buyers_concern_in_a_lost_deal_is_context_with_the_answer_not_evidence(copy_kb):
    with copy_kb.catalog.transaction():
        copy_kb.records.upsert_deals([{**copy_kb.records.deal("D-1005"), "id": "D-9001", "close_date": "2026-10-01",
                                       "notes": "2026-09-20: Their CFO said the price is far too high compared with what they pay today.\n"
                                                "2026-10-01: Went with the cheaper tool."}], "test")
    item = next(i for i in lost_deals(copy_kb, "Dana Whitfield", AS_OF, SourcePack()) if i.deal == "D-9001")
    assert item.reason == "Went with the cheaper tool."
    concerns = [lesson for lesson in item.lessons if lesson.kind == "buyer concern"]
    assert concerns and concerns[0].answer is not None and concerns[0].answer.sources and concerns[0].skill is None


def test_lost_deals_after_as_of_are_not_read(copy_kb):
    assert lost_deals(copy_kb, "Dana Whitfield", date(2026, 7, 1), SourcePack()) == []


@pytest.fixture
def northwind(northwind_home, embedder):
    kb = KnowledgeBase(load_settings(home=northwind_home, environ={}), embedder=embedder)
    yield kb
    kb.close()


def test_northwind_lost_deals_carry_the_crm_reason_and_their_notes(northwind):
    rep = "Sanne Koopman"
    as_of = date(2024, 12, 31)
    lost = lost_deals(northwind, rep, as_of, SourcePack())
    assert lost and all(item.closed <= as_of.isoformat() for item in lost)
    assert any(item.crm_reason for item in lost)  # HubSpot's "Closed lost reason" column is imported
    plan = plan_development(northwind, PromptLibrary(northwind.settings), rep, silent(), "fake", as_of)
    assert plan.lost_deals == lost
    json.loads(plan.model_dump_json())  # the schema holds
