"""What a CRM stage name means: open, won or lost, and which generic step of a sales process it is.

The meaning comes from overrides the team gives (``--stages "Engaging=open,Tech Win=won"``), else
from the labelled default vocabulary shipped with the package (``defaults/stage_vocabulary.yaml``,
whose header says how names are matched). A stage neither knows has no outcome: the import reports
it and counts its deals as open, so nothing is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, Mapping

from coachgen.errors import MappingError
from coachgen.knowledge.defaults import load

__all__ = ["OUTCOMES", "StageMeaning", "StageVocabulary", "parse_stage_overrides", "stage_key"]

Outcome = Literal["open", "won", "lost"]
OUTCOMES: tuple[Outcome, ...] = ("open", "won", "lost")


def stage_key(stage: str) -> str:
    """The identity of a stage name: case, accents, punctuation and spacing ignored."""
    return " ".join(_words(stage))


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return tuple(re.findall(r"[a-z0-9]+", folded))


@dataclass(frozen=True)
class StageMeaning:
    """What one stage name means; ``outcome`` None when nobody recognises it."""

    outcome: Outcome | None
    step: str | None = None
    position: int | None = None
    source: str = "vocabulary"


def _contains(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(words[i:i + size] == phrase for i in range(len(words) - size + 1))


class StageVocabulary:
    """Stage names to meanings: the team's overrides first, then the labelled default vocabulary."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        data = load("stage_vocabulary")
        self._closed = [(outcome, tuple(_words(entry))) for outcome in ("lost", "won") for entry in data[outcome]]
        self._open: list[tuple[str, int, tuple[str, ...]]] = []
        for step, entries in data["open"].items():
            for entry in entries:
                self._open.append((step, len(self._open), _words(entry)))
        self.steps: tuple[str, ...] = tuple(data["open"])
        self._overrides = {stage_key(name): outcome for name, outcome in (overrides or {}).items()}
        self._memo: dict[str, StageMeaning] = {}

    def meaning(self, stage: str | None) -> StageMeaning:
        """The meaning of ``stage`` (None or blank has none)."""
        key = stage_key(stage or "")
        if key not in self._memo:
            self._memo[key] = self._meaning(key)
        return self._memo[key]

    def _meaning(self, key: str) -> StageMeaning:
        words = tuple(key.split())
        placed = self._place(words)
        if key in self._overrides:
            outcome = self._overrides[key]
            step, position = placed if outcome == "open" and placed else (None, None)
            return StageMeaning(outcome, step, position, "--stages")  # type: ignore[arg-type]
        if not words:
            return StageMeaning(None)
        for outcome, phrase in self._closed:
            if _contains(words, phrase):
                return StageMeaning(outcome)  # type: ignore[arg-type]
        if placed:
            return StageMeaning("open", placed[0], None if placed[0] == "unplaced" else placed[1])
        return StageMeaning(None)

    def _place(self, words: tuple[str, ...]) -> tuple[str, int] | None:
        best: tuple[int, int, str] | None = None
        for step, position, phrase in self._open:
            if _contains(words, phrase) and (best is None or (len(phrase), position) > best[:2]):
                best = (len(phrase), position, step)
        return (best[2], best[1]) if best else None

    def status(self, stage: str | None) -> Outcome | None:
        """``open``, ``won`` or ``lost``; None when the stage is not recognised."""
        return self.meaning(stage).outcome


def parse_stage_overrides(spec: str | None) -> dict[str, str]:
    """``"Engaging=open,Tech Win=won"`` as ``{"Engaging": "open", "Tech Win": "won"}``."""
    overrides: dict[str, str] = {}
    for part in filter(None, (piece.strip() for piece in (spec or "").split(","))):
        name, sep, outcome = part.rpartition("=")
        name, outcome = name.strip(), outcome.strip().lower()
        if not sep or not name or outcome not in OUTCOMES:
            raise MappingError(f"--stages: '{part}' is not STAGE=open, STAGE=won or STAGE=lost")
        overrides[name] = outcome
    return overrides
