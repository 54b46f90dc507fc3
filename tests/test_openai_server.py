"""A real OpenAI-compatible server: llama-cpp-python's own (``python -m llama_cpp.server``) on loopback, serving
the bundled SmolLM2 GGUF, reached through ``COACHGEN_LLM_BASE_URL``.

prep, debrief and an interactive drill run end to end through the CLI; structured output is decoded against
the artifact's schema by the server; a timeout and a server killed mid-request end with one line, exit 1 and
the previous output file untouched. Faults this server cannot be made to produce (429, 401, broken bodies)
stay with the stub server in ``test_model_faults.py``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coachgen.artifacts.call_plan import CallPlan
from coachgen.artifacts.debrief import Debrief
from coachgen.cli import app
from coachgen.llm.llama import bundled_gguf

pytestmark = pytest.mark.llm_server

ALIAS = "smollm2"
CALL = "Rachel said your price is too high and asked for 20% off. Tomas confirmed he is our champion."
FALLBACK = "The model's draft was not usable"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(log: Path) -> tuple[subprocess.Popen, str]:
    """Start the server on a free loopback port and wait until ``/v1/models`` answers (60 s at most)."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(bundled_gguf()), "--model_alias", ALIAS,
         "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192", "--n_threads", "2", "--n_threads_batch", "2",
         "--verbose", "False"],
        stdout=subprocess.DEVNULL, stderr=log.open("wb"),
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"llama_cpp.server exited with {server.returncode}: {log.read_text(errors='replace')[-800:]}")
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2) as answer:
                if json.load(answer)["data"][0]["id"] == ALIAS:
                    return server, url
        except OSError:
            time.sleep(0.3)
    _stop(server)
    pytest.fail("llama_cpp.server did not answer /v1/models within 60 s")


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


@pytest.fixture(scope="session")
def openai_server(tmp_path_factory):
    """llama-cpp-python's OpenAI-compatible server with the bundled GGUF, one per session."""
    pytest.importorskip("fastapi", reason="needs llama-cpp-python[server] (make test installs it)")
    server, url = _start(tmp_path_factory.mktemp("llama-server") / "server.log")
    yield url
    _stop(server)


def endpoint(url: str, **extra: str) -> dict[str, str]:
    """The environment that points coachgen at ``url`` speaking llama-cpp-python's dialect, with short answers."""
    return {"COACHGEN_LLM_BASE_URL": url, "COACHGEN_LLM_MODEL": ALIAS, "COACHGEN_LLM_ENDPOINT_STYLE": "llama-cpp",
            "COACHGEN_LLM_MAX_TOKENS": "16", "COACHGEN_LLM_TIMEOUT": "120", "COACHGEN_LLM_RETRIES": "0", **extra}


def sent(home: Path) -> list[dict]:
    """The requests coachgen recorded in the audit log."""
    return [json.loads(line) for line in (home / "audit" / "sent.jsonl").read_text().splitlines()]


def test_prep_through_the_server(sample_copy, openai_server, tmp_path):
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(app, ["prep", "D-1001", "--format", "json", "-o", str(out)], env=endpoint(openai_server))
    assert result.exit_code == 0, result.output
    plan = CallPlan.model_validate_json(out.read_text())
    assert plan.header.model == f"openai-compatible:{ALIAS}" and plan.header.output_tokens > 0
    assert plan.deal.account == "Harborline Logistics"
    assert sent(sample_copy)[0]["endpoint"] == openai_server
    assert plan.notes and FALLBACK in plan.notes[0]  # 16 tokens cannot hold a plan: the grounded fallback, with a note


def test_json_schema_is_refused_by_this_server_with_one_line(sample_copy, openai_server, tmp_path):
    """The default dialect (json_schema) is what OpenAI, vLLM and llama.cpp's llama-server take; llama-cpp-python's refuses it."""
    result = CliRunner().invoke(app, ["prep", "D-1001", "-o", str(tmp_path / "plan.md")],
                                env=endpoint(openai_server, COACHGEN_LLM_ENDPOINT_STYLE="openai"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: chat model request failed: ") and "response_format" in lines[0]
    assert not (tmp_path / "plan.md").exists()


def test_debrief_through_the_server(sample_copy, openai_server, tmp_path):
    out = tmp_path / "debrief.json"
    result = CliRunner().invoke(app, ["debrief", "D-1001", "--notes", CALL, "--format", "json", "-o", str(out)],
                                env=endpoint(openai_server))
    assert result.exit_code == 0, result.output
    debrief = Debrief.model_validate_json(out.read_text())
    assert debrief.header.model == f"openai-compatible:{ALIAS}" and debrief.header.output_tokens > 0
    assert debrief.deal.account == "Harborline Logistics"


def test_interactive_drill_through_the_server(sample_copy, openai_server, tmp_path):
    out = tmp_path / "drill.json"
    answer = "I hear you. What would a signed order this week be worth to you?\n"
    result = CliRunner().invoke(app, ["drill", "--rep", "Dana Whitfield", "--interactive", "--turns", "1", "--objection",
                                      "Your price is too high.", "--format", "json", "-o", str(out)],
                                input=answer, env=endpoint(openai_server))
    assert result.exit_code == 0, result.output
    session = json.loads(out.read_text())
    assert session["rep"] == "Dana Whitfield" and len(session["attempts"]) == 1
    transcript = session["attempts"][0]["transcript"]
    assert [t["text"] for t in transcript if t["speaker"] == "rep"] == [answer.strip()]
    assert len(sent(sample_copy)) >= 2  # the buyer's line and the judge went to the server


def test_a_timeout_is_one_line_and_keeps_the_previous_file(sample_copy, openai_server, tmp_path):
    """Last against the shared server: it goes on decoding the abandoned request (16 tokens at most)."""
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "plan.json"
    out.write_text("previous plan\n")
    start = time.monotonic()
    result = CliRunner().invoke(app, ["prep", "D-1001", "--format", "json", "-o", str(out)],
                                env=endpoint(openai_server, COACHGEN_LLM_TIMEOUT="1"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: chat model request failed: ") and "Timeout" in lines[0], lines
    assert out.read_text() == "previous plan\n" and [p.name for p in out_dir.iterdir()] == ["plan.json"]
    assert time.monotonic() - start < 30


def test_the_server_killed_mid_request_is_one_line_and_nothing_half_written(sample_copy, tmp_path):
    pytest.importorskip("fastapi", reason="needs llama-cpp-python[server] (make test installs it)")
    server, url = _start(tmp_path / "server.log")
    audit = sample_copy / "audit" / "sent.jsonl"
    killed = threading.Event()

    def kill_once_asked():
        deadline = time.monotonic() + 120
        while not audit.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the request is on the wire; the server is reading the prompt
        server.kill()
        killed.set()

    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "plan.json"
    out.write_text("previous plan\n")
    killer = threading.Thread(target=kill_once_asked, daemon=True)
    killer.start()
    try:
        result = CliRunner().invoke(app, ["prep", "D-1001", "--format", "json", "-o", str(out)], env=endpoint(url))
    finally:
        killer.join(timeout=130)
        _stop(server)
    assert killed.is_set()
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: chat model request failed: "), lines
    assert out.read_text() == "previous plan\n" and [p.name for p in out_dir.iterdir()] == ["plan.json"]
