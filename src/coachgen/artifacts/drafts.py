"""Checks on the model's drafts: nothing invented, nothing that is not prose, and the line does what it was asked.

A draft is rejected when its text

- is junk: braces, code fences or backticks, a ``#`` heading, a JSON fragment, markup or a code call, or a
  heading of the prompt echoed back ("OUTPUT INSTRUCTIONS", "Persona:");
- names a person or an organisation the context does not hold. Only capitalised words that are neither in
  the context nor ordinary count; a word is ordinary when the common-word list (``draft_words.yaml``) or the
  team's own material writes it in lower case, or that material names it in three or more documents (its
  product, its competitors: not one deal's contact). Apostrophes belong to their word ("Can't"), and a run of
  ordinary words reads as a name only after a title ("Dr") or before an organisation word ("Partners");
- holds a number, a date or a citation the context does not: list numbering ("1)", "2.") is not a number,
  "$96k" is 96000, and a month is fine when a date in the context falls in it;
- steps out of its role (a buyer who talks about the drill, a coach who talks about the prompt);
- misses what the artifact asked for: a buyer line that does not voice its objection, a development note
  that does not name the focus skill in some form ("negotiate" names negotiation) or assigns a strength.

:func:`check_draft` runs the checks for one artifact's fields and returns the problems, worded for the model's
retry; an empty list accepts the draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any, Callable, Iterable

from dateutil import parser as dateparser

__all__ = ["DraftContext", "NAME_DOCUMENTS", "check_draft", "checker", "cut_off", "draft_checker", "echoes", "known_words", "citations_invented", "dates_invented", "embedding_similarity", "junk",
           "names_invented", "numbers_invented", "ordinary_words", "parse_draft", "prompt_headings", "same_word", "stem", "team_words",
           "voices"]

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019][^\W\d_]+)*")
_CAPITALISED = re.compile(r"(?<![\w'\u2019])[A-Z][^\W\d_]*(?:['\u2019][^\W\d_]+)*(?:\.(?=[A-Z]\.))?")
_NUMBER = re.compile(r"(?<![\w.,])[$€£]?\d(?:[\d,.]*\d)?(?:\s?(?:k|m|bn|%))?(?![\w])", re.IGNORECASE)
_LIST_NUMERAL = re.compile(r"(?:^|(?<=[\s(;:,]))\(?\d{1,2}[.)](?=\s|$)")
_CITATION = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]|\bsources?\s+(\d+(?:\s*(?:,|and)\s*\d+)*)", re.IGNORECASE)
# a token of a regular expression in the team's files (a rubric's blocker patterns), whose alternatives are not words the
# team writes: a backslash, or a bar between two words ("with|charge|bill"); a compact table row ("|Plan|Price|") is words
_PATTERN_TOKEN = re.compile(r"\\|\w\|\w")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_WORD = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = re.compile(
    r"\b\d{4}-\d{1,2}-\d{1,2}\b|\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b|\b\d{2}\.\d{2}\.(?!\d)"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH_WORD}(?:\s+\d{{4}})?\b|\b{_MONTH_WORD}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b",
    re.IGNORECASE)
_NUMBER_WORDS = {w: n for n, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}
_SUFFIXES = ("ational", "ations", "ation", "ating", "ated", "ates", "ate", "ions", "ion", "ings", "ing", "ors", "or", "ers", "er",
             "ies", "ied", "es", "ed", "ly", "s", "e", "y")
# junk: what no sentence of a coaching artifact or a buyer's line contains
_JUNK = (
    (re.compile(r"[{}]"), "braces"),
    (re.compile(r"`"), "code quotes"),
    (re.compile(r"(?m)^\s*#+\s*\S"), "a '#' heading"),
    (re.compile(r"\"[^\"]{0,40}\"\s*:|^\s*[\[\]]|[\[\]]\s*$|\[\s*\"|\"\s*\]|^\s*\"|\",\s*\""), "a JSON fragment"),
    (re.compile(r"</?[a-zA-Z][^>]*>|\b[a-zA-Z_]\w*\.[a-zA-Z_]\w*\s*\(|\b[a-zA-Z_]\w*\(\s*\)|=>|\$\{|;\s*$"), "code or markup"),
)


def stem(word: str) -> str:
    """A crude stem: the word in lower case without one or two common endings ("negotiating" -> "negoti")."""
    word = word.lower().replace("\u2019", "'")
    word = re.sub(r"'s?$", "", word)
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4 and not (suffix == "s" and word.endswith("ss")):
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def same_word(a: str, b: str) -> bool:
    """Whether two words are forms of one word: the same stem, or one stem a short extension of the other."""
    x, y = sorted((stem(a), stem(b)), key=len)
    return x == y or (len(x) >= 5 and y.startswith(x) and len(y) - len(x) <= 3)


def _words(text: str) -> list[str]:
    return [w.replace("\u2019", "'") for w in _WORD.findall(text)]


@cache
def _defaults() -> dict[str, Any]:
    from coachgen.knowledge.defaults import load

    lists = {key: frozenset(str(words).split()) for key, words in load("draft_words").items()}
    return {**lists, "common": lists["common"] | lists["function"]}


NAME_DOCUMENTS = 3  # a capitalised word the team's material uses in this many documents is the team's own name (product, rival)


def ordinary_words(documents: Iterable[str]) -> frozenset[str]:
    """What a draft may write without inventing it, from the team's own ``documents``: every word they write in lower case,
    the capitalised words they use across :data:`NAME_DOCUMENTS` documents (their product, their competitors), and the
    common-word list. A person of one deal's notes is in one document, so a draft about another deal cannot borrow them."""
    found = set(_defaults()["common"])
    names: dict[str, int] = {}
    for text in documents:
        words = _words(" ".join(token for token in text.split()
                                if not _PATTERN_TOKEN.search(token) or (token[0] == token[-1] == "|" and "\\" not in token)))
        found.update(w for w in words if w.islower())
        for name in {w.lower() for w in words if w[0].isupper()}:
            names[name] = names.get(name, 0) + 1
    found.update(name for name, count in names.items() if count >= NAME_DOCUMENTS)
    return frozenset(found)


