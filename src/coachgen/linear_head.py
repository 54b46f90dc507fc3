"""Small linear classifiers fitted offline on the bundled embedder's vectors and shipped as weights.

A head is a multinomial logistic regression (weights: features + 1 bias row, by label) saved as an ``.npz`` in
``knowledge/defaults`` with the labels and the name of the embedder whose vectors it reads. :func:`shipped`
loads one; :func:`fit` is the deterministic fitting the ``benchmarks/train_*_head.py`` scripts use.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Sequence

__all__ = ["FIT", "LinearHead", "fit", "shipped"]

#: Fitting settings, chosen by cross-validation on the labelled sets each head is fitted on.
FIT = {"l2": 1e-3, "epochs": 600, "rate": 0.5}


@dataclass(frozen=True)
class LinearHead:
    """Weights (features + 1 bias row) x labels, for one embedder."""

    weights: Any
    labels: tuple[str, ...]
    embedder: str

    def probabilities(self, features: Any) -> dict[str, float]:
        """Each label's probability for one feature vector."""
        import numpy as np

        z = np.append(features, 1.0).astype(np.float32) @ self.weights
        z = np.exp(z - z.max())
        return {label: float(value) for label, value in zip(self.labels, z / z.sum())}

    def fits(self, embedder_name: str, n_features: int) -> bool:
        """Fitted on this embedder's vectors with this many features."""
        return self.embedder == embedder_name and self.weights.shape[0] == n_features + 1


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


def save(weights: Any, labels: Sequence[str], embedder_name: str) -> bytes:
    """The ``.npz`` bytes of a head."""
    import numpy as np

    buffer = io.BytesIO()
    np.savez(buffer, weights=np.asarray(weights, dtype=np.float32), labels=np.array(list(labels)), embedder=np.array(embedder_name))
    return buffer.getvalue()


@cache
def shipped(filename: str) -> LinearHead | None:
    """The head saved as ``filename`` beside the default data, or None when there is none."""
    import numpy as np

    source = resources.files("coachgen.knowledge.defaults").joinpath(filename)
    if not source.is_file():
        return None
    with np.load(io.BytesIO(source.read_bytes())) as data:
        return LinearHead(weights=data["weights"], labels=tuple(str(label) for label in data["labels"]), embedder=str(data["embedder"]))
