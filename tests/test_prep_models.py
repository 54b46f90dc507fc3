"""Pre-call plans end to end: the real embedded model, and an OpenAI-compatible server on loopback."""

import json

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.call_plan import CallPlan, plan_call
from coachgen.cli import app
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings


def test_prep_with_the_real_embedded_model(sample_copy, tmp_path):
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(app, ["prep", "D-1001", "--format", "json", "-o", str(out)], env={"COACHGEN_LLM_SKIP": "none"})
    assert result.exit_code == 0, result.output
    plan = CallPlan.model_validate_json(out.read_text())
    assert plan.header.model.startswith("llama.cpp:SmolLM2-135M")
    assert plan.header.input_tokens > 500 and plan.header.output_tokens > 0
    assert plan.deal.account == "Harborline Logistics" and plan.deal.amount == 96000.0
    assert plan.deal.next_step == "Rachel Stein to return MSA redlines by 2 Dec"
    numbers = {source.number for source in plan.sources}
    cited = [plan.objective, *plan.discovery_questions, *[o.response for o in plan.objections], *plan.content_to_send]
    assert all(item.sources and set(item.sources) <= numbers for item in cited)
    assert all(set(s.sources) <= numbers for s in plan.scenarios) and set(plan.value_story.sources) <= numbers
    assert {source.chunk_id for source in plan.sources} == set(plan.header.chunk_ids)
    assert "Procurement says every vendor must cut 15% to stay in the process." in {o.objection for o in plan.objections}
    stored = KnowledgeBase(load_settings(home=sample_copy)).records.latest_plan("D-1001")
    assert json.loads(stored)["header"]["generated_at"] == plan.header.generated_at


@pytest.fixture
def chat_server(json_server):
    """A loopback server speaking the OpenAI chat completions API with a fixed JSON answer."""
    answer = {"objective": "Rachel Stein agrees to a signature date for the order form.",
              "best_outcome": "Order form signed by the CFO this month.", "minimum_outcome": "A dated legal review of the MSA.",
              "agenda": ["Upfront contract", "Review the MSA redlines", "Agree the signature date"], "sources": [1]}

    def reply(path, body):
        return 200, {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(answer)}}],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 80, "total_tokens": 1280},
        }

    return json_server(reply)


def test_prep_through_an_openai_compatible_endpoint(sample_copy, chat_server, embedder):
    url, seen = chat_server
    settings = load_settings(home=sample_copy, llm_base_url=url, llm_model="test-model", llm_api_key="sk-test")
    plan = plan_call(KnowledgeBase(settings, embedder=embedder), "D-1001")
    assert plan.objective.text == "Rachel Stein agrees to a signature date for the order form." and plan.notes == []
    assert (plan.header.input_tokens, plan.header.output_tokens) == (1200, 80)
    assert plan.header.model == "openai-compatible:test-model"
    request = seen[0]
    assert request["path"] == "/v1/chat/completions" and request["model"] == "test-model"
    assert request["response_format"]["type"] == "json_schema" and request["response_format"]["json_schema"]["strict"] is True
    assert '<source id="1"' in request["messages"][1]["content"]