@dataclass
class DraftContext:
    """What a draft may name and must do: the context it was written from."""

    known: str = ""  # the deal's records and notes, the sources, the persona: names, numbers and dates may come from here
    trusted: str = ""  # records only (never notes or sources): code-like tokens may come from here
    sources: set[int] = field(default_factory=set)  # citation numbers valid for the call
    objection: str | None = None  # the concern a buyer line must voice
    focus: str | None = None  # the skill a development note must name
    strengths: list[str] = field(default_factory=list)  # what the rep does well: named, never assigned
    speaker: str | None = None  # the buyer a line is spoken by, who does not talk about themself by name
    ordinary: frozenset[str] = frozenset()  # lower-case words of the team's material (see ordinary_words)
    headings: list[str] = field(default_factory=list)  # headings of the prompt; a draft never repeats them
    similarity: Callable[[str, str], float] | None = None  # meaning similarity of two texts, when an embedder is at hand

    @classmethod
    def from_record(cls, record: dict[str, Any], **extra: Any) -> "DraftContext":
        """A context from a JSON-like mapping (a benchmark row's or a fixture's context)."""
        known = " ".join([record.get("known", ""), *(record.get("transcript") or ())])  # a buyer may repeat what the rep said
        return cls(known=known, trusted=record.get("trusted", ""), sources=set(record.get("sources") or ()),
                   objection=record.get("objection"), focus=record.get("focus"), strengths=list(record.get("strengths") or ()),
                   speaker=record.get("persona"), **extra)


