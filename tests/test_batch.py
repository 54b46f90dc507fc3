"""Batch prep against an OpenAI-compatible loopback server: bounded concurrency, failures isolated."""

import json
import threading
import time

from typer.testing import CliRunner

from coachgen.artifacts.batch import plan_many
from coachgen.artifacts.call_plan import CallPlan
from coachgen.cli import app
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings

ANSWER = {"objective": "The buyer agrees to a dated next step.", "best_outcome": "A signed order form date.",
          "minimum_outcome": "A dated next step.", "agenda": ["Upfront contract", "Recap", "Next step"], "sources": [1]}


def chat_reply(delay: float, in_flight: list[int], peak: list[int], fail_for: str | None = None):
    lock = threading.Lock()

    def reply(path, body):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(delay)
        with lock:
            in_flight[0] -= 1
        if fail_for and fail_for in body["messages"][1]["content"]:
            return 400, {"error": {"message": "bad request for this deal", "type": "invalid_request_error"}}
        return 200, {"id": "x", "object": "chat.completion", "created": 1, "model": body["model"],
                     "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": json.dumps(ANSWER)}}],
                     "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}

    return reply


def test_many_plans_run_concurrently_and_one_failure_does_not_stop_the_rest(sample_copy, json_server, embedder, tmp_path):
    in_flight, peak = [0], [0]
    url, seen = json_server(chat_reply(0.3, in_flight, peak, fail_for="Lakeview Hotels"))
    settings = load_settings(home=sample_copy, llm_base_url=url, llm_model="m", llm_retries=0, redact="never")  # the server spots the account by name
    kb = KnowledgeBase(settings, embedder=embedder)
    ids = [deal["id"] for deal in kb.records.deals(rep="Dana Whitfield", status="open")]
    assert ids == ["D-1001", "D-1002", "D-1003", "D-1006", "D-1036"]
    items = plan_many(kb, ids, tmp_path / "plans", concurrency=3)
    assert [item.deal_id for item in items] == ids
    failed = [item for item in items if item.error]
    assert [item.deal_id for item in failed] == ["D-1006"] and failed[0].error.startswith("chat model request failed:") and "400" in failed[0].error
    for item in items:
        if not item.error:
            assert item.path.read_text().startswith("# Pre-call plan:")
    assert 2 <= peak[0] <= 3


def test_cli_batch_for_a_rep_writes_json_plans_and_a_summary(sample_copy, json_server, tmp_path):
    in_flight, peak = [0], [0]
    url, _ = json_server(chat_reply(0.0, in_flight, peak))
    runner = CliRunner()
    env = {"COACHGEN_LLM_BASE_URL": url, "COACHGEN_LLM_MODEL": "m"}
    out = tmp_path / "out"
    result = runner.invoke(app, ["prep", "--rep", "Grace Liu", "--open", "--format", "json", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "5 plans written" in result.stdout and "0 failed" in result.stdout
    plans = sorted(out.glob("*.json"))
    assert [p.stem for p in plans] == [d["id"] for d in KnowledgeBase(load_settings(home=sample_copy)).records.deals(rep="Grace Liu", status="open")]
    assert CallPlan.model_validate_json(plans[0].read_text()).objective.text == ANSWER["objective"]
    ids = tmp_path / "ids.txt"
    ids.write_text("D-1001\nD-9999\n")
    result = runner.invoke(app, ["prep", "--deals", str(ids), "-o", str(out)], env=env)
    assert result.exit_code == 1 and "D-9999: no deal with id 'D-9999'" in result.stderr and "1 plans written" in result.stdout
    assert runner.invoke(app, ["prep", "D-1001", "--rep", "X"]).exit_code == 1


def test_an_unreachable_endpoint_is_one_line_and_no_file(sample_copy, tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "plan.md"
    env = {"COACHGEN_LLM_BASE_URL": f"http://127.0.0.1:{port}/v1", "COACHGEN_LLM_RETRIES": "0", "COACHGEN_LLM_TIMEOUT": "5"}
    result = CliRunner().invoke(app, ["prep", "D-1001", "-o", str(out)], env=env)
    assert result.exit_code == 1 and not out.exists()
    assert result.stderr.startswith("error: chat model request failed: ") and len(result.stderr.strip().splitlines()) == 1
