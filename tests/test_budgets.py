"""Budgets: the output token budget reaches both backends and holds, and oversized prompts are refused before any call."""

import json

from typer.testing import CliRunner

from coachgen.artifacts.debrief import build_debrief, prepare_debrief
from coachgen.cli import app
from coachgen.knowledge_base import KnowledgeBase
from coachgen.llm.guard import chat_model
from coachgen.prompts import PromptLibrary
from coachgen.settings import load_settings


def test_the_endpoint_request_carries_the_output_budget(sample_copy, json_server, embedder):
    answer = {"questions": ["What did Rachel Stein commit to?"], "sources": [1]}
    url, seen = json_server(lambda path, body: (200, {
        "id": "c", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(answer)}}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}))
    kb = KnowledgeBase(load_settings(home=sample_copy, llm_base_url=url, llm_model="m", llm_max_tokens=123), embedder=embedder)
    build_debrief(prepare_debrief(kb, PromptLibrary(kb.settings), "D-1001", "Call went fine."), chat_model(kb), "m")
    assert seen[0].get("max_completion_tokens", seen[0].get("max_tokens")) == 123


def test_the_embedded_model_stops_at_the_budget(sample_copy, embedder):
    kb = KnowledgeBase(load_settings(home=sample_copy, llm_max_tokens=16), embedder=embedder)
    debrief = build_debrief(prepare_debrief(kb, PromptLibrary(kb.settings), "D-1001", "Rachel said the price is too high."), chat_model(kb), "embedded")
    assert 0 < debrief.header.output_tokens <= 2 * 16  # two attempts at most, each cut at the budget
    assert "The model's draft was not usable" in debrief.notes[0]


def test_an_oversized_prompt_is_refused_before_any_call(sample_copy, json_server):
    url, seen = json_server(lambda path, body: (500, {"error": "must not be called"}))
    env = {"COACHGEN_LLM_BASE_URL": url, "COACHGEN_MAX_PROMPT_CHARS": "2000"}
    result = CliRunner().invoke(app, ["debrief", "D-1001", "--notes", "The buyer talked at length. " * 200], env=env)
    assert result.exit_code == 1 and seen == []
    assert result.stderr.startswith("error: the prompt is ") and "COACHGEN_MAX_PROMPT_CHARS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