def junk(text: str, headings: Iterable[str] = ()) -> str | None:
    """What makes ``text`` junk rather than prose (braces, code, a heading, JSON), or None; citations are read elsewhere."""
    bare = _CITATION.sub(" ", text)
    for pattern, what in _JUNK:
        if pattern.search(bare):
            return what
    for heading in headings:
        words = heading.split()
        if not words:
            continue
        if len(words) > 1 and heading.isupper() and heading in text:
            return f"the prompt's heading '{heading}'"
        if re.search(rf"(?:^|\n)\s*{re.escape(heading)}\s*(?::|\n|$)", text, re.IGNORECASE):
            return f"the prompt's heading '{heading}'"
    return None


_DANGLING = frozenset("and or but the a an than your our their its".split())  # never last in a sentence (a preposition may be)


def cut_off(text: str) -> bool:
    """True when ``text`` stops mid-sentence: on a comma, semicolon, colon or an open bracket, or on a word that needs another
    (an article, a conjunction, a possessive). A dash is a speaker trailing off, which a buyer may do."""
    stripped = text.rstrip()
    words = _WORD.findall(stripped)
    return bool(stripped) and (stripped[-1] in ",;:(" or (stripped[-1].isalpha() and bool(words) and words[-1].lower() in _DANGLING))


def echoes(text: str, instructions: Iterable[str] = (), labels: Iterable[str] = (), run: int = 5) -> str | None:
    """How ``text`` restates its request instead of answering it (``run`` words in a row of an instruction, or a field's
    label opening it: "Objective: ..."), or None."""
    words = [w.lower() for w in _WORD.findall(text)]
    grams = {tuple(words[i:i + run]) for i in range(len(words) - run + 1)}
    for instruction in instructions:
        asked = [w.lower() for w in _WORD.findall(instruction)]
        if any(tuple(asked[i:i + run]) in grams for i in range(len(asked) - run + 1)):
            return f"it repeats the request '{instruction}'"
    for label in labels:
        if re.match(rf"\W*{re.escape(label)}s?\s*:", text, re.IGNORECASE):
            return f"it opens with the label '{label}:'"
    return None


def _known_dates(known: str) -> tuple[set[tuple[int, int]], set[int]]:
    """(month, day) pairs and months of the dates in ``known``; a numeric day/month reads both ways."""
    pairs: set[tuple[int, int]] = set()
    for match in _DATE.finditer(known):
        pairs |= _month_days(match.group())
    months = {m for m, _ in pairs} | {i + 1 for i, name in enumerate(_MONTHS) if re.search(rf"\b{name[:3]}", known, re.IGNORECASE)}
    return pairs, months


def _month_days(text: str) -> set[tuple[int, int]]:
    parts = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})|(\d{1,2})[/.](\d{1,2})(?:[/.]\d{2,4})?\.?", text.strip())
    if parts and parts.group(1):
        return {(int(parts.group(2)), int(parts.group(3)))}
    if parts:
        a, b = int(parts.group(4)), int(parts.group(5))
        return {(m, d) for m, d in ((a, b), (b, a)) if 1 <= m <= 12 and 1 <= d <= 31}
    try:
        day = dateparser.parse(text, default=dateparser.parse("2000-01-01"))
    except (ValueError, OverflowError):
        return set()
    return {(day.month, day.day)}


def dates_invented(text: str, known: str) -> list[str]:
    """Dates, weekdays and months in ``text`` that no date or word of ``known`` holds."""
    pairs, months = _known_dates(known)
    found = [m.group() for m in _DATE.finditer(text) if not _month_days(m.group()) & pairs]
    lowered = known.lower()
    for word in _words(_DATE.sub(" ", text)):
        name = word.lower()
        if name in _WEEKDAYS and name not in lowered:
            found.append(word)
        elif name in _MONTHS and word[0].isupper() and _MONTHS.index(name) + 1 not in months:
            found.append(word)
    return list(dict.fromkeys(found))


