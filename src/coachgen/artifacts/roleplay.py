"""Interactive role-play on a drill card: the model plays the buyer, the rep answers, the rubric scores.

The buyer's moves are decided by code: open with the card's line, push back with the card's
pushbacks, then ask for a next step (unless the rep proposed one), then accept. The model only
words each move in character; a line that fails the checks falls back to the move's plain wording.
Answers come from a callable, so a terminal, a script or a test can drive it. Every scored attempt is
stored for the rep with the rubric's id, version and content hash.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal

from pydantic import BaseModel, Field

from coachgen.answer_checks import run_check
from coachgen.answer_reading import read_answer
from coachgen.artifacts.common import (
    ArtifactHeader,
    CitedText,
    SourcePack,
    SourceRef,
    as_langchain,
    utc_now,
    write_prose,
)
from coachgen.artifacts.drill import DrillCard, drafted_line, skill_module
from coachgen.artifacts.scoring import Scorecard, judge_schema, score_answers
from coachgen.errors import GenerationError, InputError
from coachgen.rubric import Rubric
from coachgen.spaced import schedule

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.prompts import PromptLibrary

__all__ = ["END_WORDS", "Attempt", "DrillSession", "Turn", "buyer_turn", "clean_answer", "drill_session", "judge", "model_wrote", "run_roleplay", "score_attempt"]

END_WORDS = {"", "/done", "/end", "/quit"}
ASK_NEXT_STEP = "Okay. So what would you suggest as a next step?"
ACCEPT = "That works for me. Let's do that."
MAX_ANSWER_CHARS = 2000


class Turn(BaseModel):
    speaker: Literal["buyer", "rep"]
    text: str
    by_model: bool = Field(False, description="True when the chat model wrote this buyer line (after its checks passed).")


class Attempt(BaseModel):
    """One scored role-play (or scripted answer) on one card."""

    rep: str
    card: DrillCard
    transcript: list[Turn]
    scorecard: Scorecard
    practise: list[CitedText] = Field(description="Training modules for the 'start' criterion, cited.")
    next_due: str = Field(description="When spaced repetition brings this objection back.")
    created_at: str


class DrillSession(BaseModel):
    """``coachgen drill --interactive`` output: every attempt of the session."""

    header: ArtifactHeader
    rep: str
    rubric_id: str
    rubric_version: str
    attempts: list[Attempt]
    sources: list[SourceRef]
    notes: list[str]


class BuyerReply(BaseModel):
    """What the model writes for a buyer turn."""

    line: str = Field(min_length=2, max_length=400, description="The buyer's next words, first person, at most 50 words.")


#: A buyer line steps out of the role when it talks about being a model, the exercise, the rubric, the rep's score
#: or the prompt; a buyer may still say "we score vendors", "I have to push back" or "we'll rate you on support".
_OUT_OF_ROLE = re.compile("|".join([
    r"\bas an? (ai|language model|assistant|chatbot|buyer persona)\b|\bi('m| am) (just )?(an? )?(ai|language model|chatbot|bot|assistant)\b",
    r"\b(language|ai) model\b|\bmy (persona|character|instructions|prompt)\b|\bsystem prompt\b|\bin character\b",
    r"\b(this|the) (role-?play|exercise|simulation|practice session)\b|\brole-?play(ing)?\b",
    r"\brubric\b|\b(rate|score|grade) (your|that|this) (answer|response|reply)\b|\b[1-5] ?(/|out of) ?5\b",
    r"\bthe rep (proposed|suggested|just said|answered|responded|asked)\b|\bthe rep's (answer|response|reply|proposal|score)\b",
    r"\b(your next move|new concern in your own words|stay sceptical)\b",
    r"^\s*(buyer|rep|sales rep|assistant|user|ai)\s*:|\"line\"\s*:",
]), re.IGNORECASE)


@dataclass(frozen=True)
class Move:
    """What the buyer does next: the instruction the model words, and the plain line used if its wording fails."""

    kind: str
    instruction: str
    fallback: str


def _buyer_says(kb: "KnowledgeBase", model: Any, prompts: "PromptLibrary", card: DrillCard, transcript: list[Turn], move: Move,
                known: str) -> tuple[str, tuple[int, int], bool]:
    from coachgen.artifacts.drafts import draft_checker

    variables = {"persona": card.persona.model_dump(), "situation": card.situation, "move": move.instruction,
                 "transcript": [turn.model_dump() for turn in transcript]}
    messages = prompts.messages("roleplay", variables)
    drafted = draft_checker(kb, "roleplay", known=" ".join([known, *(turn.text for turn in transcript)]),  # a buyer may repeat the rep
                            trusted=" ".join(card.persona.model_dump(exclude_none=True).values()),
                            objection=move.fallback if move.kind == "pushback" else None, speaker=card.persona.name)

    def check(draft: BuyerReply) -> None:
        problems = []
        try:
            drafted(draft)
        except ValueError as exc:
            problems.append(str(exc))
        if _OUT_OF_ROLE.search(draft.line):
            problems.append("the line steps out of the buyer's role")
        if problems:
            raise ValueError("; ".join(problems))

    fallback = BuyerReply.model_construct(line=move.fallback)
    draft, tokens, _ = write_prose(model, as_langchain(messages), BuyerReply, check, fallback, "")
    return " ".join(draft.line.split()), tokens, draft is not fallback


def _move(kb: "KnowledgeBase", rubric: Rubric, card: DrillCard, answered: int, answers: list[str]) -> Move:
    """The buyer's next move after the rep's ``answered``-th answer: a pushback, a request for a next step, or acceptance."""
    if answered <= len(card.pushbacks):
        concern = card.pushbacks[answered - 1]
        return Move("pushback", f"Stay sceptical and raise this new concern in your own words: \"{concern}\"", concern)
    if run_check("next_step", read_answer(answers, card.objection, [], rubric, kb.embedder)).level >= 3:
        return Move("accept", "Agree to the next step the rep proposed, in one sentence.", ACCEPT)
    return Move("ask", "Ask what the next step should be.", ASK_NEXT_STEP)


def judge(model: Any, prompts: "PromptLibrary", rubric: Rubric, card: DrillCard, answers: list[str]) -> tuple[BaseModel | None, tuple[int, int], list[str]]:
    """The model's per-criterion scores and quotes, or None with a note when its answer does not fit the schema."""
    from coachgen.llm.models import is_no_model
    from coachgen.llm.structured import generate_structured

    if is_no_model(model):
        return None, (0, 0), [f"Scored by the deterministic checks alone: no chat model is used ({model.reason})."]
    variables = {"objection": card.objection, "strong_answer": [line.text for line in card.strong_answer], "answers": answers,
                 "criteria": [{"key": c.id.replace("-", "_"), "name": c.name, "levels": sorted(c.levels.items())} for c in rubric.criteria]}
    messages = prompts.messages("judge", variables)
    try:
        generation = generate_structured(model, as_langchain(messages), judge_schema(rubric))
    except GenerationError as exc:
        return None, (exc.input_tokens, exc.output_tokens), [f"The model's scores were not usable ({exc}); scored by the deterministic checks alone."]
    return generation.value, (generation.input_tokens, generation.output_tokens), []


