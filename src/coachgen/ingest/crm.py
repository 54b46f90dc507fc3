"""CRM exports (CSV or JSON) of deals, rep rosters, accounts and products, mapped onto coachgen's fields.

Headers are matched case- and punctuation-insensitively against each field's aliases; ``--map
field=column`` and the Salesforce / HubSpot presets add more. Only each table's key is required (the
deal id, the rep's name, the account's name, the product's name): every other field may be blank, and a
column that is recognised automatically never becomes required.

A row that cannot be used (no key, a value that is not a date or an amount, a repeated id, the wrong
number of fields) is skipped with its line number and the reason; the others are imported. Values are
read the way the whole file writes them (:mod:`coachgen.ingest.crm_values`), and stage names map to
open, won or lost by meaning (:mod:`coachgen.knowledge.stage_vocabulary`). CSV quoting is RFC 4180:
doubled quotes stay quotes, quoted newlines stay in their cell; the delimiter (comma, semicolon, tab or
bar) is the one that splits the first rows evenly.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from coachgen.errors import InputError, MappingError
from coachgen.ingest.crm_values import (
    amount_currency,
    date_order,
    decimal_mark,
    default_currency,
    parse_amount,
    parse_date,
)
from coachgen.ingest.documents import Document
from coachgen.knowledge.stage_vocabulary import StageVocabulary

__all__ = [
    "ACCOUNT_FIELDS",
    "DEAL_FIELDS",
    "KEYS",
    "PRESETS",
    "PRODUCT_FIELDS",
    "REP_FIELDS",
    "SHOWN_SKIPS",
    "CrmTable",
    "deal_documents",
    "deal_status",
    "parse_amount",
    "parse_date",
    "parse_mapping",
    "read_crm_table",
]

RecordKind = Literal["deals", "reps", "accounts", "products"]

#: Deal fields and the headers each is recognised by.
DEAL_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "deal id", "opportunity id", "record id", "opp id", "hs object id"),
    "name": ("name", "deal name", "deal", "opportunity name", "opportunity"),
    "account": ("account", "account name", "company", "company name", "associated company", "customer", "client", "organization"),
    "rep": ("rep", "owner", "deal owner", "opportunity owner", "sales rep", "sales agent", "agent", "salesperson",
            "account executive", "owner name"),
    "stage": ("stage", "deal stage", "opportunity stage", "stage name", "dealstage", "pipeline stage", "status"),
    "amount": ("amount", "value", "deal value", "close value", "deal amount", "opportunity amount", "amount in company currency"),
    "currency": ("currency", "currency code", "deal currency", "opportunity currency", "amount currency"),
    "created": ("created", "created date", "create date", "createdate", "created at", "date created", "engage date", "open date", "opened"),
    "close_date": ("close date", "closedate", "closed", "closed date", "expected close date", "close"),
    "stage_changed": ("stage changed", "last stage change date", "stage date", "stage change date", "date entered stage",
                      "date entered current stage"),
    "last_activity": ("last activity", "last activity date", "last contacted", "last engagement date", "notes last updated"),
    "next_step": ("next step", "nextstep", "next steps"),
    "product": ("product", "products", "product name"),
    "contacts": ("contacts", "contact", "stakeholders", "associated contacts"),
    "notes": ("notes", "note", "description", "deal description", "comments"),
    "lost_reason": ("lost reason", "closed lost reason", "loss reason", "reason lost", "reason for loss"),
}
#: Rep roster (team table) fields and their headers.
REP_FIELDS: dict[str, tuple[str, ...]] = {
    "rep": ("rep", "name", "rep name", "sales agent", "agent", "full name", "user", "owner", "owner name", "salesperson", "sales rep"),
    "manager": ("manager", "sales manager", "reports to", "team lead", "manager name"),
    "region": ("region", "regional office", "office", "territory", "team"),
    "quota": ("quota", "annual quota", "quota amount", "target", "annual target"),
    "email": ("email", "email address", "e mail"),
}
#: Account table fields and their headers.
ACCOUNT_FIELDS: dict[str, tuple[str, ...]] = {
    "account": ("account", "account name", "company", "company name", "name", "customer", "organization"),
    "sector": ("sector", "industry", "vertical"),
    "employees": ("employees", "number of employees", "employee count", "headcount", "company size"),
    "revenue": ("revenue", "annual revenue", "revenue m", "turnover"),
    "year_established": ("year established", "founded", "year founded", "established"),
    "office_location": ("office location", "location", "country", "headquarters", "hq", "city"),
    "subsidiary_of": ("subsidiary of", "parent", "parent company", "parent account"),
    "website": ("website", "domain", "company domain name", "url"),
}
#: Product (price list) fields and their headers; the price is an amount read like a deal's, with its currency.
PRODUCT_FIELDS: dict[str, tuple[str, ...]] = {
    "product": ("product", "product name", "name", "item", "item name"),
    "series": ("series", "product family", "family", "product series", "product line", "product category", "category"),
    "price": ("price", "sales price", "list price", "unit price", "standard price", "msrp"),
    "currency": ("currency", "currency code", "price currency", "product currency"),
    "sku": ("sku", "product code", "product sku", "item code", "part number"),
}
FIELDS: dict[RecordKind, dict[str, tuple[str, ...]]] = {"deals": DEAL_FIELDS, "reps": REP_FIELDS, "accounts": ACCOUNT_FIELDS,
                                                        "products": PRODUCT_FIELDS}
#: The one field each table requires: its key.
KEYS: dict[RecordKind, str] = {"deals": "id", "reps": "rep", "accounts": "account", "products": "product"}
#: The amount whose currency each row keeps, in the tables that have one.
PRICED: dict[RecordKind, str] = {"deals": "amount", "products": "price"}
#: Standard export headers of common CRMs, field -> header.
PRESETS: dict[str, dict[str, str]] = {
    "salesforce": {
        "id": "Opportunity ID", "name": "Opportunity Name", "account": "Account Name",
        "rep": "Opportunity Owner", "stage": "Stage", "amount": "Amount", "created": "Created Date",
        "close_date": "Close Date", "stage_changed": "Last Stage Change Date",
        "last_activity": "Last Activity", "next_step": "Next Step", "notes": "Description",
        "currency": "Opportunity Currency",
    },
    "hubspot": {
        "id": "Record ID", "name": "Deal Name", "account": "Associated Company",
        "rep": "Deal owner", "stage": "Deal Stage", "amount": "Amount", "created": "Create Date",
        "close_date": "Close Date", "last_activity": "Last Activity Date", "next_step": "Next step",
        "notes": "Deal Description", "currency": "Currency", "lost_reason": "Closed lost reason",
    },
}
#: Skipped rows listed one by one before the rest are only counted.
SHOWN_SKIPS = 20
DATE_FIELDS = frozenset({"created", "close_date", "stage_changed", "last_activity"})
AMOUNT_FIELDS = frozenset({"amount", "quota", "revenue", "price"})
WHOLE_FIELDS = frozenset({"employees", "year_established"})
_DELIMITERS = (",", ";", "\t", "|")


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


@dataclass(frozen=True)
class CrmTable:
    """Rows of one export keyed by coachgen field names, with what was skipped and how values were read."""

    kind: RecordKind
    rows: list[dict[str, Any]]
    columns: dict[str, str]
    ignored: tuple[str, ...]
    skipped: tuple[tuple[int, str], ...] = ()
    unknown_stages: tuple[tuple[str, int], ...] = ()
    notes: tuple[str, ...] = ()
    currency: str | None = None

    def problems(self, shown: int = SHOWN_SKIPS) -> list[str]:
        """One line per skipped row (the first ``shown``, then a count) and per unrecognised stage."""
        lines = [f"skipped {reason}" for _, reason in self.skipped[:shown]]
        if len(self.skipped) > shown:
            lines.append(f"... and {len(self.skipped) - shown} more rows skipped")
        for stage, count in self.unknown_stages:
            lines.append(f"stage '{stage}' ({count} deal{'' if count == 1 else 's'}) is not recognised: counted as open; "
                         f"say what it means with --stages \"{stage}=open|won|lost\"")
        return lines


@dataclass(frozen=True)
class ReadOptions:
    """How to read values: stage meanings, the currency of bare amounts, forced day or decimal order."""

    stages: dict[str, str] = field(default_factory=dict)
    currency: str | None = None
    dayfirst: bool | None = None
    decimal: str | None = None
    strict: bool = False


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"id=Opp Id,rep=Owner"`` as ``{"id": "Opp Id", "rep": "Owner"}``."""
    if not spec:
        return {}
    mapping: dict[str, str] = {}
    known = {name for fields in FIELDS.values() for name in fields}
    for part in spec.split(","):
        field_name, sep, column = part.partition("=")
        field_name, column = field_name.strip(), column.strip()
        if not sep or not field_name or not column:
            raise MappingError(f"--map: '{part.strip()}' is not field=column")
        if field_name not in known:
            raise MappingError(f"--map: unknown field '{field_name}' (fields: {', '.join(sorted(known))})")
        mapping[field_name] = column
    return mapping