def _values(token: str) -> set[float]:
    """The values a number token may stand for: '96,000' and '96k' are 96000, '3.852,00' is 3852."""
    token = token.lower().strip("$€£ ")
    scale = 1.0
    for suffix, factor in (("bn", 1e9), ("k", 1e3), ("m", 1e6), ("%", 1.0)):
        if token.endswith(suffix):
            token, scale = token[: -len(suffix)].strip(), factor
            break
    readings = {token.replace(",", ""), token.replace(".", "").replace(",", ".")}
    values = set()
    for reading in readings:
        try:
            values.add(round(float(reading) * scale, 2))
        except ValueError:
            pass
    return values


def _strip_spans(text: str, *patterns: re.Pattern[str]) -> str:
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return text


def numbers_invented(text: str, known: str) -> list[str]:
    """Numbers in ``text`` whose value ``known`` does not hold; list numbering, citations and dates are read elsewhere.

    A number must match a number of ``known`` outside its dates, or a year of one of its dates: the day of a date
    in the records does not make "12" a fact."""
    allowed: set[float] = set()
    for token in _NUMBER.findall(_DATE.sub(" ", known)):
        allowed |= _values(token)
    allowed |= {float(n) for w, n in _NUMBER_WORDS.items() if re.search(rf"\b{w}\b", known, re.IGNORECASE)}
    allowed |= {float(year) for date in _DATE.findall(known) for year in re.findall(r"\d{4}", date)}
    body = _strip_spans(text, _LIST_NUMERAL, _CITATION, _DATE)
    return list(dict.fromkeys(t.strip() for t in _NUMBER.findall(body) if not _values(t) & allowed))


def citations_invented(text: str, valid: set[int]) -> list[int]:
    """Citation numbers written into ``text`` ("[3]", "source 3") that are not among ``valid``."""
    cited = set()
    for match in _CITATION.finditer(text):
        cited |= {int(n) for n in re.findall(r"\d+", match.group(1) or match.group(2))}
    return sorted(cited - valid)


@lru_cache(maxsize=8)  # one vocabulary per knowledge base in use
def _stems(ordinary: frozenset[str]) -> frozenset[str]:
    return frozenset(stem(word) for word in ordinary)


def _is_ordinary(word: str, ordinary: frozenset[str]) -> bool:
    """In ``ordinary`` or the common words, or a form of a word there ("Turn" when the material writes "turning");
    a name has no forms."""
    common = _defaults()["common"]
    lowered = word.lower()
    if lowered in ordinary or lowered in common:
        return True
    head, _, tail = lowered.partition("'")
    if tail and tail in _defaults()["contraction_endings"] and (head in ordinary or head in common):
        return True
    return stem(lowered) in _stems(ordinary) or stem(lowered) in _stems(common)


def names_invented(text: str, known: str, ordinary: frozenset[str] = frozenset()) -> list[str]:
    """People and organisations ``text`` names that ``known`` does not: capitalised words neither in ``known`` nor ordinary,
    and runs of ordinary capitalised words after a title ("Dr Lee") or before an organisation word ("Blue Ocean Partners")."""
    from coachgen.index.lexical import is_ordinary

    defaults = _defaults()
    in_known = {w.lower() for w in _words(known)}
    known_folded = " ".join(_words(known)).lower()
    dated = set(_MONTHS) | set(_WEEKDAYS)
    found: list[str] = []
    run: list[tuple[str, bool]] = []

    def close_run() -> None:
        words = [w for w, _ in run]
        org = len(words) > 1 and words[-1].lower().rstrip(".").replace(".", "") in defaults["organisation"]
        title_at = next((i for i, w in enumerate(words[:-1]) if w.lower().rstrip(".") in defaults["person_titles"]), None)
        titled = title_at is not None
        if titled:
            words = words[title_at:]
        # a title in title case ("The Business Model Can't Be Broken"): a function word inside, general English throughout
        heading = len(words) > 2 and not org and any(w.lower() in defaults["function"] for w in words[1:])
        unknown = [w for w, bad in run if bad and not (heading and is_ordinary(w.lower().split("'")[0]))]
        phrase = " ".join(words)
        if unknown or ((org or titled) and phrase.lower() not in known_folded):
            found.append(phrase if (org or titled) else " ".join(unknown))
        run.clear()

    end = 0
    for match in _CAPITALISED.finditer(text):
        between = text[end:match.start()]
        if run and (between.strip() or "\n" in between):
            close_run()
        end = match.end()
        word = match.group().replace("\u2019", "'")
        bare = re.sub(r"'s?$", "", word)
        lowered = bare.lower()
        if lowered in dated:
            if run:
                close_run()
            continue
        grounded = lowered in in_known or lowered.replace(".", "") in in_known
        run.append((bare, not grounded and not _is_ordinary(bare, ordinary)))
    if run:
        close_run()
    return list(dict.fromkeys(found))