def score_attempt(kb: "KnowledgeBase", prompts: "PromptLibrary", model: Any, rubric: Rubric, rep: str, card: DrillCard,
                  transcript: list[Turn], pack: SourcePack, mode: str, use_model: bool = True) -> tuple[Attempt, tuple[int, int]]:
    """Score the rep's turns of ``transcript``, store the attempt, and say when the objection comes back."""
    answers = [turn.text for turn in transcript if turn.speaker == "rep"]
    if not answers:
        raise InputError("no answer was given, so nothing was scored or stored")
    judgement, tokens, notes = judge(model, prompts, rubric, card, answers) if use_model else (None, (0, 0), [])
    reference = [line.text for line in card.strong_answer]
    scorecard = score_answers(rubric, answers, card.objection, reference, judgement, kb=kb)
    scorecard.notes.extend(notes)
    worst = min(scorecard.criteria, key=lambda c: (c.score, -c.weight))
    module = skill_module(kb, rubric.criterion(worst.criterion).skill)
    practise = [CitedText(text=module.title, sources=[pack.add(module)])] if module is not None else []
    created = utc_now()
    with kb.catalog.transaction():
        kb.records.add_attempt({
            "rep": rep, "created_at": created, "objection_key": card.objection_key, "objection": card.objection,
            "rubric_id": rubric.id, "rubric_version": rubric.version, "rubric_sha": rubric.sha256, "mode": mode,
            "score": scorecard.score, "passed": int(scorecard.passed), "scorecard": scorecard.model_dump_json(),
            "transcript": json.dumps([turn.model_dump() for turn in transcript], ensure_ascii=False),
        })
    review = schedule(kb.records.attempts(rep))[card.objection_key]
    attempt = Attempt(rep=rep, card=card, transcript=transcript, scorecard=scorecard, practise=practise,
                      next_due=review.due.isoformat(), created_at=created)
    return attempt, tokens


