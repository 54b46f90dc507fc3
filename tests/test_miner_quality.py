"""The miners keep finding what the labelled corpora hold (precision and recall >= 0.9 per record type).

The labels were written from the pages by someone who did not read the miners; see benchmarks/RESULTS.md
for the hold-out figures measured before the miners had seen each corpus.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from miner_quality import CORPORA, load_labels, mined, score  # noqa: E402


@pytest.mark.parametrize("corpus", sorted(p.name for p in CORPORA.iterdir() if (p / "labels" / "records.yaml").is_file()))
def test_miners_match_the_hand_labels(corpus):
    results = score(load_labels(CORPORA / corpus), mined(CORPORA / corpus / "handbook"))
    assert results
    weak = {t: (round(r["precision"], 2), round(r["recall"], 2)) for t, r in results.items() if r["precision"] < 0.9 or r["recall"] < 0.9}
    assert not weak, f"{corpus}: {weak}"