def _content_stems(text: str) -> set[str]:
    function = _defaults()["function"]
    return {stem(w) for w in _words(text) if len(w) > 2 and w.lower() not in function}


def voices(line: str, objection: str, similarity: Callable[[str, str], float] | None = None, threshold: float = 0.35) -> bool:
    """Whether a buyer's ``line`` carries ``objection``: a content word in common (in some form), or close in meaning."""
    mine, asked = _content_stems(line), _content_stems(objection)
    if any(same_word(a, b) for a in mine for b in asked):
        return True
    return similarity is not None and similarity(line, objection) >= threshold


def _names_skill(text: str, skill: str) -> bool:
    words = _words(text) + _words(re.sub(r"(?<=\w)-(?=\w)", "", text))  # "multi-threading" names multithreading
    return all(any(same_word(part, w) for w in words) for part in _words(skill))


def _assigns(text: str, skill: str) -> bool:
    for sentence in _SENTENCE.split(text):
        work = re.search(r"\b(work on|improve|practi[sc]e|train(ing)? on|focus on|develop)\b", sentence, re.IGNORECASE)
        if work and _names_skill(sentence[work.end():], skill):
            return True
    return False


def _role_problem(artifact: str, text: str) -> str | None:
    words = {w.lower() for w in _words(text)}
    meta = {"json", "schema", "prompt", "prompts", "instruction", "instructions", "assistant"}
    if artifact in ("drill", "roleplay"):
        meta |= {"buyer", "buyers", "buyer's", "persona", "objection", "objections", "drill", "role-play", "roleplay", "rep",
                 "rep's", "reps", "rubric", "transcript", "situation"}
    hit = sorted(words & meta)
    return f"it steps out of role ('{hit[0]}')" if hit else None


def _not_prose(text: str, least: int) -> bool:
    visible = "".join(text.split())
    letters = sum(c.isalpha() for c in visible)
    return len([w for w in _words(text) if len(w) > 1]) < least or letters < 0.6 * max(len(visible), 1)


_WHERE = {"prep": "the deal records or sources", "debrief": "the deal records or sources", "train": "the evidence",
          "drill": "the persona or the situation", "roleplay": "the persona, the situation or the conversation"}


