"""Spaced repetition for drills: an objection comes back sooner the lower the rep scored on it.

The schedule is computed from the stored attempts, nothing else: after a failed attempt the objection
is due the same day (score under 2) or the next day; after a pass it waits ``INTERVALS[n-1]`` days for
the n-th consecutive pass, scaled by score / 5, so a bare pass returns sooner than a perfect one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable

__all__ = ["INTERVALS", "Review", "interval_days", "schedule"]

INTERVALS = (2, 6, 14, 30, 60)


@dataclass(frozen=True)
class Review:
    """Where one objection stands for one rep."""

    objection_key: str
    objection: str
    attempts: int
    last_score: float
    last_passed: bool
    last_at: date
    streak: int
    due: date

    def is_due(self, today: date) -> bool:
        """True on or after the due date."""
        return self.due <= today


def interval_days(score: float, passed: bool, streak: int) -> int:
    """Days until the objection comes back after an attempt (``streak``: consecutive passes including it)."""
    if not passed:
        return 0 if score < 2 else 1
    base = INTERVALS[min(streak, len(INTERVALS)) - 1]
    return max(1, round(base * score / 5))


def schedule(attempts: Iterable[dict[str, Any]]) -> dict[str, Review]:
    """The review state of every objection in ``attempts`` (rows as ``Records.attempts`` returns them, oldest first)."""
    state: dict[str, Review] = {}
    for attempt in attempts:
        key, passed, score = attempt["objection_key"], bool(attempt["passed"]), float(attempt["score"])
        day = date.fromisoformat(attempt["created_at"][:10])
        before = state.get(key)
        streak = (before.streak + 1 if before else 1) if passed else 0
        state[key] = Review(key, attempt["objection"], (before.attempts if before else 0) + 1, score, passed, day, streak,
                            day + timedelta(days=interval_days(score, passed, streak)))
    return state
