"""Scoring rubrics as data: weighted criteria with 1-5 level descriptors, a pass mark, and blockers.

A rubric file is YAML with ``kind: rubric`` and lives in the knowledge base, owned by the team:

    kind: rubric
    id: objection-handling
    version: "1.0"
    pass_mark: 3.0              # weighted average on the 1-5 scale
    criteria:
      - id: acknowledge
        name: Listen and acknowledge
        weight: 0.2
        skill: listening        # the training-module skill that teaches it
        check: acknowledge      # optional deterministic check (see ``CHECKS``)
        levels: {1: ..., 2: ..., 3: ..., 4: ..., 5: ...}
    blockers:                   # any match fails the attempt whatever the score
      - id: unearned-discount
        description: Cuts the price without getting anything in return.
        patterns: ['\\bdiscount\\b']      # case-insensitive regular expressions; {competitor}: any competitor's name
        unless: ['in return']            # ...unless one of these is in the same sentence
        examples: [I can knock twenty percent off.]         # compared by meaning...
        counterexamples: [There is a discount for paying upfront.]  # ...against these
        rules:                           # composed from parts: all of 'all_of' and none of 'none_of' in one sentence,
          - all_of: ['\\b(i|we)\\b', '\\brate\\b']    # excused by 'unless' in that sentence or the next
            none_of: ['\\bif you\\b']
      - id: attacks-competitor
        about:                           # sentences on a subject (or following one, by 'carry') are judged by meaning
          patterns: ['{competitor}']     # with the subject's words replaced by "they", against these at a lower bar
          carry: ['\\b(they|their|them)\\b']
          examples: [They stopped caring years ago.]
          counterexamples: [They are cheaper on day one.]
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from coachgen.errors import InputError

__all__ = ["CHECKS", "COMPETITOR", "Blocker", "BlockerRule", "BlockerSubject", "Criterion", "Rubric", "parse_rubric"]

#: In a blocker pattern, stands for the names of the competitors the knowledge base knows.
COMPETITOR = "{competitor}"

#: Deterministic checks a criterion may name; implemented in :mod:`coachgen.answer_checks`.
CHECKS = ("acknowledge", "explore", "respond_value", "confirm", "next_step")


class Criterion(BaseModel):
    """One thing the rubric scores, 1-5."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Stable id, lower case.")
    name: str = Field(min_length=1)
    weight: float = Field(gt=0, description="Relative weight; weights are normalised to sum to 1.")
    skill: str = Field(min_length=1, description="The skill (training-module 'skills' value) behind it.")
    check: str | None = Field(None, description="Deterministic check that scores it, if any.")
    levels: dict[int, str] = Field(description="What the answer looks like at each level 1-5.")
    exemplars: dict[int, list[str]] = Field(default_factory=dict, description=(
        "Sentences showing a level, compared by meaning with the rep's sentences; without them the check uses "
        "the default rubric's exemplars for the same check."))

    @field_validator("exemplars")
    @classmethod
    def _exemplar_levels(cls, value: dict[int, list[str]]) -> dict[int, list[str]]:
        for level, sentences in value.items():
            if level not in (1, 2, 3, 4, 5) or not sentences or not all(str(s).strip() for s in sentences):
                raise ValueError("exemplars: each key is a level 1-5 with a non-empty list of sentences")
        return value

    @field_validator("check")
    @classmethod
    def _known_check(cls, value: str | None) -> str | None:
        if value is not None and value not in CHECKS:
            raise ValueError(f"unknown check '{value}' (use one of {', '.join(CHECKS)})")
        return value

    @field_validator("levels")
    @classmethod
    def _five_levels(cls, value: dict[int, str]) -> dict[int, str]:
        if sorted(value) != [1, 2, 3, 4, 5] or not all(str(text).strip() for text in value.values()):
            raise ValueError("levels must describe each of 1, 2, 3, 4 and 5")
        return value


def _valid_patterns(value: list[str]) -> list[str]:
    for pattern in value:
        try:
            re.compile(pattern.replace(COMPETITOR, "competitor"))
        except re.error as exc:
            raise ValueError(f"bad regular expression {pattern!r}: {exc}") from None
    return value