def check_draft(artifact: str, fields: dict[str, Any], context: DraftContext) -> list[str]:
    """The problems of one draft of ``artifact`` ('prep', 'debrief', 'drill', 'roleplay', 'train'); empty when usable."""
    from coachgen.untrusted import opaque_tokens

    texts = _texts(artifact, fields)
    problems: list[str] = []
    seen: set[str] = set()

    def add(problem: str) -> None:
        if problem not in seen:
            seen.add(problem)
            problems.append(problem)

    for name, text in texts:
        what = junk(text, context.headings)
        if what:
            add(f"junk in {name}: {what}")
        least = 1 if name.startswith("agenda") else 3
        if _not_prose(text, least):
            add(f"{name} is not a sentence of words")
        elif least > 1 and cut_off(text):  # an agenda item is a phrase, not a sentence
            add(f"{name} stops mid-sentence")
        echo = echoes(text, *_requests(artifact))
        if echo:
            add(f"{name}: {echo}; write the answer itself")
    joined = "\n".join(text for _, text in texts)
    role = _role_problem(artifact, joined)
    if role:
        add(role)
    opaque = opaque_tokens([joined], context.trusted)
    if opaque:
        add(f"code-like tokens not in the records: {', '.join(opaque[:5])}")
    bad = sorted({n for n in fields.get("sources") or () if n not in context.sources} | set(citations_invented(joined, context.sources)))
    if bad:
        add(f"citations {bad} are not among the sources 1-{max(context.sources, default=0)}")
    where = _WHERE.get(artifact, "the records")
    names = names_invented(joined, context.known, context.ordinary)
    if names:
        add(f"names not in {where}: {', '.join(names[:5])}")
    numbers = numbers_invented(joined, context.known)
    if numbers:
        add(f"numbers not in {where}: {', '.join(numbers[:5])}")
    dates = dates_invented(joined, context.known)
    if dates:
        add(f"dates not in {where}: {', '.join(dates[:5])}")
    problems += _artifact_problems(artifact, fields, texts, context)
    return problems


def _texts(artifact: str, fields: dict[str, Any]) -> list[tuple[str, str]]:
    if artifact == "prep":
        agenda = fields.get("agenda") or []
        return ([(key, str(fields.get(key) or "")) for key in ("objective", "best_outcome", "minimum_outcome")]
                + [(f"agenda item {i}", str(item)) for i, item in enumerate(agenda, 1)])
    if artifact == "debrief":
        return [(f"question {i}", str(q)) for i, q in enumerate(fields.get("questions") or [], 1)]
    if artifact == "train":
        return [("the note", str(fields.get("note") or ""))]
    return [("the line", str(fields.get("line") or ""))]


def _artifact_problems(artifact: str, fields: dict[str, Any], texts: list[tuple[str, str]], context: DraftContext) -> list[str]:
    problems = []
    if artifact == "prep":
        agenda = [" ".join(str(i).lower().split()) for i in fields.get("agenda") or []]
        if len(set(agenda)) < len(agenda):
            problems.append("the agenda repeats an item")
    elif artifact == "debrief":
        questions = [" ".join(str(q).lower().split()) for q in fields.get("questions") or []]
        if len(set(questions)) < len(questions):
            problems.append("the questions repeat an item")
        if not all(q.strip().endswith("?") for q in questions):
            problems.append("every follow-up must be a question")
    elif artifact in ("drill", "roleplay"):
        line = texts[0][1]
        most = 45 if artifact == "drill" else 60
        if len(line.split()) > most:
            problems.append(f"the line is longer than {most - 5} words")
        first = (context.speaker or "").split()[:1]
        if first and first[0][:1].isupper() and re.search(rf"\b{re.escape(first[0])}\b", line):
            problems.append(f"the line talks about {context.speaker} instead of speaking as them")
        if context.objection and not voices(line, context.objection, context.similarity):
            problems.append(f"the line does not voice the objection: \"{context.objection}\"")
    elif artifact == "train":
        note = texts[0][1]
        for skill in context.strengths:
            if _assigns(note, skill):
                problems.append(f"it assigns '{skill}', a strength")
        if context.focus and not _names_skill(note, context.focus):
            problems.append(f"it does not name the focus skill '{context.focus}'")
        if context.strengths and not any(_names_skill(note, skill) for skill in context.strengths):
            problems.append("it does not name what the rep does well")
    return problems