def clean_answer(reply: str) -> str:
    """A rep's answer on one line; ``InputError`` over ``MAX_ANSWER_CHARS``."""
    reply = " ".join(reply.split())
    if len(reply) > MAX_ANSWER_CHARS:
        raise InputError(f"an answer is {len(reply)} characters; the limit is {MAX_ANSWER_CHARS}")
    return reply


def buyer_turn(kb: "KnowledgeBase", prompts: "PromptLibrary", model: Any, rubric: Rubric, card: DrillCard, transcript: list[Turn],
               turns: int) -> tuple[bool, tuple[int, int]]:
    """After the rep's latest answer in ``transcript``, append the buyer's reply unless the card is over; True when it is over.

    The card is over after ``turns`` answers, or once the buyer has accepted the rep's next step.
    """
    answers = [turn.text for turn in transcript if turn.speaker == "rep"]
    if len(answers) >= turns:
        return True, (0, 0)
    known = " ".join([card.persona.name, card.persona.role, card.persona.account or "", card.situation, card.objection, *card.pushbacks])
    move = _move(kb, rubric, card, len(answers), answers)
    line, tokens, by_model = _buyer_says(kb, model, prompts, card, transcript, move, known)
    transcript.append(Turn(speaker="buyer", text=line, by_model=by_model))
    return move.kind == "accept", tokens


def drill_session(prompts: "PromptLibrary", model_name: str, rep: str, rubric: Rubric, attempts: list[Attempt], pack: SourcePack,
                  tokens: tuple[int, int], notes: list[str]) -> DrillSession:
    """The session artifact of ``attempts``, its header saying which buyer lines the model wrote."""
    header = ArtifactHeader(artifact="drill-session", model=model_name, prompt_hash=prompts.fingerprint("judge"),
                            chunk_ids=[h.id for h in pack.hits], generated_at=utc_now(), input_tokens=tokens[0], output_tokens=tokens[1],
                            model_wrote=model_wrote(attempts))
    return DrillSession(header=header, rep=rep, rubric_id=rubric.id, rubric_version=rubric.version, attempts=attempts,
                        sources=pack.refs(), notes=notes)


def model_wrote(attempts: list[Attempt]) -> list[str]:
    """Paths of the buyer lines the chat model wrote in a session's ``attempts`` (for the header)."""
    return [f"attempts[{i}].transcript[{j}]" for i, attempt in enumerate(attempts) for j, turn in enumerate(attempt.transcript) if turn.by_model]


def run_roleplay(kb: "KnowledgeBase", prompts: "PromptLibrary", model: Any, rubric: Rubric, rep: str, card: DrillCard,
                 answer: Callable[[str], str | None], turns: int, pack: SourcePack,
                 use_model_judge: bool = True) -> tuple[Attempt | None, tuple[int, int]]:
    """Play ``card`` for up to ``turns`` rep answers; ``answer(buyer_line)`` returns the rep's reply, '' to stop, None at end of input.

    Returns None (nothing stored) when the rep gave no answer at all.
    """
    if not 1 <= turns <= 10:
        raise InputError("--turns must be between 1 and 10")
    transcript = [Turn(speaker="buyer", text=card.buyer_line, by_model=drafted_line(card))]
    tokens_in = tokens_out = 0
    while True:
        reply = answer(transcript[-1].text)
        if reply is None or reply.strip().lower() in END_WORDS:
            break
        transcript.append(Turn(speaker="rep", text=clean_answer(reply)))
        over, tokens = buyer_turn(kb, prompts, model, rubric, card, transcript, turns)
        tokens_in, tokens_out = tokens_in + tokens[0], tokens_out + tokens[1]
        if over:
            break
    if not any(turn.speaker == "rep" for turn in transcript):
        return None, (tokens_in, tokens_out)
    attempt, tokens = score_attempt(kb, prompts, model, rubric, rep, card, transcript, pack, "interactive", use_model_judge)
    return attempt, (tokens_in + tokens[0], tokens_out + tokens[1])
