"""Batch prep: 40 plans at concurrency 8 against a loopback OpenAI-compatible server answering in 1 s.

Ideal: 40 / 8 x 1 s = 5 s. Target: within 1.3 x the ideal. Also reports the grounding shares on the
bundled sample: generated items with at least one valid citation, and noted objections that got a
library response.
Run: .venv/bin/python benchmarks/batch_prep.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, temp_home  # noqa: E402

from coachgen.artifacts.batch import plan_many  # noqa: E402
from coachgen.artifacts.call_plan import CallPlan  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.llm.models import make_chat_model  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402

LATENCY = 1.0
ANSWER = {"objective": "The buyer agrees to a dated next step they own.", "best_outcome": "A signature date in the calendar.",
          "minimum_outcome": "A dated next step.", "agenda": ["Upfront contract", "Recap the pain", "Agree the next step"], "sources": [1]}


SERVER = f"""
import json, sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ANSWER = {json.dumps(ANSWER)!r}

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep({LATENCY})
        payload = json.dumps({{"id": "x", "object": "chat.completion", "created": 1, "model": body["model"],
            "choices": [{{"index": 0, "finish_reason": "stop", "message": {{"role": "assistant", "content": ANSWER}}}}],
            "usage": {{"prompt_tokens": 1000, "completion_tokens": 60, "total_tokens": 1060}}}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_port, flush=True)
server.serve_forever()
"""


def start_server() -> tuple[subprocess.Popen, int]:
    """The endpoint runs in its own process, as a real inference server would."""
    process = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    return process, int(process.stdout.readline())


def grounding_shares(kb: KnowledgeBase, paths: list[Path]) -> tuple[float, float]:
    items = cited = 0
    noted = answered = 0
    for path in paths:
        plan = CallPlan.model_validate_json(path.read_text())
        valid = {source.number for source in plan.sources}
        for item in [plan.objective, *plan.discovery_questions, *[o.response for o in plan.objections], *plan.content_to_send,
                     *[m.question for m in plan.meddpicc if m.question]]:
            items += 1
            cited += bool(item.sources) and set(item.sources) <= valid
        for scenario in plan.scenarios:
            items += 1
            cited += bool(scenario.sources) and set(scenario.sources) <= valid
        noted += len(plan.objections)
        answered += sum(bool(o.response.text) for o in plan.objections)
    return cited / items, (answered / noted if noted else 1.0)


def main() -> None:
    server, port = start_server()
    home = temp_home()
    settings = load_settings(home=home, environ={}, llm_base_url=f"http://127.0.0.1:{port}/v1", llm_model="bench")
    kb = KnowledgeBase(settings)
    kb.ingest([KNOWLEDGE])
    ids = [deal["id"] for deal in kb.records.deals()][:40]
    out = home / "plans"
    start = time.perf_counter()
    model = make_chat_model(settings)  # importing the OpenAI client stack: a one-off cost, reported apart
    client_start = time.perf_counter() - start
    start = time.perf_counter()
    items = plan_many(kb, ids, out, fmt="json", concurrency=8, model=model)
    wall = time.perf_counter() - start
    ideal = len(ids) / 8 * LATENCY
    failed = [item for item in items if item.error]
    print(f"batch: {len(ids)} plans, concurrency 8, server latency {LATENCY:.0f} s, {len(failed)} failed")
    print(f"  ideal {ideal:.1f} s   measured {wall:.1f} s   ratio {wall / ideal:.2f}   (target <= 1.3)")
    print(f"  before the batch: creating the chat client (imports) {client_start:.1f} s, once per process")
    citation_share, objection_share = grounding_shares(kb, [item.path for item in items if item.path])
    print(f"grounding: items with a valid citation {citation_share:.1%} (target 100%); noted objections with a library response {objection_share:.1%} (target 100%)")
    server.terminate()


if __name__ == "__main__":
    main()
