"""Score a rep's answers against a rubric: deterministic checks, the model's judgement, and how they combine.

Per criterion: a deterministic check (when the rubric names one) and the model's score are
averaged, the model counting ``model_weight``; the model's score counts only when it quotes the rep's own words (or gives 1 with nothing
to quote). Blockers fail the attempt whatever the score. Keep / start / stop feedback comes from
the scores and the rubric's level descriptors, never from free model text.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field, create_model

from coachgen.answer_checks import run_check
from coachgen.answer_reading import AnswerReading, Material, cited_names, read_answer
from coachgen.rubric import Rubric

if TYPE_CHECKING:
    from coachgen.index.embeddings import Embedder
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["MODEL_WEIGHT", "BlockerHit", "CriterionScore", "Scorecard", "judge_schema", "level_of", "quadratic_weighted_kappa", "score_answers"]


MODEL_WEIGHT = 0.5  # share of the model's score where a check also scores the criterion


class CriterionScore(BaseModel):
    criterion: str
    name: str
    weight: float = Field(description="Normalised weight (the weights sum to 1).")
    score: float = Field(description="1-5; the check's and the model's levels weighted (MODEL_WEIGHT) when both scored it.")
    by: str = Field(description="'checks', 'model' or 'checks+model'.")
    check_level: int | None = None
    model_level: int | None = None
    evidence: str | None = Field(description="The rep's own words behind the score (None: nothing in the answer shows it).")


class BlockerHit(BaseModel):
    blocker: str
    description: str
    evidence: str


class Scorecard(BaseModel):
    """How one attempt scored."""

    rubric_id: str
    rubric_version: str
    rubric_sha: str
    criteria: list[CriterionScore]
    score: float = Field(description="Weighted average, 1-5.")
    pass_mark: float
    passed: bool = Field(description="Score at or above the pass mark and no blocker.")
    blockers: list[BlockerHit]
    keep: str
    start: str
    stop: str
    strongest: str | None = Field(None, description="The rep's sentence that did the most for the answer.")
    weakest: str | None = Field(None, description="The rep's sentence that did the least, or harmed it.")
    notes: list[str] = Field(default_factory=list)


def level_of(score: float) -> int:
    """A 1-5 score rounded half up to a whole level."""
    return max(1, min(5, math.floor(score + 0.5)))


def judge_schema(rubric: Rubric) -> type[BaseModel]:
    """The JSON the model returns: a score 1-5 and a verbatim quote for every criterion of ``rubric``."""
    judged = create_model("CriterionJudgement", score=(Literal[1, 2, 3, 4, 5], ...), quote=(str, Field(max_length=300)))
    fields: dict[str, Any] = {c.id.replace("-", "_"): (judged, Field(description=c.name)) for c in rubric.criteria}
    return create_model("AnswerJudgement", **fields)


def _normal(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9%$]+", text.lower()))


def usable_model_scores(rubric: Rubric, judgement: BaseModel | None, answers: list[str]) -> dict[str, tuple[int, str | None]]:
    """The model's scores whose quote is the rep's own words (at least 8 characters), or a 1 with no quote."""
    if judgement is None:
        return {}
    spoken = _normal(" ".join(answers))
    usable = {}
    for criterion in rubric.criteria:
        item = getattr(judgement, criterion.id.replace("-", "_"), None)
        if item is None:
            continue
        quote = _normal(item.quote)
        if len(quote) >= 8 and quote in spoken:
            usable[criterion.id] = (int(item.score), item.quote.strip())
        elif not quote and item.score == 1:
            usable[criterion.id] = (1, None)
    return usable


def _feedback(rubric: Rubric, criteria: list[CriterionScore], blockers: list[BlockerHit]) -> tuple[str, str, str]:
    best = max((c for c in criteria if c.score >= 3.5 and c.evidence), key=lambda c: (c.weight, c.score), default=None)  # as _extremes
    worst = min(criteria, key=lambda c: (c.score, -c.weight))
    if best is not None:
        keep = f"{best.name}: you said \"{best.evidence}\""
    else:
        keep = "Nothing scored 4 or more yet: aim first at the 'start' below."
    if worst.score >= 4.5:
        start = "Every criterion scored 5: try the next difficulty."
    else:
        start = f"{worst.name}: {rubric.criterion(worst.criterion).levels[5]}"
    if blockers:
        stop = f"{blockers[0].description} You said \"{blockers[0].evidence}\""
    elif worst.score < 2.5:
        stop = f"{worst.name}: {rubric.criterion(worst.criterion).levels[level_of(worst.score)]}"
    else:
        stop = "Nothing to stop: no blocker and no criterion below 3."
    return keep, start, stop


def material_of(kb: "KnowledgeBase") -> Material:
    """The team's material an answer is checked against (every indexed text but deal notes, competitors, proof), once per handle."""
    import numpy as np

    key = ("drill-material",)
    if key not in kb._memo:
        texts = [row[0] for row in kb.db.execute(
            "SELECT c.text FROM chunks c JOIN documents d ON d.key = c.doc_key WHERE d.kind != 'deal'")]
        proof = [record.text for record in [*kb.knowledge.proof_points(), *kb.knowledge.value_drivers()] if record.text.strip()]
        vectors = np.asarray(kb.embedder.embed_batch(proof), dtype=np.float32) if proof else None
        competitors = [record.text for record in kb.knowledge.competitors()]
        kb._memo[key] = [Material(texts, competitors, proof, vectors, cited_names(proof, texts, competitors))]
    return kb._memo[key][0]