def deal_status(stage: str | None, vocabulary: StageVocabulary | None = None) -> str:
    """``won``, ``lost`` or ``open`` from a stage name such as 'Closed Won', 'closedlost' or 'Closed - No Decision'.

    A stage nobody recognises counts as open (the import reports it).
    """
    return (vocabulary or StageVocabulary()).status(stage) or "open"


# reading -----------------------------------------------------------------
def _delimiter(text: str) -> str:
    """The delimiter that splits the first rows into the same number of fields as the header, most often."""
    sample = text[:65536]
    best, best_score = ",", (-1, 0)
    for candidate in _DELIMITERS:
        counts: list[int] = []
        reader = csv.reader(io.StringIO(sample), delimiter=candidate)
        try:
            for row in reader:
                counts.append(len(row))
                if len(counts) > 50:
                    break
        except csv.Error:
            pass
        if not counts or counts[0] < 2:
            continue
        score = (sum(1 for count in counts[1:] if count == counts[0]), counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def _read_csv(text: str, source: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]], list[tuple[int, str]], str]:
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)  # RFC 4180: doublequote, quoted newlines
    records: list[tuple[int, list[str]]] = []
    broken: list[tuple[int, str]] = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if "end of data" in str(exc):
                raise InputError(f"{source}: malformed CSV: the quote opened on line {start} is never closed") from None
            broken.append((start, f"line {start}: malformed CSV ({exc})"))
            continue
        if any(cell.strip() for cell in cells):
            records.append((start, cells))
    if not records:
        raise InputError(f"{source}: the CSV file has no rows")
    headers = [cell.strip() for cell in records[0][1]]
    while headers and headers[-1] == "":
        headers.pop()
    if len(set(headers)) != len(headers) or "" in headers:
        raise InputError(f"{source}: the CSV header row has empty or repeated column names")
    rows: list[tuple[int, dict[str, Any]]] = []
    for line, cells in records[1:]:
        if len(cells) > len(headers) and not any(cell.strip() for cell in cells[len(headers):]):
            cells = cells[: len(headers)]
        if len(cells) != len(headers):
            broken.append((line, f"line {line}: {len(cells)} fields, the header has {len(headers)}"))
            continue
        rows.append((line, dict(zip(headers, cells))))
    return headers, rows, broken, delimiter


