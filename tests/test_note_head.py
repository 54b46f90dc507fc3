"""The trained note head: the shipped weights are what the training script fits, it applies only to its own
embedder, and a concern has to clearly beat a buying signal."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from coachgen.linear_head import LinearHead, fit, shipped
from coachgen.note_head import CONCERN_MARGIN, HEAD_FILE, NoteHead, head_for
from coachgen.note_reading import LABELS, N_CUE_FLAGS, read_sentences

ROOT = Path(__file__).resolve().parents[1]


def _training_script():
    spec = importlib.util.spec_from_file_location("train_note_head", ROOT / "benchmarks" / "train_note_head.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_shipped_head_is_what_the_training_script_fits(embedder):
    import io

    built = np.load(io.BytesIO(_training_script().build(embedder)))
    head = shipped(HEAD_FILE)
    assert head is not None and head.embedder == embedder.name and head.labels == LABELS
    assert np.abs(built["weights"] - head.weights).max() < 1e-3


def test_the_training_set_never_holds_the_sample_s_own_notes():
    import yaml

    labelled = yaml.safe_load((ROOT / "tests" / "fixtures" / "note_sentences.yaml").read_text(encoding="utf-8"))
    sample = {item["text"] for split in ("tuning", "holdout") for item in labelled[split] if item["source"] == "sample"}
    fresh = {item["text"] for item in yaml.safe_load((ROOT / "tests" / "fixtures" / "note_sentences_fresh.yaml").read_text())["holdout"]}
    texts = {text for text, _ in _training_script().training_set()}
    assert sample and texts and not texts & sample and not texts & fresh


def test_the_head_applies_only_to_the_embedder_and_layout_it_was_fitted_on(embedder):
    width = 384 + len(LABELS) + N_CUE_FLAGS
    assert head_for(embedder.name, width) is not None
    assert head_for("openai:text-embedding-3-small", width) is None
    assert head_for(embedder.name, width + 1) is None


def test_another_embedder_reads_by_nearest_exemplars(embedder):
    """Under an embedder the head was not fitted on, the labels come from exemplar similarities (cosines, not probabilities)."""

    class Renamed:
        name = "another:embedder"
        dim = embedder.dim

        def embed_batch(self, texts):
            return embedder.embed_batch(texts)

    reading = read_sentences(Renamed(), ["Tomas said the budget line for next year is approved."])[0]
    assert reading.label == "buying_signal"
    assert abs(sum(reading.scores.values()) - 1.0) > 0.05  # not a probability distribution: the head did not read it


def _head(concern: float, buying: float) -> NoteHead:
    """A head over one constant feature whose probabilities are proportional to exp(logit)."""
    logits = np.log(np.array([concern, buying, 1e-6, 1e-6, 1e-6, 1 - concern - buying + 1e-6], dtype=np.float32))
    return NoteHead(LinearHead(weights=np.vstack([np.zeros(len(LABELS), np.float32), logits]), labels=LABELS, embedder="x"))


def test_a_concern_must_beat_a_buying_signal_by_the_margin():
    close = _head(0.45, 0.45 - CONCERN_MARGIN / 2)
    assert close.decide(np.zeros(1))[0] == "buying_signal"
    clear = _head(0.6, 0.6 - CONCERN_MARGIN - 0.1)
    assert clear.decide(np.zeros(1))[0] == "concern"


def test_fitting_separates_separable_labels():
    features = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]], dtype=np.float32)
    weights = fit(features, [0, 0, 1, 1], 2, l2=1e-4, epochs=300)
    scores = np.hstack([features, np.ones((4, 1), np.float32)]) @ weights
    assert list(scores.argmax(axis=1)) == [0, 0, 1, 1]
