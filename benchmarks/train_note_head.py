"""Fit the note-sentence head and write it to ``src/coachgen/knowledge/defaults/note_head.npz``.

Training data: the generic exemplars of ``note_meaning.yaml`` and the labelled sentences of
``tests/fixtures/note_sentences.yaml`` (both lists), except the sentences copied verbatim from the bundled
sample's CRM export (``source: sample``), so that the demo is not read by a head fitted on its own notes.
``tests/fixtures/note_sentences_fresh.yaml`` is never read here: it is the hold-out the head is measured on
(``benchmarks/note_reading.py --split fresh``). Fitting is deterministic; ``tests/test_note_head.py`` checks
that the shipped file is what this script writes.

    python benchmarks/train_note_head.py [--check]
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from coachgen.index.embeddings import OnnxMiniLM  # noqa: E402
from coachgen.knowledge.defaults import load  # noqa: E402
from coachgen.linear_head import fit, save  # noqa: E402
from coachgen.note_head import HEAD_FILE  # noqa: E402
from coachgen.note_reading import LABELS, TOP_K, _Exemplars, _words, cue_flags, find_date, head_features  # noqa: E402

LABELLED = ROOT / "tests" / "fixtures" / "note_sentences.yaml"
TARGET = ROOT / "src" / "coachgen" / "knowledge" / "defaults" / HEAD_FILE


def _sample_sentences() -> set[str]:
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return {item["text"] for split in ("tuning", "holdout") for item in data[split] if item["source"] == "sample"}


def labelled_pairs() -> list[tuple[str, str]]:
    """(sentence, label) of every labelled sentence not copied from the sample's CRM export."""
    data = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return [(item["text"], item["label"]) for split in ("tuning", "holdout") for item in data[split] if item["source"] != "sample"]


def training_set() -> list[tuple[str, str]]:
    """(sentence, label) pairs: the generic exemplars, then the labelled sentences; none of them a line of the
    sample's notes (a few short exemplars, such as "Proposal sent.", are also sample lines and are left out)."""
    sample = _sample_sentences()
    exemplars = [(text, label) for label in LABELS for text in load("note_meaning")["exemplars"][label]]
    return [(text, label) for text, label in exemplars + labelled_pairs() if text not in sample]


def _similarities_without_self(exemplars: _Exemplars, vector: np.ndarray, text: str) -> dict[str, float]:
    """``exemplar_similarities`` with the sentence itself left out when it is one of the exemplars, so that a row
    fitted on never sees the cosine of 1.0 to itself that no note sentence at run time has."""
    texts = load("note_meaning")["exemplars"]
    similarities = {}
    for label, matrix in exemplars.labels:
        keep = [i for i, exemplar in enumerate(texts[label]) if exemplar != text]
        similarities[label] = float(np.sort(matrix[keep] @ vector)[-TOP_K:].mean())
    return similarities


def build(embedder: OnnxMiniLM) -> bytes:
    """The head's npz bytes."""
    pairs = training_set()
    exemplars = _Exemplars.of(embedder)
    vectors = np.asarray(embedder.embed_batch([text for text, _ in pairs]), dtype=np.float32)
    rows = []
    for (text, _), vector in zip(pairs, vectors):
        words, date = _words(text), find_date(text)
        rows.append(head_features(vector, _similarities_without_self(exemplars, vector, text), cue_flags(text, words, date)))
    weights = fit(np.asarray(rows), [LABELS.index(label) for _, label in pairs], len(LABELS))
    return save(weights, LABELS, embedder.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether the shipped head matches a fresh fit")
    args = parser.parse_args()
    built = build(OnnxMiniLM())
    if args.check:
        difference = np.abs(np.load(TARGET)["weights"] - np.load(io.BytesIO(built))["weights"]).max()
        print(f"max weight difference {difference:.2e}")
        return
    TARGET.write_bytes(built)
    print(f"wrote {TARGET.relative_to(ROOT)} ({len(training_set())} sentences)")


if __name__ == "__main__":
    main()