def _read_json(text: str, source: str) -> tuple[list[str], list[tuple[int, dict[str, Any]]]]:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        where = f" at line {exc.lineno}: {exc.msg}" if isinstance(exc, json.JSONDecodeError) else ": nested too deeply"
        raise InputError(f"{source}: invalid JSON{where}") from None
    if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), list):
        data = next(iter(data.values()))
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise InputError(f"{source}: JSON export must be a list of objects")
    headers = list(dict.fromkeys(str(key) for row in data for key in row))
    return headers, [(number, {str(k): v for k, v in row.items()}) for number, row in enumerate(data, start=1)]


def _match_columns(headers: list[str], fields: dict[str, tuple[str, ...]], mapping: dict[str, str], source: str) -> dict[str, str]:
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(_norm(header), header)
    columns: dict[str, str] = {}
    for field_name, column in mapping.items():
        if field_name not in fields:
            continue
        if column not in headers and _norm(column) not in by_norm:
            raise MappingError(f"{source}: --map {field_name}={column}: no such column (columns: {', '.join(headers)})")
        columns[field_name] = column if column in headers else by_norm[_norm(column)]
    for field_name, aliases in fields.items():
        if field_name in columns:
            continue
        for alias in aliases:
            header = by_norm.get(_norm(alias))
            if header is not None and header not in columns.values():
                columns[field_name] = header
                break
    return columns


