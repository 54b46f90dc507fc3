"""Replace personal data with placeholders before text leaves the machine, and put it back in the answer.

Redacted: email addresses, card numbers (13-19 digits passing the Luhn check), phone numbers (9+
digits written like a phone number), and the contacts and accounts the CRM records name (full
names, and a contact's first or last name on its own). Each distinct value gets one placeholder
such as ``[PERSON_2]`` for the life of the redactor, so a conversation stays consistent and the
model's answer can be restored.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING

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


class Redactor:
    """Placeholders for personal data; ``names`` maps a known name to its kind ('PERSON' or 'ACCOUNT')."""

    def __init__(self, names: dict[str, str] | None = None) -> None:
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_placeholder: dict[str, str] = {}
        self._lock = threading.Lock()
        people: dict[str, str] = {}
        for name, kind in (names or {}).items():
            if kind == "PERSON":
                for part in name.split():
                    if len(part) >= 3 and part[0].isupper():
                        people.setdefault(part, name)
        self._names = sorted(((n, k, n) for n, k in (names or {}).items()), key=lambda item: -len(item[0]))
        self._parts = sorted(((part, "PERSON", full) for part, full in people.items() if part not in (names or {})), key=lambda item: -len(item[0]))
        pattern = "|".join(re.escape(name) for name, _, _ in self._names + self._parts)
        self._name_re = re.compile(rf"(?<![\w]){pattern}(?![\w])") if pattern else None
        self._lookup = {name: (kind, full) for name, kind, full in self._names + self._parts}

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
        if self._name_re is not None:
            text = self._name_re.sub(lambda m: self._placeholder(*self._lookup[m.group(0)]), text)
        return text

    def restore(self, text: str) -> str:
        """``text`` with every placeholder this redactor handed out put back."""
        return _PLACEHOLDER.sub(lambda m: self._by_placeholder.get(f"{m.group(1)}_{m.group(2)}", m.group(0)), text)
