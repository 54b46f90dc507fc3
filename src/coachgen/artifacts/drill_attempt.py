"""A drill attempt from answers given up front: one objection, the rep's answers, scored against the rubric and stored.

The same card, role-play and scoring as ``coachgen drill --interactive``, driven by a list of answers
instead of a terminal (an assistant relays them): the buyer opens with the card's line, replies between
answers as in the role-play, and the attempt is scored and stored for the rep's spaced repetition.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coachgen.artifacts.common import SourcePack
from coachgen.artifacts.drill import build_cards, nothing_to_drill_note, pick_objections, resolve_rubric
from coachgen.artifacts.roleplay import DrillSession, drill_session, run_roleplay
from coachgen.errors import InputError, NotFoundError

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.prompts import PromptLibrary

__all__ = ["MAX_ANSWERS", "attempt_from_answers"]

MAX_ANSWERS = 10


def attempt_from_answers(kb: "KnowledgeBase", prompts: "PromptLibrary", model: Any, model_name: str, rep: str, answers: list[str],
                         objection: str | None = None, topic: str | None = None, difficulty: int = 1,
                         rubric: str | None = None) -> DrillSession:
    """Score ``answers`` (the rep's turns, in order) on one card and store the attempt; the card follows the rep's schedule unless named."""
    answers = [answer for answer in answers if answer.strip()]
    if not answers:
        raise InputError("give at least one answer to score")
    if len(answers) > MAX_ANSWERS:
        raise InputError(f"{len(answers)} answers; one attempt takes at most {MAX_ANSWERS}")
    if difficulty not in (1, 2, 3):
        raise InputError("difficulty must be 1, 2 or 3")
    name = kb.records.rep_name(rep)
    chosen, notes = resolve_rubric(kb, rubric)
    picks = pick_objections(kb, name, objection, topic, False, 1)
    if not picks:
        raise NotFoundError(nothing_to_drill_note())
    pack = SourcePack()
    cards, (tokens_in, tokens_out), card_notes = build_cards(kb, prompts, picks, model, difficulty, pack)
    queue = iter(answers)
    attempt, used = run_roleplay(kb, prompts, model, chosen, name, cards[0], lambda _buyer_line: next(queue, None), len(answers), pack)
    if attempt is None:
        raise InputError("no answer was given, so nothing was scored or stored")
    return drill_session(prompts, model_name, name, chosen, [attempt], pack, (tokens_in + used[0], tokens_out + used[1]), notes + card_notes)