def _extremes(reading: AnswerReading, criteria: list[CriterionScore]) -> tuple[str | None, str | None]:
    """The sentence behind the heaviest criterion the answer does at least adequately (3 or more), and the weakest
    sentence: a blocker's, else the one behind a criterion below 3, else the last sentence no criterion used."""
    strong = sorted((c for c in criteria if c.evidence and c.score >= 3), key=lambda c: (-c.weight, -c.score))
    strongest = strong[0].evidence if strong else None
    if reading.blocked:
        return strongest, reading.blocked[0][1].sentence
    used = {c.evidence for c in criteria if c.evidence and c.score >= 3}
    idle = [s.text for s in reading.sentences if s.text not in used and s.text != strongest]
    weak = [c for c in sorted(criteria, key=lambda c: (c.score, -c.weight)) if c.evidence and c.evidence != strongest]
    return strongest, weak[0].evidence if weak and weak[0].score < 3 else (idle[-1] if idle else None)


def score_answers(rubric: Rubric, answers: list[str], objection: str, reference: str | list[str],
                  judgement: BaseModel | None = None, model_weight: float = MODEL_WEIGHT, *,
                  kb: "KnowledgeBase | None" = None, embedder: "Embedder | None" = None) -> Scorecard:
    """Score the rep's answers (one string per turn) to ``objection``; ``reference`` is the playbook's strong answer.

    The answer is read by meaning with ``embedder`` (or ``kb``'s); figures count as evidence when the
    team's material (``kb``) states them. Where both the check and the model score a criterion, the model counts ``model_weight`` of it.
    """
    if embedder is None and kb is None:
        raise ValueError("score_answers needs the knowledge base or an embedder to read the answer")
    material = material_of(kb) if kb is not None else Material()
    reading = read_answer(answers, objection, reference, rubric, embedder or kb.embedder, material)  # type: ignore[union-attr]
    weights = rubric.weights()
    model_scores = usable_model_scores(rubric, judgement, answers)
    criteria: list[CriterionScore] = []
    notes: list[str] = []
    if judgement is not None and not model_scores:
        notes.append("None of the model's scores quoted the rep's own words: scored by the deterministic checks alone.")
    elif judgement is not None:
        notes.append(f"The model's judgement counted on {len(model_scores)} of {len(rubric.criteria)} criteria "
                     "(only where it quoted your own words); the checks scored the rest.")
    for criterion in rubric.criteria:
        check = run_check(criterion.check, reading) if criterion.check else None
        model = model_scores.get(criterion.id)
        if check and model:
            score = (1 - model_weight) * check.level + model_weight * model[0]
        elif check or model:
            score = float(check.level if check else model[0])  # type: ignore[index]
        else:
            notes.append(f"'{criterion.name}' has no deterministic check and the model gave no usable score: scored 1.")
            score = 1.0
        by = "+".join(name for name, value in (("checks", check), ("model", model)) if value is not None) or "none"
        evidence = (check.evidence if check and check.evidence else None) or (model[1] if model else None)
        criteria.append(CriterionScore(criterion=criterion.id, name=criterion.name, weight=round(weights[criterion.id], 4),
                                       score=round(score, 2), by=by, check_level=check.level if check else None,
                                       model_level=model[0] if model else None, evidence=evidence))
    hits = [BlockerHit(blocker=b.id, description=b.description, evidence=unit.sentence) for b, unit in reading.blocked]
    total = round(sum(c.weight * c.score for c in criteria) / sum(c.weight for c in criteria), 2)
    keep, start, stop = _feedback(rubric, criteria, hits)
    strongest, weakest = _extremes(reading, criteria)
    return Scorecard(rubric_id=rubric.id, rubric_version=rubric.version, rubric_sha=rubric.sha256, criteria=criteria, score=total,
                     pass_mark=rubric.pass_mark, passed=total >= rubric.pass_mark and not hits, blockers=hits,
                     keep=keep, start=start, stop=stop, strongest=strongest, weakest=weakest, notes=notes)


def quadratic_weighted_kappa(rater_a: list[int], rater_b: list[int], levels: int = 5) -> float:
    """Cohen's kappa with quadratic weights for two raters' 1..levels scores of the same items."""
    if len(rater_a) != len(rater_b) or not rater_a:
        raise ValueError("both raters must score the same, non-empty list of items")
    observed = [[0.0] * levels for _ in range(levels)]
    for a, b in zip(rater_a, rater_b):
        observed[a - 1][b - 1] += 1
    total = len(rater_a)
    rows = [sum(row) for row in observed]
    cols = [sum(observed[i][j] for i in range(levels)) for j in range(levels)]
    weight = lambda i, j: (i - j) ** 2 / (levels - 1) ** 2  # noqa: E731
    disagreement = sum(weight(i, j) * observed[i][j] for i in range(levels) for j in range(levels))
    expected = sum(weight(i, j) * rows[i] * cols[j] / total for i in range(levels) for j in range(levels))
    return 1.0 if expected == 0 else 1 - disagreement / expected