@cache
def _requests(artifact: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What ``artifact``'s schema asks for, which a draft answers rather than restates: the fields' descriptions and labels."""
    fields = _schema(artifact).model_fields
    asked = tuple(f.description for key, f in fields.items() if f.description and key != "sources")
    return asked, tuple(key.replace("_", " ") for key in fields if key != "sources")


_SCHEMAS = {"prep": ("coachgen.artifacts.call_plan", "PlanDraft"), "debrief": ("coachgen.artifacts.debrief", "DebriefDraft"),
            "drill": ("coachgen.artifacts.drill", "BuyerLine"), "roleplay": ("coachgen.artifacts.roleplay", "BuyerReply"),
            "train": ("coachgen.artifacts.development_plan", "SummaryDraft")}


def _schema(artifact: str) -> Any:
    """The schema class the model writes ``artifact``'s draft against (imported on first use: the artifacts import this module)."""
    import importlib

    module, name = _SCHEMAS[artifact]
    return getattr(importlib.import_module(module), name)


def parse_draft(artifact: str, raw: str) -> tuple[dict[str, Any] | None, str | None]:
    """The fields of a raw answer read with the artifact's schema, as the generation loop reads them; or the parse problem."""
    from pydantic import ValidationError

    from coachgen.llm.structured import _parse

    schema = _schema(artifact)
    try:
        return _parse(raw, schema).model_dump(), None
    except ValidationError as exc:
        return None, "the answer does not fit the schema: " + "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
    except ValueError as exc:
        return None, f"the answer is not JSON ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"


@cache
def prompt_headings(artifact: str) -> tuple[str, ...]:
    """The headings of the bundled prompt templates of ``artifact``, which a draft never repeats."""
    from coachgen.resources import bundled_dir

    folder = bundled_dir("prompts") / artifact
    headings = []
    for path in sorted(folder.glob("*.j2")):
        headings += [line.lstrip("#").strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.startswith("#") and "{" not in line]
    return tuple(dict.fromkeys(headings))


def team_words(kb: Any) -> frozenset[str]:
    """:func:`ordinary_words` of the knowledge base ``kb``, one document per source file."""
    documents: dict[str, list[str]] = {}
    for chunk in kb.catalog.iter_chunks():
        documents.setdefault(chunk.source, []).append(chunk.text)
    return ordinary_words("\n".join(texts) for texts in documents.values())


def known_words(kb: Any) -> frozenset[str]:
    """:func:`team_words` of ``kb``, read once until the knowledge base is written again."""
    key = ("team-words",)
    if key not in kb._memo:
        kb._memo[key] = [team_words(kb)]
    return kb._memo[key][0]


def draft_checker(kb: Any, artifact: str, **context: Any) -> Callable[[Any], None]:
    """The ``check`` an artifact hands the generation loop: :func:`check_draft` with the team's words, the prompt's headings
    and the embedder's similarity, plus ``context`` (:class:`DraftContext` fields)."""
    return checker(artifact, DraftContext(ordinary=known_words(kb), headings=list(prompt_headings(artifact)),
                                          similarity=embedding_similarity(kb.embedder), **context))


def checker(artifact: str, context: DraftContext) -> Callable[[Any], None]:
    """A ``check`` for :func:`~coachgen.llm.structured.generate_structured`: raises ``ValueError`` with every problem."""

    def check(draft: Any) -> None:
        problems = check_draft(artifact, draft.model_dump(), context)
        if problems:
            raise ValueError("; ".join(problems))

    check.sources = set(context.sources)  # type: ignore[attr-defined]  # the generation loop's grammar allows only these citations
    return check


def embedding_similarity(embedder: Any) -> Callable[[str, str], float]:
    """Cosine of two texts under ``embedder`` (the knowledge base's), for :attr:`DraftContext.similarity`."""

    def similarity(a: str, b: str) -> float:
        x, y = embedder.embed_batch([a, b])
        dot = sum(p * q for p, q in zip(x, y))
        norm = (sum(p * p for p in x) * sum(q * q for q in y)) ** 0.5
        return dot / norm if norm else 0.0

    return similarity