def _expanded(pattern: str, competitors: tuple[str, ...]) -> str:
    """``pattern`` with ``{competitor}`` standing for any of ``competitors`` (for none: never matching)."""
    names = "|".join(re.escape(name) for name in competitors) or "(?!x)x"
    return pattern.replace(COMPETITOR, f"(?:{names})")


def _search(pattern: str, text: str, competitors: tuple[str, ...]) -> re.Match[str] | None:
    return re.search(_expanded(pattern, competitors), text, re.IGNORECASE)


class BlockerRule(BaseModel):
    """A blocker composed from general parts: a sentence shows it when every ``all_of`` pattern matches it and no ``none_of`` does."""

    model_config = ConfigDict(extra="forbid")  # a misspelt part ('all-of:') is an error, not a rule that never fires

    all_of: list[str] = Field(min_length=1, description="Parts that must all be in the sentence (regular expressions).")
    none_of: list[str] = Field(default_factory=list, description="Parts that must not be in it.")
    unless: list[str] | None = Field(None, description="What excuses this rule (in the sentence or the next); default: the blocker's 'unless'.")

    @field_validator("all_of", "none_of", "unless")
    @classmethod
    def _compiles(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _valid_patterns(value)

    def matches(self, sentence: str, competitors: tuple[str, ...] = ()) -> bool:
        """True when the sentence has every part and none of the excluded ones."""
        return all(_search(p, sentence, competitors) for p in self.all_of) and \
            not any(_search(p, sentence, competitors) for p in self.none_of)


class BlockerSubject(BaseModel):
    """What a blocker is about (a competitor): sentences on it are judged by meaning, its words replaced by "they"."""

    model_config = ConfigDict(extra="forbid")

    patterns: list[str] = Field(min_length=1, description="Wording that names the subject ({competitor}: any competitor).")
    carry: list[str] = Field(default_factory=list, description="Wording that refers back to a subject named in the previous sentence.")
    examples: list[str] = Field(min_length=1, description="Sentences on the subject that show the blocker (the subject as 'they').")
    counterexamples: list[str] = Field(default_factory=list, description="Sentences on the subject that do not.")
    similarity: float = Field(0.45, gt=0, le=1, description="A sentence this close to an example shows the blocker...")
    margin: float = Field(0.1, ge=0, le=1, description="...when also this much closer to the examples than to the counterexamples.")

    @field_validator("patterns", "carry")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        return _valid_patterns(value)

    def names(self, sentence: str, competitors: tuple[str, ...] = ()) -> bool:
        """Whether the sentence names the subject."""
        return any(_search(p, sentence, competitors) for p in self.patterns)

    def carries(self, sentence: str, competitors: tuple[str, ...] = ()) -> bool:
        """Whether the sentence refers back to a subject named just before."""
        return any(_search(p, sentence, competitors) for p in self.carry)

    def neutral(self, text: str, competitors: tuple[str, ...] = ()) -> str:
        """The text with the subject's names replaced by "they", so that meaning, not the name, is compared."""
        for pattern in self.patterns:
            text = re.sub(_expanded(pattern, competitors) + r"(?:'s)?", "they", text, flags=re.IGNORECASE)
        return text


class Blocker(BaseModel):
    """A behaviour that fails an attempt regardless of its score."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = Field(min_length=1)
    patterns: list[str] = Field(default_factory=list, description="Wording that shows it (regular expressions).")
    unless: list[str] = Field(default_factory=list, description="Wording that excuses a pattern in the same sentence.")
    examples: list[str] = Field(default_factory=list, description="Sentences that show it, compared by meaning.")
    counterexamples: list[str] = Field(default_factory=list, description="Sentences that look like it but are not.")
    rules: list[BlockerRule] = Field(default_factory=list, description=(
        "The behaviour composed from parts, each rule read over a whole sentence; 'unless' excuses it in that sentence or the next."))
    about: BlockerSubject | None = Field(None, description="Its subject: sentences on it are judged by meaning at a lower bar.")

    @model_validator(mode="after")
    def _detectable(self) -> "Blocker":
        if not self.patterns and not self.examples and not self.rules and self.about is None:
            raise ValueError(f"blocker '{self.id}' needs patterns, rules or examples")
        return self

    @field_validator("patterns", "unless")
    @classmethod
    def _compiles(cls, value: list[str]) -> list[str]:
        return _valid_patterns(value)

    def excused(self, *contexts: str | None, unless: list[str] | None = None) -> bool:
        """Whether an 'unless' pattern (the blocker's, or ``unless``) is in one of the contexts."""
        patterns = self.unless if unless is None else unless
        return any(re.search(p, context, re.IGNORECASE) for context in contexts if context for p in patterns)

    def matches(self, text: str, context: str | None = None, competitors: tuple[str, ...] = ()) -> bool:
        """True when ``text`` shows the behaviour and no 'unless' pattern excuses it in ``context`` (the whole sentence).

        ``{competitor}`` in a pattern stands for the knowledge base's competitor names.
        """
        hit = any(_search(p, text, competitors) for p in self.patterns)
        return hit and not self.excused(context or text)

    def composed(self, sentence: str, following: str | None = None, competitors: tuple[str, ...] = ()) -> bool:
        """True when one of the rules matches the sentence and nothing excuses it there or in the ``following`` sentence."""
        return any(rule.matches(sentence, competitors) and not self.excused(sentence, following, unless=rule.unless) for rule in self.rules)

    def shows(self, sentence: str, following: str | None = None, competitors: tuple[str, ...] = ()) -> bool:
        """Its patterns or its rules find the behaviour in a sentence (what ``kb lint`` and the tests check)."""
        return self.matches(sentence, sentence, competitors) or self.composed(sentence, following, competitors)


class Rubric(BaseModel):
    """A scoring rubric; ``sha256`` identifies the exact content an attempt was scored with."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1)
    version: str = Field(min_length=1, description="The team's version label.")
    pass_mark: float = Field(ge=1, le=5)
    criteria: list[Criterion] = Field(min_length=1)
    blockers: list[Blocker] = Field(default_factory=list)
    owner: str | None = None
    reviewed: str | None = None
    sha256: str = ""

    @model_validator(mode="after")
    def _unique_ids(self) -> "Rubric":
        for what, ids in (("criterion", [c.id for c in self.criteria]), ("blocker", [b.id for b in self.blockers])):
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise ValueError(f"duplicate {what} id(s) {', '.join(repeated)}")
        return self

    def blocker_problems(self, competitors: tuple[str, ...] = ("Examplecorp",)) -> list[str]:
        """Each blocker example its patterns miss and each counterexample they catch (checked by ``kb lint``)."""
        problems = []
        for blocker in self.blockers:
            if not blocker.patterns and not blocker.rules:
                continue
            problems += [f"blocker '{blocker.id}': its patterns miss the example \"{e}\"" for e in blocker.examples
                         if not blocker.shows(e, None, competitors)]
            problems += [f"blocker '{blocker.id}': its patterns catch the counterexample \"{c}\"" for c in blocker.counterexamples
                         if blocker.shows(c, None, competitors)]
        return problems

    def weights(self) -> dict[str, float]:
        """Each criterion's weight, normalised to sum to 1."""
        total = sum(c.weight for c in self.criteria)
        return {c.id: c.weight / total for c in self.criteria}

    def criterion(self, criterion_id: str) -> Criterion:
        """One criterion by id."""
        return next(c for c in self.criteria if c.id == criterion_id)

    def weighted(self, scores: dict[str, float]) -> float:
        """The weighted average of per-criterion scores (1-5)."""
        return sum(weight * scores[cid] for cid, weight in self.weights().items())


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "rubric"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def parse_rubric(data: Any, source: str) -> Rubric:
    """Validate a parsed rubric file; raises ``InputError`` with the file and the first problem."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: a rubric must be a mapping with id, title, version, pass_mark and criteria")
    fields = {key: value for key, value in data.items() if key != "kind"}
    for key in ("reviewed", "version"):
        if fields.get(key) is not None:
            fields[key] = str(fields[key])
    unknown = sorted(set(map(str, fields)) - (set(Rubric.model_fields) - {"sha256"}))
    if unknown:
        raise InputError(f"{source}: unknown rubric field(s) {', '.join(unknown)}")
    try:
        rubric = Rubric.model_validate(fields)
    except ValidationError as exc:
        raise InputError(f"{source}: invalid rubric: {_problem(exc)}") from None
    digest = hashlib.sha256(json.dumps(rubric.model_dump(exclude={"sha256"}), sort_keys=True).encode()).hexdigest()
    return rubric.model_copy(update={"sha256": digest[:12]})
