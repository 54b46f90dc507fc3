"""`coachgen serve` under 20 concurrent simulated users: p50/p95 latency per kind of page, errors, and "busy" answers.

Users log in and browse as their role does, waiting ``--think`` seconds between requests: enablement searches the knowledge base, managers open the team,
a deal, the pipeline review and the cadence, and prepare calls (a model page: the chat model is a stand-in with
a fixed latency, so the number measures the web layer and the queue, not a model). A full model queue answers
429 "busy, try again in N s": counted apart from errors. Target: 0 errors, p95 < 1 s for pages without a model.

Every page is requested once before the clock starts (the first pipeline review reads each open deal's notes by meaning,
a few seconds, and remembers them).

Run: .venv/bin/python benchmarks/web_load.py [--users 20] [--seconds 30] [--model-latency 0.5]
"""

from __future__ import annotations

import argparse
import itertools
import re
import socket
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, temp_home  # noqa: E402

from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402
from coachgen.users import Users  # noqa: E402

PASSWORD = "benchmark password"
QUERIES = ["the buyer says we are too expensive", "who signs the contract", "a competitor quoted less", "security review",
           "how do we run discovery", "next step after the demo", "procurement wants a discount", "multithreading"]


def slow_model(latency: float):
    """A chat model stand-in that takes ``latency`` seconds per call and answers nothing usable (artifacts fall back)."""
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    class Slow(GenericFakeChatModel):
        def _generate(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            time.sleep(latency)
            return super()._generate(*args, **kwargs)

    return lambda kb: Slow(messages=itertools.cycle([AIMessage(content="{}")]))


def setup(home: Path) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """The sample ingested, one user per roster manager plus two enablement users; (name, role) and each manager's open deals."""
    kb = KnowledgeBase(load_settings(home=home, environ={}))
    kb.ingest([KNOWLEDGE])
    users = Users(kb.db)
    people = []
    for manager in sorted({r["manager"] for r in kb.records.reps() if r["manager"]}):
        users.add(manager, "manager", PASSWORD)
        people.append((manager, "manager"))
    for name in ("enablement-1", "enablement-2"):
        users.add(name, "enablement", PASSWORD)
        people.append((name, "enablement"))
    team = {r["rep"]: r["manager"] for r in kb.records.reps()}
    deals: dict[str, list[str]] = defaultdict(list)
    for deal in kb.records.deals(status="open"):
        if team.get(deal["rep"]):
            deals[team[deal["rep"]]].append(deal["id"])
    kb.close()
    return people, deals


def simulate(base: str, name: str, role: str, deals: dict[str, list[str]], until: float, think: float, results: dict,
             lock: threading.Lock, seed: int) -> None:
    import httpx

    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        client.post("/login", data={"csrf": csrf, "name": name, "password": PASSWORD})
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/kb" if role == "enablement" else "/team").text).group(1)
        step = seed
        while time.monotonic() < until:
            step += 1
            if role == "enablement":
                kind, call = "search", lambda: client.get("/kb/search", params={"q": QUERIES[step % len(QUERIES)]})
            else:
                deal = deals[name][step % len(deals[name])]
                choice = step % 6
                if choice == 0:
                    kind, call = "plan (model)", lambda: client.post(f"/deals/{deal}/prepare", data={"csrf": csrf})
                else:
                    kind, url = [("team", "/team"), ("deal", f"/deals/{deal}"), ("pipeline", "/pipeline"), ("cadence", "/cadence"),
                                 ("search", "/kb/file?source=objections/objection-library.yaml")][choice - 1]
                    kind = "kb file" if kind == "search" else kind
                    call = lambda url=url: client.get(url)  # noqa: E731
            start = time.perf_counter()
            try:
                response = call()
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            elapsed = time.perf_counter() - start
            time.sleep(think)
            with lock:
                if status == 429:
                    results["busy"][kind] += 1
                elif status >= 400 or status == 0:
                    results["errors"][kind] += 1
                else:
                    results["times"][kind].append(elapsed)


def warm_up(base: str, people: list[tuple[str, str]]) -> float:
    """One request per page and person before the clock starts; seconds it took (the first pipeline review reads
    every open deal's notes by meaning, then remembers them)."""
    import httpx

    start = time.perf_counter()
    for name, role in people:
        with httpx.Client(base_url=base, timeout=120) as client:
            page = client.get("/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
            client.post("/login", data={"csrf": csrf, "name": name, "password": PASSWORD})
            for url in (["/kb/search?q=price"] if role == "enablement" else ["/team", "/pipeline", "/cadence"]):
                client.get(url)
    return time.perf_counter() - start


def main() -> None:
    import uvicorn

    from coachgen.web import create_app

    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--model-latency", type=float, default=0.5)
    parser.add_argument("--think", type=float, default=1.0, help="Seconds a user waits between two requests.")
    args = parser.parse_args()
    home = temp_home()
    people, deals = setup(home)
    app = create_app(load_settings(home=home, environ={}), model_factory=slow_model(args.model_latency), model_workers=2, queue_size=8)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    warm = warm_up(f"http://127.0.0.1:{port}", people)
    results = {"times": defaultdict(list), "errors": defaultdict(int), "busy": defaultdict(int)}
    lock = threading.Lock()
    until = time.monotonic() + args.seconds
    threads = [threading.Thread(target=simulate, args=(f"http://127.0.0.1:{port}", *people[i % len(people)], deals, until, args.think, results,
                                                         lock, i * 7))
               for i in range(args.users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.should_exit = True
    print(f"{args.users} simulated users for {args.seconds:g} s, {args.think:g} s between requests, model stand-in latency "
          f"{args.model_latency:g} s, 2 model workers, queue 8 (warm-up before the clock: {warm:.1f} s)")
    print(f"{'page':<14}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}{'busy':>6}")
    kinds = sorted(set(results["times"]) | set(results["errors"]) | set(results["busy"]))
    worst = 0.0
    for kind in kinds:
        times = sorted(results["times"][kind])
        p50 = statistics.median(times) * 1000 if times else float("nan")
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))] * 1000 if times else float("nan")
        if "model" not in kind and times:
            worst = max(worst, p95)
        print(f"{kind:<14}{len(times):>9}{p50:>9.0f}{p95:>9.0f}{results['errors'][kind]:>8}{results['busy'][kind]:>6}")
    errors = sum(results["errors"].values())
    print(f"errors: {errors}; worst p95 of pages without a model: {worst:.0f} ms (target < 1000)")
    sys.exit(0 if errors == 0 and worst < 1000 else 1)


if __name__ == "__main__":
    main()
