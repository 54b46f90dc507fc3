"""The instruction detector: false positives on real-looking handbooks beside attack success through it.

False-positive rate: sentences of each corpus the detector would remove (every one is ordinary text)
over all sentences it reads (chunk texts, heading paths, titles, deal notes). Attack success: payloads
whose canary survives :func:`coachgen.untrusted.neutralise` (the 224 tuned payloads, the 20 held-out
ones written after tuning), and extraction attempts it leaves untouched. Baseline in the same run: no
detector (every attack passes, no sentence is removed). The model-level figure is
benchmarks/injection_asr.py. Pure text processing: runs in a few seconds.
Run: .venv/bin/python benchmarks/text_hygiene.py [--show]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hygiene import CORPORA, SAMPLE, TRICKY, measure  # noqa: E402
from injection_payloads import extractions, heldout, payloads  # noqa: E402

from coachgen.untrusted import REMOVED, neutralise  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--show", action="store_true", help="Print every flagged sentence.")
    args = parser.parse_args()
    print("false positives (sentences the detector would remove; baseline without detector: 0)")
    corpora = [("bundled sample", SAMPLE), *((f"corpus {folder.parent.name}", folder) for folder in CORPORA),
               ("look-alike handbook fixture", TRICKY)]
    for name, folder in corpora:
        result = measure(folder, name)
        print(f"  {name}: {len(result.flagged)} of {result.sentences} sentences ({result.rate:.2%})")
        for source, sentence in result.flagged if args.show else []:
            print(f"    {source}: {sentence}")
    print("attack success through the filter (baseline without detector: 100%)")
    for name, items in (("tuned payloads", payloads()), ("held-out payloads", heldout())):
        passed = [text for canary, text in items if canary in neutralise(text)]
        print(f"  {name}: {len(passed)} of {len(items)} canaries survive ({len(passed) / len(items):.1%})")
    attempts = extractions()
    untouched = [text for text in attempts if REMOVED not in neutralise(text)]
    print(f"  extraction attempts: {len(untouched)} of {len(attempts)} left untouched ({len(untouched) / len(attempts):.1%})")


if __name__ == "__main__":
    main()
