"""Model faults from a real OpenAI-compatible server on loopback: bounded time, no retry storms, one-line errors.

Transport faults (5xx, 429, hangs, broken bodies, 4xx) end the command with one line, a non-zero exit
and no file. Content faults (truncated JSON, prose, a refusal) are the model failing validation: the
plan is still written from the grounded parts, with a note, as the generation engine promises.
"""

import json
import time

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.call_plan import CallPlan
from coachgen.cli import app

GOOD = {"objective": "Agree a signature date.", "best_outcome": "A signed order form.", "minimum_outcome": "A dated legal review.",
        "agenda": ["Upfront contract", "Recap", "Next step"], "sources": [1]}
TIMEOUT, RETRIES = 1.5, 1


def completion(content, refusal=None):
    message = {"role": "assistant", "content": content}
    if refusal:
        message = {"role": "assistant", "content": None, "refusal": refusal}
    return {"id": "x", "object": "chat.completion", "created": 1, "model": "m",
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10}}


TRANSPORT = {
    "server error": lambda: (500, {"error": {"message": "boom", "type": "server_error"}}),
    "rate limited": lambda: (429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"Retry-After": "1"}),
    "hang": lambda: (time.sleep(TIMEOUT + 2), (200, completion(json.dumps(GOOD))))[1],
    "broken body": lambda: (200, b'{"id": "x", "choices": [{"message": {"content": "{\\"objec'),
    "bad request": lambda: (400, {"error": {"message": "nope", "type": "invalid_request_error"}}),
    "unauthorised": lambda: (401, {"error": {"message": "bad key", "type": "invalid_api_key"}}),
}
CONTENT = {
    "truncated json": lambda: (200, completion('{"objective": "Agree a sig')),
    "prose": lambda: (200, completion("Sure! Here is a great plan for your call with the buyer.")),
    "refusal": lambda: (200, completion(None, refusal="I can't help with that.")),
}


def run_prep(json_server, behaviour, out):
    calls = []

    def reply(path, body):
        calls.append(time.monotonic())
        return behaviour()

    url, _ = json_server(reply)
    env = {"COACHGEN_LLM_BASE_URL": url, "COACHGEN_LLM_TIMEOUT": str(TIMEOUT), "COACHGEN_LLM_RETRIES": str(RETRIES)}
    start = time.monotonic()
    result = CliRunner().invoke(app, ["prep", "D-1001", "--format", "json", "-o", str(out)], env=env)
    return result, time.monotonic() - start, calls


@pytest.mark.parametrize("name", list(TRANSPORT))
def test_transport_faults_fail_fast_with_one_line_and_no_file(sample_copy, json_server, tmp_path, name):
    out = tmp_path / "out" / "plan.json"
    out.parent.mkdir()
    out.write_text("previous plan\n")
    result, elapsed, calls = run_prep(json_server, TRANSPORT[name], out)
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: chat model request failed: ")
    assert out.read_text() == "previous plan\n" and [p.name for p in out.parent.iterdir()] == ["plan.json"]
    assert elapsed < TIMEOUT * (RETRIES + 1) + 8  # margin: SDK back-off, Retry-After, and the retrieval before the call
    if name in ("bad request", "unauthorised"):
        assert len(calls) == 1  # 4xx other than 408/409/429 are not retried
    elif name != "broken body":
        assert len(calls) == RETRIES + 1


@pytest.mark.parametrize("name", list(CONTENT))
def test_content_faults_fall_back_to_the_grounded_plan(sample_copy, json_server, tmp_path, name):
    out = tmp_path / "plan.json"
    result, _, calls = run_prep(json_server, CONTENT[name], out)
    assert result.exit_code == 0, result.output
    plan = CallPlan.model_validate_json(out.read_text())
    assert "The model's draft was not usable" in plan.notes[0] and len(calls) == 2  # asked, then re-asked once


def test_extra_fields_in_the_answer_are_ignored(sample_copy, json_server, tmp_path):
    out = tmp_path / "plan.json"
    result, _, _ = run_prep(json_server, lambda: (200, completion(json.dumps({**GOOD, "secret_plan": "x", "sources": [1]}))), out)
    assert result.exit_code == 0
    plan = CallPlan.model_validate_json(out.read_text())
    assert plan.objective.text == GOOD["objective"] and "secret_plan" not in out.read_text()
