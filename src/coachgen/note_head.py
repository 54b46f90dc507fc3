"""The trained head that labels a note sentence from its embedding, exemplar similarities and cue flags.

A :class:`~coachgen.linear_head.LinearHead` fitted offline (``benchmarks/train_note_head.py``) on the generic
exemplars of ``note_meaning.yaml`` and labelled note sentences of two CRM styles, never on the bundled sample's
own notes; its weights ship as ``knowledge/defaults/note_head.npz``. Under any other embedder :func:`head_for`
returns None and the nearest-exemplar reading is used. A concern must beat a buying signal by
:data:`CONCERN_MARGIN` in probability, so that a positive sentence with worried-sounding words is not turned
into an objection.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coachgen.linear_head import LinearHead, shipped

__all__ = ["CONCERN_MARGIN", "HEAD_FILE", "NoteHead", "head_for"]

HEAD_FILE = "note_head.npz"
#: Probability by which a concern must beat a buying signal; chosen by 5-fold cross-validation on the labelled
#: sentences (it removed a quarter of the buying signals read as concerns at no cost in accuracy).
CONCERN_MARGIN = 0.2


@dataclass(frozen=True)
class NoteHead:
    """The shipped head, deciding with the concern margin."""

    head: LinearHead

    def decide(self, features: Any) -> tuple[str, dict[str, float]]:
        """The label and every label's probability; a concern that does not clear the margin yields to the next label."""
        scores = self.head.probabilities(features)
        order = sorted(scores, key=lambda label: -scores[label])
        if order[0] == "concern" and "buying_signal" in scores and scores["concern"] - scores["buying_signal"] < CONCERN_MARGIN:
            return order[1], scores
        return order[0], scores


def head_for(embedder_name: str, n_features: int) -> NoteHead | None:
    """The shipped head when it was fitted on this embedder's vectors and this feature layout, else None."""
    head = shipped(HEAD_FILE)
    return NoteHead(head) if head is not None and head.fits(embedder_name, n_features) else None
