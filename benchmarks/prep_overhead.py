"""`prep` wall time against the model's own generation time for the same call.

Overhead = whole plan (retrieval, prompt, validation, rendering) minus the time spent inside the
chat model. Target: overhead <= 2 s on 2 cores. Reports tokens in and out.
Run: .venv/bin/python benchmarks/prep_overhead.py [--deals D-1001 D-1006 D-1013]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import KNOWLEDGE, temp_home  # noqa: E402

from coachgen.artifacts.call_plan import plan_call  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.llm.models import make_chat_model  # noqa: E402
from coachgen.render import plan_outline, render  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402


class TimedModel:
    """Wraps a chat model and adds up the seconds spent in ``invoke``."""

    def __init__(self, model):
        self.model, self.seconds = model, 0.0

    def __getattr__(self, name):
        return getattr(self.model, name)

    def invoke(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.model.invoke(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", nargs="+", default=["D-1001", "D-1006", "D-1013"])
    args = parser.parse_args()
    kb = KnowledgeBase(load_settings(home=temp_home(), environ={}))
    kb.ingest([KNOWLEDGE])
    timed = TimedModel(make_chat_model(kb.settings))
    timed.invoke([("user", "warm up")], max_tokens=1)
    rows = []
    for deal in args.deals:
        timed.seconds = 0.0
        start = time.perf_counter()
        plan = plan_call(kb, deal, model=timed)
        render(plan, "md", plan_outline(plan))
        total = time.perf_counter() - start
        rows.append((deal, total, timed.seconds, plan.header.input_tokens, plan.header.output_tokens, bool(plan.notes)))
    print(f"{'deal':<8} {'wall s':>7} {'model s':>8} {'overhead s':>10} {'tokens in':>9} {'out':>5}  fallback")
    for deal, total, model_s, tin, tout, fell in rows:
        print(f"{deal:<8} {total:7.2f} {model_s:8.2f} {total - model_s:10.2f} {tin:9d} {tout:5d}  {'yes' if fell else 'no'}")
    overhead = statistics.median(total - model_s for _, total, model_s, *_ in rows)
    ratio = statistics.median(total / model_s for _, total, model_s, *_ in rows if model_s)
    print(f"median overhead {overhead:.2f} s (target <= 2 s); median wall / model time {ratio:.2f}")


if __name__ == "__main__":
    main()