def _detect_kind(headers: list[str], mapping: dict[str, str]) -> RecordKind:
    normed = {_norm(header) for header in headers} | {_norm(column) for column in mapping.values()}
    has = lambda kind, name: bool(normed & {_norm(alias) for alias in FIELDS[kind][name]}) or name in mapping  # noqa: E731
    if has("deals", "stage"):
        return "deals"
    if has("accounts", "account") and any(has("accounts", name) for name in ("sector", "employees", "revenue", "year_established", "subsidiary_of")):
        return "accounts"
    if (has("products", "product") and any(has("products", name) for name in ("series", "price", "sku"))
            and not any(has("deals", name) for name in ("account", "rep", "amount", "close_date"))):
        return "products"  # a price list, not deals that name their product
    if has("deals", "id") and not has("reps", "manager"):
        return "deals"
    return "reps"


# converting --------------------------------------------------------------
@dataclass
class _Decisions:
    marks: dict[str, str | None]
    dayfirst: bool
    notes: list[str]


def _decide(kind: RecordKind, raw_rows: list[tuple[int, dict[str, Any]]], columns: dict[str, str], delimiter: str | None,
            options: ReadOptions) -> _Decisions:
    notes: list[str] = []
    if delimiter and delimiter != ",":
        notes.append(f"delimiter: {'tab' if delimiter == chr(9) else repr(delimiter)}")
    dates = [raw.get(columns[name]) for name in DATE_FIELDS if name in columns for _, raw in raw_rows]
    if options.dayfirst is not None:
        dayfirst = options.dayfirst
        notes.append(f"dates read {'day' if dayfirst else 'month'}-first, as asked")
    else:
        order = date_order(dates, semicolons=delimiter == ";")
        dayfirst = order.dayfirst
        if any(isinstance(value, str) and re.match(r"\s*\d{1,2}[/.\-]\d{1,2}[/.\-]", value) for value in dates):
            notes.append(order.reason)
    marks: dict[str, str | None] = {}
    for name in sorted(AMOUNT_FIELDS | WHOLE_FIELDS):
        if name not in columns:
            continue
        if options.decimal:
            marks[name] = options.decimal
            continue
        mark = decimal_mark(raw.get(columns[name]) for _, raw in raw_rows)
        marks[name] = mark.mark
        if name in AMOUNT_FIELDS and (mark.mark == "," or mark.conflicting or (mark.mark is None and mark.ambiguous)):
            notes.append(f"column '{columns[name]}': {mark.reason}")
    return _Decisions(marks, dayfirst, notes)


def _convert(kind: RecordKind, raw: dict[str, Any], columns: dict[str, str], decided: _Decisions) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field_name, column in columns.items():
        value = raw.get(column)
        try:
            if field_name in DATE_FIELDS:
                row[field_name] = parse_date(value, decided.dayfirst)
            elif field_name in AMOUNT_FIELDS:
                row[field_name] = parse_amount(value, decided.marks.get(field_name))
            elif field_name in WHOLE_FIELDS:
                number = parse_amount(value, decided.marks.get(field_name))
                row[field_name] = None if number is None else int(number)
            else:
                text = "" if value is None else str(value)
                row[field_name] = (text.replace("\r\n", "\n").strip() if field_name == "notes" else " ".join(text.split())) or None
        except ValueError as exc:
            raise ValueError(f"column '{column}': {exc}") from None
    return row


