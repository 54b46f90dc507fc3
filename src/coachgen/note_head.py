"""A trained linear head that labels a note sentence from its embedding, exemplar similarities and cue flags.

The head is a multinomial logistic regression fitted offline (``benchmarks/train_note_head.py``) on the
generic exemplars of ``note_meaning.yaml`` and labelled note sentences of two CRM styles, never on the bundled
sample's own notes. Its weights ship as ``knowledge/defaults/note_head.npz`` with the name of the embedder whose
vectors it reads; under any other embedder :func:`head_for` returns None and the nearest-exemplar reading is used.
A concern must beat a buying signal by :data:`CONCERN_MARGIN` in probability, so that a positive sentence with
worried-sounding words is not turned into an objection.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Sequence

__all__ = ["CONCERN_MARGIN", "FIT", "NoteHead", "fit", "head_for"]

HEAD_FILE = "note_head.npz"
#: Probability by which a concern must beat a buying signal; chosen by 5-fold cross-validation on the labelled
#: sentences (it removed a quarter of the buying signals read as concerns at no cost in accuracy).
CONCERN_MARGIN = 0.2
#: Fitting settings, chosen by cross-validation across the two CRM styles.
FIT = {"l2": 1e-3, "epochs": 600, "rate": 0.5}


@dataclass(frozen=True)
class NoteHead:
    """Weights (features + 1 bias row) x labels, for one embedder."""

    weights: Any
    labels: tuple[str, ...]
    embedder: str

    def probabilities(self, features: Any) -> Any:
        """Label probabilities of one feature vector."""
        import numpy as np

        z = np.append(features, 1.0).astype(np.float32) @ self.weights
        z = np.exp(z - z.max())
        return z / z.sum()

    def decide(self, features: Any) -> tuple[str, dict[str, float]]:
        """The label and every label's probability; a concern that does not clear the margin yields to the next label."""
        p = self.probabilities(features)
        scores = {label: float(value) for label, value in zip(self.labels, p)}
        order = sorted(self.labels, key=lambda label: -scores[label])
        if order[0] == "concern" and "buying_signal" in scores and scores["concern"] - scores["buying_signal"] < CONCERN_MARGIN:
            return order[1], scores
        return order[0], scores


def fit(features: Any, labels: Sequence[int], n_labels: int, l2: float = FIT["l2"], epochs: int = FIT["epochs"],
        rate: float = FIT["rate"]) -> Any:
    """Multinomial logistic regression by full-batch gradient descent (deterministic; the bias is not penalised)."""
    import numpy as np

    x = np.hstack([np.asarray(features, dtype=np.float32), np.ones((len(labels), 1), np.float32)])
    y = np.eye(n_labels, dtype=np.float32)[np.asarray(labels)]
    w = np.zeros((x.shape[1], n_labels), np.float32)
    penalty = np.ones((x.shape[1], 1), np.float32)
    penalty[-1] = 0.0
    for _ in range(epochs):
        z = x @ w
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        w -= rate * (x.T @ (p - y) / len(labels) + l2 * penalty * w)
    return w


@cache
def _shipped() -> NoteHead | None:
    import numpy as np

    source = resources.files("coachgen.knowledge.defaults").joinpath(HEAD_FILE)
    if not source.is_file():
        return None
    with np.load(io.BytesIO(source.read_bytes())) as data:
        return NoteHead(weights=data["weights"], labels=tuple(str(label) for label in data["labels"]), embedder=str(data["embedder"]))


def head_for(embedder_name: str, n_features: int) -> NoteHead | None:
    """The shipped head when it was fitted on this embedder's vectors and this feature layout, else None."""
    head = _shipped()
    if head is None or head.embedder != embedder_name or head.weights.shape[0] != n_features + 1:
        return None
    return head
