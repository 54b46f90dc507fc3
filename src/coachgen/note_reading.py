"""What each CRM note sentence means for the deal: its label, who speaks, a commitment's date, MEDDPICC evidence.

Labels: ``concern`` (the buyer side voices a worry), ``buying_signal``, ``commitment`` (an agreed step with a
date), ``risk`` (a threat the rep observes), ``admission`` (the rep's own miss) and ``info``. A sentence is
scored against labelled exemplar sentences (``knowledge/defaults/note_meaning.yaml``) with the bundled
embedder, and a few cues add what similarity cannot: a date for a commitment, a cleared worry ("no concerns")
for a buying signal, the rep's own voice for an admission. Under the bundled embedder a trained head
(:mod:`coachgen.note_head`) decides from the sentence vector, those similarities and the cues; under any other
embedder the similarities and cue weights decide. Only a concern is an objection; only an admission is a stumble.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Iterable

from coachgen.knowledge.defaults import load
from coachgen.note_head import head_for

if TYPE_CHECKING:
    from coachgen.index.embeddings import Embedder

__all__ = ["LABELS", "NoteReading", "cue_flags", "exemplar_similarities", "find_date", "head_features", "read_notes", "read_sentences",
           "split_notes", "states_loss"]

LABELS = ("concern", "buying_signal", "commitment", "risk", "admission", "info")
TOP_K = 3  # exemplars averaged per label
#: How much each cue moves a label's score (cosine units); measured on the tuning list of tests/fixtures/note_sentences.yaml.
WEIGHTS = {"date": 0.12, "no_date": 0.25, "cleared": 0.15, "own_miss": 0.12, "worry_date": 0.06, "worry": 0.05, "lost": 0.08}
SIM_SCALE = 4.0  # exemplar similarities as head features, scaled to the range of the unit-length vector's weights
MEDDPICC_MATCH = 0.55  # cosine to an element's exemplar from which a sentence gives evidence for it


@dataclass(frozen=True)
class NoteReading:
    """One note sentence, read."""

    sentence: str
    label: str
    speaker: str
    date: str | None = None
    meddpicc: dict[str, str] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict, compare=False, repr=False)


def split_notes(notes: str) -> list[str]:
    """Sentences and lines of free-text notes, without a leading log date (``2025-05-19 –``, ``19.05.2025:``, ``19 May:``)."""
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“‘(])|\n+", notes or "")
    stamp = r"^\s*(\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2} [A-Za-z]{3,9}\.?)( \([\w -]+\))?\s*[:\-–]\s+"
    return [s for s in (re.sub(stamp, "", p).strip() for p in parts) if s]


def _words(text: str) -> str:
    """Lower-case words joined by single spaces, padded, for whole-word phrase tests."""
    return " " + " ".join(re.findall(r"[\w'/-]+", text.lower().replace("’", "'"))) + " "


def _has(words: str, phrases: Iterable[str]) -> str | None:
    return next((p for p in phrases if f" {p} " in words), None)


@cache
def _date_words() -> tuple[frozenset[str], frozenset[str], tuple[str, ...], frozenset[str]]:
    from dateutil.parser import parserinfo

    info = parserinfo()
    data = load("note_meaning")["dates"]
    weekdays = {n.lower() for pair in info.WEEKDAYS for n in pair} | set(data["weekdays"])
    months = {n.lower() for pair in info.MONTHS for n in pair} | set(data["months"])
    return frozenset(weekdays - set(data["short_weekdays"])), frozenset(months), tuple(data["relative"]), frozenset(data["short_weekdays"])


def _numeric_date(token: str) -> bool:
    """A d/m, m/d, d.m., ISO date or a clock time that dateutil reads as one."""
    from dateutil.parser import ParserError, parse

    token = token.strip(".,;:()")
    if not re.fullmatch(r"\d{1,4}([/.-]\d{1,2}){1,2}\.?|\d{1,2}:\d{2}", token + ("" if ":" in token else "")):
        return False
    if re.fullmatch(r"\d+\.\d+", token) and "." in token and len(token.split(".")[1]) != 2:
        return False  # a decimal number, not 03.12
    try:
        parse(token, dayfirst="." in token)
    except (ParserError, ValueError, OverflowError):
        return False
    return True


def find_date(sentence: str) -> str | None:
    """The first date or time expression in a sentence (``3 Dec``, ``12/3``, ``03.12.``, ``by Friday``, ``next quarter``,
    ``week 27``, ``Q1``), else None. Durations (``4 weeks``) are not dates."""
    weekdays, months, relative, short = _date_words()
    tokens = re.findall(r"[\w/.:'-]+", sentence.replace("’", "'"))
    lowered = [t.lower().strip(".,;:") for t in tokens]
    words = _words(sentence)
    phrase = _has(words, relative)
    for i, (token, low) in enumerate(zip(tokens, lowered)):
        before = lowered[i - 1] if i else ""
        after = lowered[i + 1] if i + 1 < len(lowered) else ""
        if _numeric_date(token):
            if re.fullmatch(r"\d{1,2}:\d{2}", token.strip(".")) or not re.fullmatch(r"\d+\.\d+\.?", token) or token.endswith(".") or before in ("op", "am", "on", "by"):
                return token.strip(",;")
        if low in months and (re.fullmatch(r"\d{1,2}(st|nd|rd|th)?", before) or re.fullmatch(r"\d{1,2}(st|nd|rd|th)?,?", after) or before in ("in", "end", "by", "eind", "begin", "mid", "early", "late")):
            return " ".join(tokens[max(i - 1, 0):i + 2]).strip(",;.")
        if low in weekdays or (low in short and re.fullmatch(r"\d{1,2}[:.]\d{2}", after)):
            return " ".join(tokens[i:i + 2]).strip(",;.") if re.fullmatch(r"\d{1,2}[:.]\d{2}", after) else token.strip(",;.")
        if re.fullmatch(r"q[1-4]", low) or (low in ("week", "wk", "kw") and re.fullmatch(r"\d{1,2}", after)):
            return " ".join(tokens[i:i + 2]) if low in ("week", "wk", "kw") else token
    return phrase


@cache
def _cues() -> dict[str, tuple[str, ...]]:
    return {name: tuple(values) for name, values in load("note_meaning")["cues"].items()}


def states_loss(sentence: str) -> bool:
    """The sentence opens by stating the deal is lost ("Lost to ...", "Went with ...")."""
    words = _words(sentence)
    return any(words.startswith(f" {phrase} ") for phrase in _cues()["lost"])


def _own_miss(words: str) -> bool:
    """The rep's own miss: a first-person or subjectless miss ("Didn't ask", "Forgot to"), or "no X yet" / "X unknown"
    for something the rep finds out by asking."""
    cues = _cues()
    start = " " + " ".join(words.split()[:3]) + " "
    opener = any(start.startswith(f" {p} ") for p in cues["miss_openers"])
    first = _has(words, cues["first_person"])
    askable = _has(words, cues["askable"])
    unknown = askable and _has(words, cues["unknown_words"])
    return bool(opener or unknown or (first and _has(words, cues["own_miss"])))


def _speaker(sentence: str, words: str, label: str, competitors: Iterable[str]) -> str:
    """buyer, rep, third_party or none, by the label's usual owner and the sentence's own voice."""
    cues = _cues()
    first_words = " " + " ".join(words.split()[:2]) + " "
    third = _has(words, cues["third_party"]) or any(f" {c.lower()} " in words for c in competitors if c)
    if label == "admission" or _has(" " + words.split(" ", 2)[1] + " ", cues["first_person"] + ("we",)):
        return "rep"
    if third and (label in ("buying_signal", "risk") or _has(first_words, cues["third_party"])):
        return "third_party"
    if label == "commitment":
        if re.match(r"\s*[A-Z][\w-]+ (to|will|stuurt|schickt|sends)\b", sentence):
            return "buyer"
        return "rep" if re.search(r"\bto [A-Z]", sentence) or any(first_words.startswith(f" {a} ") for a in cues["rep_actions"]) else "none"
    if any(first_words.startswith(f" {a} ") for a in cues["rep_actions"]):
        return "rep"
    if label in ("concern", "buying_signal"):
        return "buyer"
    return "buyer" if _has(words, cues["reported"]) else "none"


class _Exemplars:
    """Exemplar vectors per label and per qualification element, embedded once per embedder."""

    _cache: dict[str, "_Exemplars"] = {}

    def __init__(self, embedder: "Embedder") -> None:
        import numpy as np

        data = load("note_meaning")
        self.labels = [(label, np.asarray(embedder.embed_batch(list(data["exemplars"][label])), dtype=np.float32)) for label in LABELS]
        self.elements = []
        for element, sides in data["meddpicc"].items():
            for status in ("met", "gap"):
                self.elements.append((element, status, np.asarray(embedder.embed_batch(list(sides[status])), dtype=np.float32)))

    @classmethod
    def of(cls, embedder: "Embedder") -> "_Exemplars":
        key = f"{embedder.name}:{id(embedder)}"
        if key not in cls._cache:
            cls._cache[key] = cls(embedder)
        return cls._cache[key]


def _label(sims: dict[str, float], words: str, date: str | None) -> tuple[str, dict[str, float]]:
    cues = _cues()
    scores = dict(sims)
    if date:
        scores["commitment"] += WEIGHTS["date"]
        if _has(words, cues["worry"]):
            scores["commitment"] -= WEIGHTS["worry_date"]
    else:
        scores["commitment"] -= WEIGHTS["no_date"]
    if _has(words, cues["worry"]) and not _has(words, cues["cleared"]):
        scores["concern"] += WEIGHTS["worry"]
    if states_loss(words) or _has(words, cues["silent"]):
        scores["risk"] += WEIGHTS["lost"]
    if _has(words, cues["cleared"]):
        scores["buying_signal"] += WEIGHTS["cleared"]
        scores["concern"] -= WEIGHTS["cleared"]
    if _own_miss(words):
        scores["admission"] += WEIGHTS["own_miss"]
    else:
        scores["admission"] -= WEIGHTS["own_miss"]
    return max(scores, key=lambda label: scores[label]), scores


N_CUE_FLAGS = 10


def cue_flags(sentence: str, words: str, date: str | None) -> list[bool]:
    """The cues the trained head reads, in a fixed order: a date, a worry, a cleared worry, the rep's own miss, a loss
    or silence, an opening first person, a third party, reported speech, an opening rep action, a question."""
    cues = _cues()
    first = " " + " ".join(words.split()[:2]) + " "
    return [bool(date), bool(_has(words, cues["worry"])), bool(_has(words, cues["cleared"])), _own_miss(words),
            states_loss(words) or bool(_has(words, cues["silent"])), bool(_has(first, cues["first_person"])),
            bool(_has(words, cues["third_party"])), bool(_has(words, cues["reported"])),
            any(first.startswith(f" {a} ") for a in cues["rep_actions"]), "?" in sentence]


def head_features(vector: Any, sims: dict[str, float], flags: list[bool]) -> Any:
    """One row of the trained head's input: the sentence vector, the scaled exemplar similarities, the cue flags."""
    import numpy as np

    return np.concatenate([np.asarray(vector, dtype=np.float32), np.array([sims[label] for label in LABELS], dtype=np.float32) * SIM_SCALE,
                           np.array(flags, dtype=np.float32)])


