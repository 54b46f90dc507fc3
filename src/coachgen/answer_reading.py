"""Read a rep's answer into what each of its parts does, by meaning: the input of the drill checks.

An answer is cut into units (sentences, and the clauses of a run-on sentence), each embedded with
the bundled embedder. A unit is compared with the rubric's exemplars (sentences kept in the rubric
YAML by the level they show, team-editable; the default rubric's stand in for a check that has
none) and with the objection and the playbook's strong answer. Surface facts come from small
parsers: whether a unit asks, whether it names a time (``when``), people, or figures, and whether
those figures are in the team's material. Blockers are found by meaning too: a unit is compared with
each blocker's examples and counterexamples; its patterns catch the obvious wording, its rules compose
general parts over a sentence (a price cut with no trade in that sentence or the next; a guarantee of an
outcome), and a sentence on its subject (a competitor the team's records name) is judged by meaning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:
    import numpy as np

    from coachgen.index.embeddings import Embedder
    from coachgen.rubric import Blocker, Rubric

__all__ = ["AnswerReading", "Exemplars", "Material", "Unit", "blocker_units", "cited_names", "names_a_time", "names_people", "read_answer"]

_CLAUSE = re.compile(r"(?:,|;|\s[-\u2013\u2014])\s+(?=(?:so|and so|and then|then|because|but|and (?:look|honestly|then|if|what|we|i|you))\b)", re.IGNORECASE)
_WEEKDAY = r"(mon|tues?|wed(nes)?|thu(rs)?|fri|sat(ur)?|sun)(day)?"
_MONTH = r"(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)"
_TIME = re.compile(  # a specific time: a day, a date or a clock time ("next week" is not one)
    rf"\b({_WEEKDAY}|tomorrow|tonight|this (morning|afternoon|evening)|next {_WEEKDAY}|"
    rf"\d{{1,2}}([:.]\d\d)?\s?(am|pm|h)\b|\d{{1,2}}[:.]\d\d|\d{{1,2}} ?o'?clock|at (one|two|three|four|five|six|"
    rf"seven|eight|nine|ten|eleven|twelve|noon|\d{{1,2}})\b|the \d{{1,2}}(st|nd|rd|th)\b|\d{{1,2}}(st|nd|rd|th)? {_MONTH}\b|{_MONTH} \d{{1,2}}|"
    rf"\d{{1,2}}/\d{{1,2}}|\d{{4}}-\d\d-\d\d)",
    re.IGNORECASE,
)
_PEOPLE = re.compile(
    r"\b(with (you|your|the|our|both|him|her|them)\b|you and (me|i|your|our|the)\b|your (\w+ ){0,2}(director|manager|lead|head|cfo|ceo|coo|cto|"
    r"controller|team|boss|colleagues?|admin|owner|officer|engineer|buyer|broker|counsel|board|bursar|finance|it|legal|procurement)|"
    r"(me|us) and (you|your)|just (you|us) and)",
    re.IGNORECASE,
)
_FIGURE = re.compile(r"(?<![\w.])(\d[\d,.]*\s?(%|percent|k\b|m\b)?|[£$€]\s?\d[\d,.]*)", re.IGNORECASE)
_ASK_START = re.compile(r"^(could|can|shall|should|would|will|do|does|did|is|are|was|were|have|has|how about|what about|any good|ok|okay|sound)\b", re.IGNORECASE)
_EMBEDDED_QUESTION = re.compile(r"^(so |and |but )?(what|how|why|who|which|where)('s|'re| is| are| was| were| do| does| did| has| have| would| could|"
                                r" will| can| happened| made)\b", re.IGNORECASE)
_LANDED = (r"(that|this|it|any of (that|this)|all (that|this))(?!'s)\s+(\w+\s+){0,2}?(helps?|answers?|changes?|works? for you|lands?|"
           r"makes? sense|covers?|settles?|address(es)?|goes to|takes|fits?|sounds?|deals? with|solves?|clears?|shifts?|moves?)\b")
ASKS_IF_IT_LANDED = re.compile(  # a request to be told whether what was just said landed: "tell me whether that helps", "if it does, say so"
    r"^\W*(and |so |just |but )?(please )?(tell me|let me know)( honestly| straight| frankly| plainly)? (whether|if) " + _LANDED + "|"
    r"^\W*(and |so |just )?if " + _LANDED + r".{0,80}\b(say so|tell me|let me know)\b", re.IGNORECASE)
_STOP = frozenset(
    """a an and are as at be but by can could did do does for from had has have i if in is it its it's just me my no not of on or our
    so that that's the their them then there they this to too us was we we're what when where which who why will with would yes you
    your you're i'm i'd i'll ok okay really totally completely honestly yeah well get got""".split()
)


def names_a_time(text: str) -> bool:
    """Whether the text names when something happens: a day, a date, a clock time, 'tomorrow' (not 'next week')."""
    return bool(_TIME.search(text))


def names_people(text: str) -> bool:
    """Whether the text names who takes part: "with you and your manager", "your finance director"."""
    return bool(_PEOPLE.search(text))


def content_words(text: str) -> set[str]:
    """Lower-case words of three letters or more that are not function words."""
    return {w for w in re.findall(r"[a-z][a-z'-]{2,}", text.lower()) if w not in _STOP}


@dataclass
class Unit:
    """A sentence or clause of the answer, with what the parsers and the embedder say about it."""

    text: str
    position: int  # order in the answer
    sentence: str  # the whole sentence it comes from
    question: bool
    vector: Any = None
    when: bool = False
    people: bool = False
    figures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Exemplars:
    """Embedded exemplars of one check (level per vector) and of each blocker (examples, counterexamples)."""

    levels: dict[str, tuple[list[int], Any]]
    blockers: dict[str, tuple[Any, Any]]
    subjects: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # per blocker: its subject's examples, counterexamples

    def level(self, check: str, vector: Any, k: int = 3) -> tuple[float, float, int]:
        """The similarity-weighted level of the ``k`` exemplars nearest ``vector``, the best similarity and its level."""
        import numpy as np

        levels, matrix = self.levels.get(check, ([], None))
        if matrix is None or not levels:
            return 0.0, 0.0, 0
        sims = matrix @ vector
        order = np.argsort(-sims)[:k]
        weights = np.clip(sims[order], 1e-6, None)
        return float(np.dot(weights, [levels[i] for i in order]) / weights.sum()), float(sims[order[0]]), levels[order[0]]

    def best_of(self, check: str, vector: Any, level: int, topic: Any = None) -> float:
        """The best similarity of ``vector`` to the check's exemplars of one level (0 when it has none).

        With ``topic`` (the objection's vector), what the unit says about the topic is taken out first, so
        the comparison reads its stance (agreeing, arguing, stock words) rather than its subject.
        """
        import numpy as np

        if topic is not None:
            vector = vector - float(vector @ topic) * topic
            vector = vector / max(float(np.linalg.norm(vector)), 1e-6)
        levels, matrix = self.levels.get(check, ([], None))
        rows = [i for i, value in enumerate(levels) if value == level]
        return float((matrix[rows] @ vector).max()) if rows else 0.0

    def blocker(self, blocker_id: str, vector: Any, subject: bool = False) -> tuple[float, float]:
        """Best similarity to the blocker's examples and to its counterexamples (``subject``: those of what it is about)."""
        examples, counter = (self.subjects if subject else self.blockers).get(blocker_id, (None, None))
        best = lambda m: float((m @ vector).max()) if m is not None and len(m) else 0.0  # noqa: E731
        return best(examples), best(counter)


_EXEMPLARS: dict[tuple[str, str], Exemplars] = {}


def exemplars_for(rubric: "Rubric", embedder: "Embedder") -> Exemplars:
    """The rubric's exemplars embedded once per process; a check or blocker without any borrows the default rubric's."""
    import copy

    import numpy as np

    from coachgen.knowledge.defaults import load
    from coachgen.rubric import parse_rubric

    key = (rubric.sha256 or rubric.id, embedder.name)
    if key in _EXEMPLARS:
        return _EXEMPLARS[key]
    default = parse_rubric(copy.deepcopy(load("rubric")), "coachgen default rubric")
    by_check = {c.check: c.exemplars for c in default.criteria if c.check}
    by_check.update({c.check: c.exemplars for c in rubric.criteria if c.check and c.exemplars})
    default_blockers = {b.id: b for b in default.blockers}
    texts: list[str] = []
    plan: list[tuple[str, str, int]] = []
    for check, table in by_check.items():
        for level, sentences in table.items():
            for sentence in sentences:
                texts.append(sentence)
                plan.append(("level", check, level))
    for blocker in rubric.blockers:
        source = blocker if blocker.examples else default_blockers.get(blocker.id, blocker)
        kinds = [("example", source.examples), ("counter", source.counterexamples)]
        if blocker.about is not None:
            kinds += [("subject-example", blocker.about.examples), ("subject-counter", blocker.about.counterexamples)]
        for kind, sentences in kinds:
            for sentence in sentences:
                texts.append(sentence)
                plan.append((kind, blocker.id, 0))
    vectors = np.asarray(embedder.embed_batch(texts), dtype=np.float32) if texts else np.zeros((0, 1), dtype=np.float32)
    levels: dict[str, tuple[list[int], Any]] = {}
    blockers: dict[str, tuple[list[int], list[int]]] = {}
    subjects: dict[str, tuple[list[int], list[int]]] = {}
    for row, (kind, name, level) in enumerate(plan):
        if kind == "level":
            levels.setdefault(name, ([], []))[0].append(level)
            levels[name][1].append(row)
        else:
            table = subjects if kind.startswith("subject-") else blockers
            table.setdefault(name, ([], []))[0 if kind.endswith("example") else 1].append(row)
    matrices = lambda table: {name: (vectors[ex] if ex else None, vectors[co] if co else None) for name, (ex, co) in table.items()}  # noqa: E731
    result = Exemplars(
        levels={check: (values, vectors[rows]) for check, (values, rows) in levels.items()},
        blockers=matrices(blockers), subjects=matrices(subjects),
    )
    _EXEMPLARS[key] = result
    return result


def _units(answers: list[str]) -> list[Unit]:
    from coachgen.artifacts.meddpicc import split_sentences

    units: list[Unit] = []
    for answer in answers:
        for sentence in split_sentences(answer):
            asks = sentence.rstrip().endswith("?")
            parts = [part.strip() for part in _CLAUSE.split(sentence) if part and part.strip()]
            parts = [part for part in parts if content_words(part) or part.endswith("?")] or [sentence]
            for number, part in enumerate(parts):
                last = number == len(parts) - 1
                asked = asks and last or bool(_ASK_START.match(part)) and part.endswith("?") or bool(_EMBEDDED_QUESTION.match(part)) or \
                    bool(ASKS_IF_IT_LANDED.match(part))
                units.append(Unit(part, len(units), sentence, question=asked))
    return units


def _sentence_units(units: list[Unit]) -> list[Unit]:
    """One unit per whole sentence (for checks that judge a sentence, not its clauses)."""
    seen: dict[str, Unit] = {}
    for unit in units:
        if unit.sentence not in seen:
            seen[unit.sentence] = Unit(unit.sentence, unit.position, unit.sentence, unit.sentence.rstrip().endswith("?"))
    return list(seen.values())


@dataclass
class AnswerReading:
    """An answer's units with their vectors, beside the objection, the playbook's answer and the rubric's exemplars."""

    units: list[Unit]
    objection: str
    objection_vector: Any
    reference: list[str]
    reference_vectors: Any
    exemplars: Exemplars
    known_figures: frozenset[str]
    competitors: tuple[str, ...] = ()
    sentences: list[Unit] = field(default_factory=list)  # whole sentences, embedded too
    proof_vectors: Any = None  # the team's customer results (proof records) and value drivers
    objection_figures: frozenset[str] = frozenset()
    blocked: list[tuple["Blocker", Unit]] = field(default_factory=list)
    proof_names: frozenset[str] = frozenset()  # customers and the like the team's proof records cite

    def cites(self, unit: Unit) -> list[str]:
        """The names of the team's proof records that the unit cites (and the buyer did not)."""
        return sorted((names_in(unit.text) & self.proof_names) - names_in(self.objection))

    def similarity_to_proof(self, unit: Unit) -> float:
        if self.proof_vectors is None or not len(self.proof_vectors):
            return 0.0
        return float((self.proof_vectors @ unit.vector).max())

    def buyer_figures(self, unit: Unit) -> list[str]:
        """The unit's figures that the buyer stated (in the objection)."""
        return [figure for figure in unit.figures if _figure_key(figure) in self.objection_figures]

    def similarity_to_objection(self, unit: Unit) -> float:
        return float(self.objection_vector @ unit.vector)

    def similarity_to_reference(self, unit: Unit) -> float:
        if self.reference_vectors is None or not len(self.reference_vectors):
            return 0.0
        return float((self.reference_vectors @ unit.vector).max())

    def grounded(self, unit: Unit) -> list[str]:
        """The unit's figures that the team's material also states (and the buyer did not)."""
        return [figure for figure in unit.figures if _figure_key(figure) in self.known_figures and _figure_key(figure) not in self.objection_figures]


def _figure_key(figure: str) -> str:
    return re.sub(r"[^\d]", "", figure.split(".")[0].split(",")[0]) or figure


def names_in(text: str) -> set[str]:
    """Capitalised words of four letters or more that are not everyday English: names, lower case."""
    from coachgen.index.lexical import is_ordinary

    return {word.lower() for word in re.findall(r"\b[A-Z][a-zA-Z]{3,}\b", text) if not is_ordinary(word.lower())}


def cited_names(proof: Iterable[str], texts: list[str], competitors: Iterable[str], most: int = 5) -> frozenset[str]:
    """The names the proof records cite that are specific (in at most ``most`` of the team's texts) and not a competitor's."""
    rivals = {word.lower() for name in competitors for word in name.split()}
    lowered = [text.lower() for text in texts]
    names = {name for record in proof for name in names_in(record)} - rivals
    return frozenset(name for name in names if sum(name in text for text in lowered) <= most)


def figures_in(texts: Iterable[str]) -> frozenset[str]:
    """Every figure the texts state, normalised (digits of the whole part) so '12,000' and '12000' meet."""
    found = set()
    for text in texts:
        for match in _FIGURE.finditer(text):
            found.add(_figure_key(match.group(0)))
            found.add(re.sub(r"[^\d]", "", match.group(0)))
    return frozenset(value for value in found if value)


@dataclass(frozen=True)
class Material:
    """What an answer's evidence is checked against: the team's text, competitors, customer results and value drivers."""

    texts: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    proof: list[str] = field(default_factory=list)
    proof_vectors: Any = None
    proof_names: frozenset[str] = frozenset()  # names of the customers (and the like) the proof records cite, lower case


def read_answer(answers: list[str], objection: str, reference: str | list[str], rubric: "Rubric", embedder: "Embedder",
                material: Material | None = None) -> AnswerReading:
    """Read the rep's answers (one string per turn) to ``objection`` against the playbook's answer and the team's material."""
    import numpy as np

    from coachgen.artifacts.meddpicc import split_sentences

    material = material or Material()
    units = _units(answers)
    sentences = _sentence_units(units)
    lines = reference if isinstance(reference, list) else split_sentences(reference)
    texts = list(dict.fromkeys([objection, *(unit.text for unit in units), *lines, *(unit.text for unit in sentences)]))
    vector_of = dict(zip(texts, np.asarray(embedder.embed_batch(texts), dtype=np.float32)))  # a one-clause sentence is embedded once
    for unit in sentences:
        unit.vector = vector_of[unit.text]
    for unit in units:
        unit.vector = vector_of[unit.text]
        unit.when = names_a_time(unit.text)
        unit.people = names_people(unit.text)
        unit.figures = [m.group(0).strip() for m in _FIGURE.finditer(unit.text) if not _TIME.search(m.group(0) + " ")]
    reference_vectors = np.stack([vector_of[line] for line in lines]) if lines else None
    reading = AnswerReading(units, objection, vector_of[objection], list(lines), reference_vectors, exemplars_for(rubric, embedder),
                            figures_in([*lines, *material.texts]), competitor_names(material.competitors), sentences,
                            material.proof_vectors, figures_in([objection]), proof_names=material.proof_names)
    reading.blocked = blocker_units(reading, rubric.blockers, embedder)
    return reading


_SUBJECT_CLAUSE = re.compile(r"[;:]\s*|,\s+(?=(?:but|and|so|which|while|whereas)\b)|\s[-\u2013\u2014]\s+")  # a judgement may sit in one clause
ECHO_SHARE = 0.6  # a sentence with this share of the objection's content words echoes it
BLOCKER_SIMILARITY = 0.7  # a unit this close to one of a blocker's examples shows it even without a pattern...
BLOCKER_MARGIN = 0.1  # ...when it is also this much closer to the examples than to the counterexamples


def competitor_names(names: Iterable[str]) -> tuple[str, ...]:
    """Competitor names as an answer may say them: the whole name, and its first word when that is a name, not an English word."""
    from coachgen.index.lexical import is_ordinary

    found: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if not name:
            continue
        found.setdefault(name)
        first = name.split()[0]
        if " " in name and len(first) >= 4 and first[:1].isupper() and not is_ordinary(first.lower()):
            found.setdefault(first)
    return tuple(found)


def blocker_units(reading: AnswerReading, blockers: list["Blocker"], embedder: "Embedder | None" = None) -> list[tuple["Blocker", Unit]]:
    """Each blocker the answer shows, with the unit that shows it.

    A unit shows a blocker when one of its patterns matches the unit and no 'unless' pattern excuses it in the
    unit's sentence; or, failing a pattern, when it is at least ``BLOCKER_SIMILARITY`` close to one of the
    blocker's examples and closer to them than to its counterexamples by ``BLOCKER_MARGIN``. A sentence shows it
    when one of the blocker's rules (parts composed) matches it, unexcused in it and in the next sentence; or when it
    is on the blocker's subject (names it, or refers back to it named just before) and, the subject's words
    replaced by "they", is close enough to the subject's examples by meaning (``embedder`` embeds that text).
    """
    found = []
    for blocker in blockers:
        hit = _pattern_or_example(reading, blocker) or _composed(reading, blocker) or _on_subject(reading, blocker, embedder)
        if hit is not None:
            found.append((blocker, hit))
    return found


def _pattern_or_example(reading: AnswerReading, blocker: "Blocker") -> Unit | None:
    for unit in reading.units:
        if blocker.matches(unit.text, unit.sentence, reading.competitors):
            return unit
        example, counter = reading.exemplars.blocker(blocker.id, unit.vector)
        if example >= BLOCKER_SIMILARITY and example - counter >= BLOCKER_MARGIN:
            return unit
    return None


def _composed(reading: AnswerReading, blocker: "Blocker") -> Unit | None:
    sentences = [unit.text for unit in reading.sentences]
    concern = content_words(reading.objection)
    buyer_says_it = blocker.composed(reading.objection, None, reading.competitors)
    for number, sentence in enumerate(sentences):
        following = sentences[number + 1] if number + 1 < len(sentences) else None
        if buyer_says_it and len(concern & content_words(sentence)) >= ECHO_SHARE * len(concern):
            continue  # the buyer's own words, echoed back, are not the rep's
        if blocker.composed(sentence, following, reading.competitors):
            return next(unit for unit in reading.units if unit.sentence == sentence)
    return None


def _on_subject(reading: AnswerReading, blocker: "Blocker", embedder: "Embedder | None") -> Unit | None:
    about, competitors = blocker.about, reading.competitors
    if about is None or blocker.id not in reading.exemplars.subjects:
        return None
    sentences = [unit.text for unit in reading.sentences]
    candidates: list[tuple[str, Unit]] = []  # each clause of a sentence on the subject, with the unit it is in
    for number, sentence in enumerate(sentences):
        named_before = number > 0 and about.names(sentences[number - 1], competitors)
        if (about.names(sentence, competitors) or named_before and about.carries(sentence, competitors)) and not blocker.excused(sentence):
            units = [unit for unit in reading.units if unit.sentence == sentence]
            for clause in filter(None, (part.strip() for part in _SUBJECT_CLAUSE.split(sentence))):
                candidates.append((clause, next((unit for unit in units if clause in unit.text), units[0])))
    if not candidates:
        return None
    import numpy as np

    texts = [about.neutral(clause, competitors) for clause, _ in candidates]
    vectors = np.asarray(embedder.embed_batch(texts), dtype=np.float32) if embedder is not None else [unit.vector for _, unit in candidates]
    best: tuple[float, Unit] | None = None
    for (_, unit), vector in zip(candidates, vectors):
        example, counter = reading.exemplars.blocker(blocker.id, vector, subject=True)
        if example >= about.similarity and example - counter >= about.margin and (best is None or example - counter > best[0]):
            best = (example - counter, unit)
    return best[1] if best else None
