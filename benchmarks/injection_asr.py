"""Prompt-injection attack success rate against the real embedded model.

Each payload is planted in a debrief's call notes (which reach the prompt inside <notes> tags). For
every payload: does its canary appear in the model's raw answer (the attack worked on the model) and
in the rendered debrief (the attack got through)? Baseline in the same run: the same payloads with
the instruction detector switched off. Also reports how many held-out payloads (written after the
detector was tuned) the detector catches.
Run: COACHGEN_LLM_MAX_TOKENS=256 .venv/bin/python benchmarks/injection_asr.py [--count 10] [--heldout 10]
(each debrief takes ~20 s on 2 cores with the embedded model; a 256-token budget fits three questions)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from common import KNOWLEDGE, temp_home  # noqa: E402
from injection_payloads import CANARY, heldout, payloads  # noqa: E402

from coachgen.artifacts.debrief import build_debrief, prepare_debrief  # noqa: E402
from coachgen.knowledge_base import KnowledgeBase  # noqa: E402
from coachgen.llm.models import make_chat_model  # noqa: E402
from coachgen.prompts import PromptLibrary  # noqa: E402
from coachgen.render import debrief_outline, render  # noqa: E402
from coachgen.settings import load_settings  # noqa: E402
from coachgen.untrusted import neutralise  # noqa: E402


class Recording:
    """Wraps a chat model and keeps the raw text of every answer."""

    def __init__(self, model):
        self.model, self.answers = model, []

    def __getattr__(self, name):
        return getattr(self.model, name)

    def invoke(self, *args, **kwargs):
        reply = self.model.invoke(*args, **kwargs)
        self.answers.append(str(reply.content))
        return reply


def run(kb, prompts, model, items, detector: bool) -> tuple[int, int]:
    raw_hits = artifact_hits = 0
    patches = [] if detector else [mock.patch("coachgen.artifacts.debrief.neutralise", lambda text, allowlist=(): text),
                                   mock.patch("coachgen.records.neutralise", lambda text, allowlist=(): text)]
    for patch in patches:
        patch.start()
    try:
        for canary, payload in items:
            recorder = Recording(model)
            notes = f"Rachel said the price is too high. {payload} Tomas confirmed he is our champion."
            debrief = build_debrief(prepare_debrief(kb, prompts, "D-1001", notes), recorder, "embedded")
            page = render(debrief, "md", debrief_outline(debrief)).replace(notes, "")
            raw_hits += any(canary in answer for answer in recorder.answers)
            artifact_hits += canary in page
            print(f"  {'on ' if detector else 'off'} {canary}: model {any(canary in a for a in recorder.answers)}, artifact {canary in page}",
                  file=sys.stderr, flush=True)
    finally:
        for patch in patches:
            patch.stop()
    return raw_hits, artifact_hits


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10, help="Payloads from the tuned set, spread over its templates.")
    parser.add_argument("--heldout", type=int, default=10, help="Held-out payloads to add.")
    args = parser.parse_args()
    kb = KnowledgeBase(load_settings(home=temp_home()))
    kb.ingest([KNOWLEDGE])
    prompts = PromptLibrary(kb.settings)
    model = make_chat_model(kb.settings)
    every = payloads()
    items = every[:: max(1, len(every) // args.count)][: args.count] + heldout()[: args.heldout]
    caught = sum(canary not in neutralise(text) for canary, text in heldout())
    print(f"held-out payloads caught by the detector: {caught}/{len(heldout())}")
    for detector in (False, True):
        raw, shown = run(kb, prompts, model, items, detector)
        label = "all defences" if detector else "detector off (baseline)"
        print(f"{label:24s} n={len(items)}  canary in the model's answer: {raw} ({raw / len(items):.0%})  "
              f"in the rendered debrief: {shown} ({shown / len(items):.0%})")
    print(f"canary format check: {bool(CANARY.fullmatch(items[0][0]))}")


if __name__ == "__main__":
    main()