def read_crm_table(
    source: str,
    text: str,
    suffix: str,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    kind: RecordKind | None = None,
    options: ReadOptions | None = None,
) -> CrmTable:
    """Parse a CSV or JSON export into deal, rep, account or product rows; ``kind`` is detected from headers when None.

    Unusable rows are skipped and listed in :attr:`CrmTable.skipped`; ``InputError`` when no row is
    usable, or (``options.strict``) when any row was skipped or any stage is unrecognised.
    """
    options = options or ReadOptions()
    if preset is not None and preset not in PRESETS:
        raise MappingError(f"unknown preset '{preset}' (presets: {', '.join(PRESETS)})")
    mapping = mapping or {}
    text = text.removeprefix("\ufeff")
    delimiter = None
    if suffix == ".json":
        headers, raw_rows = _read_json(text, source)
        skipped: list[tuple[int, str]] = []
    else:
        headers, raw_rows, skipped, delimiter = _read_csv(text, source)
    if not raw_rows and not skipped:
        raise InputError(f"{source}: the export has a header but no rows")
    standard = {key: value for key, value in (PRESETS[preset] if preset else {}).items() if value in headers}
    kind = kind or _detect_kind(headers, {**standard, **mapping})
    columns = _match_columns(headers, FIELDS[kind], {**standard, **mapping}, source)
    key = KEYS[kind]
    if key not in columns:
        raise MappingError(f"{source}: no column for {key} in this {kind} export (columns: {', '.join(headers)}); use --map {key}=COLUMN")
    decided = _decide(kind, raw_rows, columns, delimiter, options)
    vocabulary = StageVocabulary(options.stages)
    rows: list[dict[str, Any]] = []
    first_line: dict[str, int] = {}
    unknown: Counter[str] = Counter()
    currencies: Counter[str] = Counter()
    unit = "line" if delimiter else "record"
    priced = PRICED.get(kind)
    for line, raw in raw_rows:
        try:
            row = _convert(kind, raw, columns, decided)
        except ValueError as exc:
            skipped.append((line, f"{unit} {line}: {exc}"))
            continue
        identity = row.get(key)
        if not identity:
            skipped.append((line, f"{unit} {line}: no {key} (column '{columns[key]}' is empty)"))
            continue
        folded = identity.casefold() if kind != "deals" else identity
        if folded in first_line:
            skipped.append((line, f"{unit} {line}: repeated {key} '{identity}' (first on {unit} {first_line[folded]})"))
            continue
        first_line[folded] = line
        if kind == "deals":
            meaning = vocabulary.meaning(row.get("stage"))
            row["status"] = meaning.outcome or "open"
            if meaning.outcome is None and row.get("stage"):
                unknown[row["stage"]] += 1
        if priced:
            named = _currency_code(row.get("currency"), options.currency) or amount_currency(raw.get(columns.get(priced, "")), options.currency)
            row["currency"] = named
            if named:
                currencies[named] += 1
        rows.append(row)
    skipped.sort()
    if not rows:
        first = skipped[0][1] if skipped else "no rows"
        more = f" (and {len(skipped) - 1} more rows skipped)" if len(skipped) > 1 else ""
        raise InputError(f"{source}: nothing to import: {first}{more}")
    currency = None
    if priced:
        currency = currencies.most_common(1)[0][0] if currencies else default_currency(options.currency)
        for row in rows:
            row["currency"] = row["currency"] or currency
        if len(currencies) > 1:
            decided.notes.append(f"{priced}s in several currencies ({', '.join(sorted(currencies))}): each {kind[:-1]} keeps its own")
    if kind == "deals":
        blank = sum(1 for row in rows if not row.get("stage"))
        if blank:
            decided.notes.append(f"{blank} deals have no stage: counted as open")
    table = CrmTable(kind, rows, columns, tuple(h for h in headers if h not in columns.values()), tuple(skipped),
                     tuple(unknown.most_common()), tuple(decided.notes), currency)
    if options.strict and (table.skipped or table.unknown_stages):
        raise InputError(f"{source}: --strict: nothing imported, because {table.problems(1)[0]}"
                         + (f" ({len(table.skipped)} rows skipped in all)" if len(table.skipped) > 1 else ""))
    return table


def _currency_code(value: str | None, preferred: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().upper()
    return code if re.fullmatch(r"[A-Z]{3}", code) else amount_currency(value, preferred)


def deal_documents(table: CrmTable, source: str, next_steps: bool = False) -> list[Document]:
    """One retrievable document per deal with notes, linked by deal id and rep.

    Only notes are worth a search: a next step is a one-liner the deal's record already holds, and
    embedding one per deal costs more than the notes of a whole export. ``next_steps`` adds them (and a
    document for a deal that has only a next step).
    """
    documents = []
    for row in table.rows:
        notes = row.get("notes")
        step = row.get("next_step") if next_steps else None
        if not notes and not step:
            continue
        lines = [f"## Notes\n\n{notes}"] if notes else []
        if step:
            lines.append(f"## Next step\n\n{step}")
        title = f"{row['account']}: {row.get('name') or row['id']}" if row.get("account") else (row.get("name") or row["id"])
        documents.append(
            Document(
                key=f"deal:{row['id']}",
                source=source,
                kind="deal_note",
                title=title,
                body="\n\n".join(lines),
                stages=tuple(filter(None, [row.get("stage")])),
                deal_id=row["id"],
                rep=row.get("rep"),
                extra={"account": row.get("account")},
            )
        )
    return documents