def exemplar_similarities(exemplars: "_Exemplars", vector: Any) -> dict[str, float]:
    """Mean cosine of the sentence to each label's ``TOP_K`` nearest exemplars."""
    import numpy as np

    return {label: float(np.sort(matrix @ vector)[-TOP_K:].mean()) for label, matrix in exemplars.labels}


def _meddpicc(vector: Any, exemplars: _Exemplars, sentence: str, competitors: Iterable[str]) -> dict[str, str]:
    """Elements the sentence gives evidence for: nearest element exemplars, the literal cues, the team's competitor names."""
    best: dict[str, tuple[float, str]] = {}
    for element, status, vectors in exemplars.elements:
        score = float((vectors @ vector).max())
        if score >= MEDDPICC_MATCH and score > best.get(element, (0.0, ""))[0]:
            best[element] = (score, status)
    found = {element: status for element, (_, status) in best.items()}
    for element, cues in load("note_cues").items():  # the literal cues still count, a risk cue as a gap
        if any(re.search(p, sentence, re.IGNORECASE) for p in cues.get("risk", [])):
            found[element] = "gap"
        elif element not in found and any(re.search(p, sentence, re.IGNORECASE) for p in cues.get("establish", [])):
            found[element] = "met"
    if any(f" {c.lower()} " in _words(sentence) for c in competitors if c):
        found["Competition"] = "met"
    return found


