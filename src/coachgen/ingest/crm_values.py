"""Values in CRM exports: amounts with their currency, and dates, read the way the whole file writes them.

A file is written in one locale, so the decimal mark of an amount column and the order of day and
month are decided once per file from the values that settle it, never row by row:

- **Decimal mark.** A value with both ``.`` and ``,`` uses the last one as its decimal mark
  (``12.500,00``, ``12,500.00``); a separator that appears once with other than three digits after it
  is a decimal mark (``1,5``, ``12,50``, ``99.9``); one that appears several times groups thousands
  (``1.200.000``). The column follows the values that say so (the majority, when they disagree; the
  values that disagree are reported). When no value says so, a single separator followed by exactly
  three digits groups thousands (``1.200``, ``€ 1.200``, ``1,200`` are all 1200): amounts of money
  rarely have three decimals.
- **Day and month.** Dates like ``03/01/2024`` are day-first when a value of the file has a first
  number over 12, month-first when one has a second number over 12. When none does, dates written
  with dots (``04.03.2026``) or a file delimited by semicolons are read day-first, others month-first,
  and the import says so. ISO dates (with a time or ``Z``), month names and Excel serial numbers need
  no decision.
- **Currency.** A symbol or ISO code written in the amount (``$``, ``€``, ``EUR``, ``CHF``) is the
  currency of that amount; labelled data (``knowledge/defaults/currencies.yaml``) lists them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any, Iterable

from coachgen.knowledge.defaults import load

__all__ = [
    "DateOrder",
    "DecimalMark",
    "amount_currency",
    "date_order",
    "decimal_mark",
    "default_currency",
    "parse_amount",
    "parse_date",
    "symbol_of",
]

_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'’")
_NUMBER = re.compile(r"[-+]?[\d.,]*\d[\d.,]*")  # a token: digits with separators
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "mm": 1e6, "bn": 1e9}
_SLASHED = re.compile(r"\s*(\d{1,2})([/.\-])(\d{1,2})\2(\d{2,4})\b")
_EXCEL_EPOCH = date(1899, 12, 30)
_EXCEL_RANGE = (18264, 73050)  # 1950-01-01 .. 2099-12-31 as Excel serials


def _currencies() -> dict[str, Any]:
    return load("currencies")


def default_currency(setting: str | None = None) -> str:
    """The currency of amounts that name none: the ``currency`` setting, else the labelled default."""
    return (setting or _currencies()["default"]).upper()


def symbol_of(code: str) -> str | None:
    """The symbol printed before amounts of ``code`` (``$`` for USD), or None when the code prints after."""
    return _currencies()["print"].get(code.upper())


@lru_cache(maxsize=1)
def _markers() -> tuple[tuple[str, tuple[str, ...]], ...]:
    data = _currencies()
    pairs = [(symbol, tuple(codes)) for symbol, codes in data["symbols"].items()]
    pairs += [(code, (code,)) for code in data["codes"]]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))  # 'US$' before '$'


@lru_cache(maxsize=65536)
def _split_currency(text: str) -> tuple[str, tuple[str, ...] | None]:
    """The text without its currency marker, and the currencies the marker may mean."""
    if text.isdigit():
        return text, None
    for marker, codes in _markers():
        if marker in text:
            if marker.isalpha() and re.search(rf"(?<![A-Za-z]){re.escape(marker)}(?![A-Za-z])", text) is None:
                continue
            return text.replace(marker, " ", 1), codes
    return text, None


def amount_currency(value: Any, preferred: str | None = None) -> str | None:
    """The ISO code an amount's text names (``€ 1.200`` -> EUR), or None when it names none.

    A symbol several currencies share means ``preferred`` when that is one of them, else the first.
    """
    if value is None or isinstance(value, (int, float)):
        return None
    _, codes = _split_currency(str(value))
    if not codes:
        return None
    return preferred.upper() if preferred and preferred.upper() in codes else codes[0]


@dataclass(frozen=True)
class DecimalMark:
    """The decimal mark of one amount column, and how it was decided."""

    mark: str | None
    reason: str
    conflicting: int = 0
    ambiguous: int = 0


@lru_cache(maxsize=65536)
def _bare(text: str) -> tuple[str, float, bool]:
    """Digits and separators of an amount, its scale (k, M) and whether it is negative; ValueError if none."""
    raw = text.strip()
    negative = raw.startswith("(") and raw.endswith(")")
    body, _ = _split_currency(raw.strip("()"))
    body = body.translate(_SPACES)
    match = re.fullmatch(r"([-+]?)([\d.,]*\d[\d.,]*)([a-zA-Z]{0,2})", body)
    if not match or match.group(3).lower() not in _SCALE:
        raise ValueError(f"'{text.strip()}' is not an amount")
    return match.group(1) + match.group(2), _SCALE[match.group(3).lower()], negative


def _vote(number: str) -> str | None:
    """The decimal mark a number's own separators prove, or None when they could mean either."""
    digits = number.lstrip("+-")
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:
        return "." if digits.rfind(".") > digits.rfind(",") else ","
    for mark, count in ((".", dots), (",", commas)):
        if count > 1:
            return "," if mark == "." else "."
        if count == 1:
            return mark if len(digits) - digits.index(mark) - 1 != 3 else None
    return None


