"""CRM exports (CSV or JSON) of deals and rep rosters, mapped onto coachgen's fields.

Headers are matched case- and punctuation-insensitively against each field's
aliases; ``--map field=column`` and the Salesforce / HubSpot presets add more.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from coachgen.errors import InputError, MappingError
from coachgen.ingest.documents import Document

__all__ = [
    "DEAL_FIELDS",
    "PRESETS",
    "REP_FIELDS",
    "CrmTable",
    "deal_status",
    "parse_amount",
    "parse_date",
    "parse_mapping",
    "read_crm_table",
]

RecordKind = Literal["deals", "reps"]

#: Deal fields and the headers each is recognised by.
DEAL_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "deal id", "deal_id", "opportunity id", "opportunity_id", "record id"),
    "name": ("name", "deal name", "deal", "opportunity name", "opportunity"),
    "account": ("account", "account name", "company", "customer"),
    "rep": ("rep", "owner", "deal owner", "opportunity owner", "sales rep", "sales agent", "agent"),
    "stage": ("stage", "deal stage", "deal_stage", "opportunity stage"),
    "amount": ("amount", "value", "deal value", "close value", "deal amount"),
    "created": ("created", "created date", "create date", "engage date", "open date", "opened"),
    "close_date": ("close date", "close_date", "closed", "expected close date"),
    "stage_changed": ("stage changed", "stage_changed", "last stage change date", "stage date"),
    "last_activity": ("last activity", "last_activity", "last activity date"),
    "next_step": ("next step", "next_step", "nextstep"),
    "product": ("product", "products"),
    "contacts": ("contacts", "contact", "stakeholders"),
    "notes": ("notes", "note", "description", "deal description", "comments"),
}
#: Rep roster fields and their headers.
REP_FIELDS: dict[str, tuple[str, ...]] = {
    "rep": ("rep", "name", "rep name", "sales agent", "agent", "full name", "user"),
    "manager": ("manager", "sales manager", "reports to"),
    "region": ("region", "regional office", "office", "territory"),
    "quota": ("quota", "annual quota", "quota amount"),
    "email": ("email", "email address"),
}
#: Standard export headers of common CRMs, field -> header.
PRESETS: dict[str, dict[str, str]] = {
    "salesforce": {
        "id": "Opportunity ID", "name": "Opportunity Name", "account": "Account Name",
        "rep": "Opportunity Owner", "stage": "Stage", "amount": "Amount", "created": "Created Date",
        "close_date": "Close Date", "stage_changed": "Last Stage Change Date",
        "last_activity": "Last Activity", "next_step": "Next Step", "notes": "Description",
    },
    "hubspot": {
        "id": "Record ID", "name": "Deal Name", "account": "Associated Company",
        "rep": "Deal owner", "stage": "Deal Stage", "amount": "Amount", "created": "Create Date",
        "close_date": "Close Date", "last_activity": "Last Activity Date", "next_step": "Next step",
        "notes": "Deal Description",
    },
}
REQUIRED: dict[RecordKind, tuple[str, ...]] = {"deals": ("id", "account", "stage"), "reps": ("rep",)}
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%d.%m.%Y", "%Y/%m/%d", "%d %b %Y", "%b %d, %Y")


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.lower()).strip()


@dataclass(frozen=True)
class CrmTable:
    """Rows of one export, keyed by coachgen field names."""

    kind: RecordKind
    rows: list[dict[str, Any]]
    columns: dict[str, str]
    ignored: tuple[str, ...]


def parse_mapping(spec: str | None) -> dict[str, str]:
    """``"id=Opp Id,rep=Owner"`` as ``{"id": "Opp Id", "rep": "Owner"}``."""
    if not spec:
        return {}
    mapping: dict[str, str] = {}
    known = set(DEAL_FIELDS) | set(REP_FIELDS)
    for part in spec.split(","):
        field_name, sep, column = part.partition("=")
        field_name, column = field_name.strip(), column.strip()
        if not sep or not field_name or not column:
            raise MappingError(f"--map: '{part.strip()}' is not field=column")
        if field_name not in known:
            raise MappingError(f"--map: unknown field '{field_name}' (fields: {', '.join(sorted(known))})")
        mapping[field_name] = column
    return mapping


def parse_date(value: Any) -> date | None:
    """A date from ISO, US or European text; blank is None."""
    if value is None or (text := str(value).strip()) == "":
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"'{text}' is not a date")


def parse_amount(value: Any) -> float | None:
    """A number from text like ``$12,500.00``, ``12500 USD`` or ``12.5k``; blank is None."""
    if value is None or (text := str(value).strip()) == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    match = re.fullmatch(r"[A-Z]{0,3}\s*[$€£]?\s*(-?[\d,]*\.?\d+)\s*([kKmM]?)\s*[A-Z]{0,3}", text)
    if not match:
        raise ValueError(f"'{text}' is not an amount")
    number = float(match.group(1).replace(",", ""))
    return number * {"": 1, "k": 1e3, "m": 1e6}[match.group(2).lower()]


def deal_status(stage: str) -> str:
    """``won``, ``lost`` or ``open`` from a stage name such as 'Closed Won' or 'closedlost'."""
    lowered = stage.lower()
    if "won" in lowered:
        return "won"
    if "lost" in lowered:
        return "lost"
    return "open"


def _read_rows(text: str, suffix: str, source: str) -> tuple[list[str], list[dict[str, Any]]]:
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{source}: invalid JSON at line {exc.lineno}: {exc.msg}") from None
        if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), list):
            data = next(iter(data.values()))
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise InputError(f"{source}: JSON export must be a list of objects")
        headers = list(dict.fromkeys(key for row in data for key in row))
        return headers, data
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        table = list(reader)
    except csv.Error as exc:
        raise InputError(f"{source}: malformed CSV at line {reader.line_num}: {exc}") from None
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise InputError(f"{source}: the CSV file has no rows")
    headers = [cell.strip() for cell in table[0]]
    if len(set(headers)) != len(headers) or "" in headers:
        raise InputError(f"{source}: the CSV header row has empty or repeated column names")
    rows = []
    for number, cells in enumerate(table[1:], start=2):
        if len(cells) != len(headers):
            raise InputError(f"{source}: malformed CSV: row {number} has {len(cells)} fields, the header has {len(headers)}")
        rows.append(dict(zip(headers, cells)))
    return headers, rows


def _match_columns(headers: list[str], fields: dict[str, tuple[str, ...]], mapping: dict[str, str], source: str) -> dict[str, str]:
    by_norm = {_norm(header): header for header in headers}
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
            if _norm(alias) in by_norm and by_norm[_norm(alias)] not in columns.values():
                columns[field_name] = by_norm[_norm(alias)]
                break
    return columns


def _detect_kind(headers: list[str], mapping: dict[str, str]) -> RecordKind:
    normed = {_norm(header) for header in headers}
    stage_like = {_norm(alias) for alias in DEAL_FIELDS["stage"]} | {_norm(mapping.get("stage", ""))}
    return "deals" if normed & stage_like else "reps"


def _convert(kind: RecordKind, raw: dict[str, Any], columns: dict[str, str], where: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field_name, column in columns.items():
        value = raw.get(column)
        try:
            if field_name in ("created", "close_date", "stage_changed", "last_activity"):
                row[field_name] = parse_date(value)
            elif field_name in ("amount", "quota"):
                row[field_name] = parse_amount(value)
            else:
                row[field_name] = None if value is None else (str(value).strip() or None)
        except ValueError as exc:
            raise InputError(f"{where}: column '{column}': {exc}") from None
    for field_name in REQUIRED[kind]:
        if not row.get(field_name):
            raise InputError(f"{where}: '{field_name}' (column '{columns[field_name]}') is empty")
    if kind == "deals":
        row["status"] = deal_status(row["stage"])
    return row


def read_crm_table(
    source: str,
    text: str,
    suffix: str,
    mapping: dict[str, str] | None = None,
    preset: str | None = None,
    kind: RecordKind | None = None,
) -> CrmTable:
    """Parse a CSV or JSON export into deal or rep rows; ``kind`` is detected from headers when None."""
    if preset is not None and preset not in PRESETS:
        raise MappingError(f"unknown preset '{preset}' (presets: {', '.join(PRESETS)})")
    mapping = mapping or {}
    headers, raw_rows = _read_rows(text, suffix, source)
    if not raw_rows:
        raise InputError(f"{source}: the export has a header but no rows")
    standard = {key: value for key, value in (PRESETS[preset] if preset else {}).items() if value in headers}
    kind = kind or _detect_kind(headers, {**standard, **mapping})
    fields = DEAL_FIELDS if kind == "deals" else REP_FIELDS
    columns = _match_columns(headers, fields, {**standard, **mapping}, source)
    missing = [field_name for field_name in REQUIRED[kind] if field_name not in columns]
    if missing:
        raise MappingError(
            f"{source}: no column for {', '.join(missing)} in this {kind} export "
            f"(columns: {', '.join(headers)}); use --map {missing[0]}=COLUMN"
        )
    rows = [_convert(kind, raw, columns, f"{source}: row {number}") for number, raw in enumerate(raw_rows, start=2)]
    if kind == "deals":
        counts = Counter(row["id"] for row in rows)
        repeated = sorted(deal_id for deal_id, count in counts.items() if count > 1)
        if repeated:
            raise InputError(f"{source}: repeated deal id(s): {', '.join(repeated[:5])}")
    ignored = tuple(header for header in headers if header not in columns.values())
    return CrmTable(kind, rows, columns, ignored)


def deal_documents(table: CrmTable, source: str) -> list[Document]:
    """One retrievable document per deal with notes, linked by deal id and rep."""
    documents = []
    for row in table.rows:
        notes = row.get("notes")
        if not notes:
            continue
        lines = [f"## Notes\n\n{notes}"]
        if row.get("next_step"):
            lines.append(f"## Next step\n\n{row['next_step']}")
        documents.append(
            Document(
                key=f"deal:{row['id']}",
                source=source,
                kind="deal_note",
                title=f"{row['account']}: {row.get('name') or row['id']}",
                body="\n\n".join(lines),
                stages=(row["stage"],),
                deal_id=row["id"],
                rep=row.get("rep"),
                extra={"account": row["account"]},
            )
        )
    return documents