def read_sentences(embedder: "Embedder", sentences: list[str], competitors: Iterable[str] = ()) -> list[NoteReading]:
    """Read each sentence (see the module docstring); ``competitors`` are the team's competitor names."""
    import numpy as np

    if not sentences:
        return []
    competitors = [c for c in competitors if c]
    exemplars = _Exemplars.of(embedder)
    vectors = np.asarray(embedder.embed_batch(sentences), dtype=np.float32)
    head = head_for(embedder.name, vectors.shape[1] + len(LABELS) + N_CUE_FLAGS)
    readings = []
    for sentence, vector in zip(sentences, vectors):
        sims = exemplar_similarities(exemplars, vector)
        words = _words(sentence)
        date = find_date(sentence)
        if head is not None:
            label, scores = head.decide(head_features(vector, sims, cue_flags(sentence, words, date)))
        else:
            label, scores = _label(sims, words, date)
        readings.append(NoteReading(sentence=sentence, label=label, speaker=_speaker(sentence, words, label, competitors),
                                    date=date if label == "commitment" else None,
                                    meddpicc=_meddpicc(vector, exemplars, sentence, competitors), scores=scores))
    return readings


def read_notes(embedder: "Embedder", notes: str, competitors: Iterable[str] = ()) -> list[NoteReading]:
    """Read every sentence of free-text notes."""
    return read_sentences(embedder, split_notes(notes), competitors)