def decimal_mark(values: Iterable[Any]) -> DecimalMark:
    """Decide an amount column's decimal mark from all its values (see the module docstring)."""
    votes: Counter[str] = Counter()
    ambiguous = 0
    example = ""
    for value in values:
        if value is None or isinstance(value, (int, float)):
            continue
        try:
            number, _, _ = _bare(str(value))
        except ValueError:
            continue
        vote = _vote(number)
        if vote:
            votes[vote] += 1
        elif re.search(r"[.,]", number):
            ambiguous += 1
            example = example or str(value).strip()
    if not votes:
        reason = (f"{ambiguous} amounts like '{example}' read with the separator grouping thousands (no amount has decimals); "
                  "pass --decimal if not") if ambiguous else "no amount has decimals"
        return DecimalMark(None, reason, 0, ambiguous)
    (mark, count), *rest = votes.most_common()
    word = "decimal point" if mark == "." else "decimal comma"
    if rest:
        return DecimalMark(mark, f"amounts read with a {word}: {count} values use it, {rest[0][1]} the other mark (skipped)",
                           rest[0][1], ambiguous)
    return DecimalMark(mark, f"amounts read with a {word}", 0, ambiguous)


def parse_amount(value: Any, mark: str | None = None) -> float | None:
    """A number from ``$12,500.00``, ``12.500,00 €``, ``EUR 1,200``, ``1,5``, ``12.5k`` or ``(300)``; blank is None.

    ``mark`` is the column's decimal mark (:func:`decimal_mark`); a value that contradicts it is a
    ValueError. Without one, each value's own separators decide, as described in the module docstring.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        try:
            return float(value)
        except OverflowError:
            raise ValueError(f"'{value}' is not an amount") from None
    text = str(value).strip()
    if not text:
        return None
    number, scale, negative = _bare(text)
    own = _vote(number)
    if mark is not None and own is not None and own != mark:
        word = "decimal point" if mark == "." else "decimal comma"
        raise ValueError(f"'{text}' does not fit the column's {word}")
    decimal = mark or own
    grouping = {".", ","} - {decimal} if decimal else {".", ","}
    whole, _, fraction = number.partition(decimal) if decimal and decimal in number else (number, "", "")
    groups = re.split(r"[.,]", whole.lstrip("+-"))
    if any(sep not in grouping for sep in re.findall(r"[.,]", whole)) or any(len(g) != 3 for g in groups[1:]) or not groups[0]:
        raise ValueError(f"'{text}' is not an amount")
    amount = float(whole.lstrip("+").replace(".", "").replace(",", "") + ("." + fraction if fraction else "")) * scale
    return -abs(amount) if negative else amount


@dataclass(frozen=True)
class DateOrder:
    """Whether a file writes its dates day-first, and how that was decided."""

    dayfirst: bool
    reason: str
    conflicting: int = 0


def date_order(values: Iterable[Any], semicolons: bool = False) -> DateOrder:
    """Decide day-first or month-first for a whole file from all its date values (see the module docstring)."""
    votes: Counter[bool] = Counter()
    dotted = example = None
    for value in values:
        if not isinstance(value, str):
            continue
        match = _SLASHED.match(value)
        if not match:
            continue
        first, second = int(match.group(1)), int(match.group(3))
        dotted = dotted or (match.group(2) == ".")
        if first > 12 >= second:
            votes[True] += 1
            example = example or value.strip()
        elif second > 12 >= first:
            votes[False] += 1
            example = example or value.strip()
    if votes:
        (dayfirst, count), *rest = votes.most_common()
        word = "day-first" if dayfirst else "month-first"
        if rest:
            return DateOrder(dayfirst, f"dates read {word}: {count} values can only be {word}, {rest[0][1]} the other way", rest[0][1])
        return DateOrder(dayfirst, f"dates read {word} ('{example}' can only be {word})")
    if dotted or semicolons:
        why = "dates are written with dots" if dotted else "the file is delimited by semicolons"
        return DateOrder(True, f"dates read day-first: no day is over 12, and {why}; pass --monthfirst if not")
    return DateOrder(False, "dates read month-first: no day is over 12 to tell; pass --dayfirst if not")


@lru_cache(maxsize=65536)
def _parse_text_date(text: str, dayfirst: bool) -> date:
    try:
        return datetime.fromisoformat(text).date()
    except ValueError:
        pass
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _excel(float(text), text)
    match = _SLASHED.match(text)
    if match:
        first, second = int(match.group(1)), int(match.group(3))
        contradicts = (second > 12 >= first) if dayfirst else (first > 12 >= second)
        if contradicts:
            raise ValueError(f"'{text}' does not fit the file's {'day-first' if dayfirst else 'month-first'} dates")
    from dateutil import parser

    try:
        one = parser.parse(text, dayfirst=dayfirst, default=datetime(2000, 1, 1))
        two = parser.parse(text, dayfirst=dayfirst, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError, TypeError, IndexError):  # dateutil's own errors for text that is no date
        raise ValueError(f"'{text}' is not a date") from None
    if one.date() != two.date():
        raise ValueError(f"'{text}' is not a whole date")
    return one.date()


def _excel(serial: float, shown: Any) -> date:
    if not isinstance(serial, float) or serial != serial or not _EXCEL_RANGE[0] <= serial <= _EXCEL_RANGE[1]:
        raise ValueError(f"'{shown}' is not a date")
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def parse_date(value: Any, dayfirst: bool | None = None) -> date | None:
    """A date from ISO text (with a time or ``Z``), ``03/01/2024``, ``4 Mar 2026`` or an Excel serial; blank is None.

    ``dayfirst`` is the file's order (:func:`date_order`); without one, dates written with dots are day-first, others month-first.
    """
    if value is None or isinstance(value, bool):
        return None
    if dayfirst is None:
        dayfirst = bool(isinstance(value, str) and (match := _SLASHED.match(value)) and match.group(2) == ".")
    if isinstance(value, (int, float)):
        try:
            return _excel(float(value), value)
        except OverflowError:
            raise ValueError(f"'{value}' is not a date") from None
    text = str(value).strip()
    return _parse_text_date(text, dayfirst) if text else None
