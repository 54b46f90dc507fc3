"""Structured records in SQLite: deals, reps, accounts and products imported from CRM exports, and what coachgen logs.

Every CRM column is untrusted text (an export can carry anything a person typed, or a payload). The
readers (:meth:`Records.deal`, :meth:`Records.deals`, :meth:`Records.reps`, :meth:`Records.accounts`,
:meth:`Records.products`, :meth:`Records.coaching`, :meth:`Records.log`, :meth:`Records.notes`) return every text value
neutralised (:mod:`coachgen.untrusted`): one-line columns with :func:`neutralise_line`, notes and
contacts with :func:`neutralise`. What is stored stays as imported; only a backup reads it raw
(``raw=True``).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from coachgen.errors import NotFoundError
from coachgen.untrusted import neutralise, neutralise_line

__all__ = ["ACCOUNT_COLUMNS", "ATTEMPT_COLUMNS", "DEAL_COLUMNS", "PRODUCT_COLUMNS", "REP_COLUMNS", "ImportCounts", "Records", "deal_label"]

#: Columns of the deals table; ``currency`` is the ISO code of ``amount``; ``missing_since`` the day a
#: re-import of the deal's export no longer held it (None while it is there); ``lost_reason`` the CRM's
#: closed-lost reason field.
DEAL_COLUMNS = (
    "id", "name", "account", "rep", "stage", "status", "amount", "created", "close_date",
    "stage_changed", "last_activity", "next_step", "product", "contacts", "notes", "source",
    "currency", "missing_since", "lost_reason",
)
REP_COLUMNS = ("rep", "manager", "region", "quota", "email", "source")
ACCOUNT_COLUMNS = ("account", "sector", "employees", "revenue", "year_established", "office_location", "subsidiary_of", "website", "source")
#: Columns of the products table; ``currency`` is the ISO code of ``price``.
PRODUCT_COLUMNS = ("product", "series", "price", "currency", "sku", "source")
_NUMERIC = {"amount", "quota", "revenue", "employees", "year_established", "price"}
ATTEMPT_COLUMNS = ("rep", "created_at", "objection_key", "objection", "rubric_id", "rubric_version", "rubric_sha", "mode",
                   "score", "passed", "scorecard", "transcript")
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS deals ({', '.join(c + (' TEXT PRIMARY KEY' if c == 'id' else ' REAL' if c == 'amount' else ' TEXT') for c in DEAL_COLUMNS)});
CREATE INDEX IF NOT EXISTS deals_rep ON deals(rep);
CREATE TABLE IF NOT EXISTS deal_log (deal_id TEXT NOT NULL, created_at TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS deal_log_deal ON deal_log(deal_id, created_at);
CREATE TABLE IF NOT EXISTS coaching_log (rep TEXT NOT NULL, day TEXT NOT NULL, minutes INTEGER NOT NULL, type TEXT NOT NULL, note TEXT);
CREATE INDEX IF NOT EXISTS coaching_log_day ON coaching_log(day);
CREATE TABLE IF NOT EXISTS debriefs (deal_id TEXT NOT NULL, created_at TEXT NOT NULL, debrief TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS plans (deal_id TEXT NOT NULL, created_at TEXT NOT NULL, plan TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS plans_deal ON plans(deal_id, created_at);
CREATE TABLE IF NOT EXISTS rubrics (id TEXT PRIMARY KEY, version TEXT NOT NULL, sha256 TEXT NOT NULL, source TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS drill_attempts (
    rep TEXT NOT NULL, created_at TEXT NOT NULL, objection_key TEXT NOT NULL, objection TEXT NOT NULL,
    rubric_id TEXT NOT NULL, rubric_version TEXT NOT NULL, rubric_sha TEXT NOT NULL, mode TEXT NOT NULL,
    score REAL NOT NULL, passed INTEGER NOT NULL, scorecard TEXT NOT NULL, transcript TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS drill_attempts_rep ON drill_attempts(rep, created_at);
CREATE TABLE IF NOT EXISTS reps ({', '.join(c + (' TEXT PRIMARY KEY' if c == 'rep' else ' REAL' if c == 'quota' else ' TEXT') for c in REP_COLUMNS)});
CREATE TABLE IF NOT EXISTS accounts ({', '.join(c + (' TEXT PRIMARY KEY COLLATE NOCASE' if c == 'account' else ' REAL' if c in _NUMERIC else ' TEXT') for c in ACCOUNT_COLUMNS)});
CREATE TABLE IF NOT EXISTS products ({', '.join(c + (' TEXT PRIMARY KEY COLLATE NOCASE' if c == 'product' else ' REAL' if c in _NUMERIC else ' TEXT') for c in PRODUCT_COLUMNS)});
"""


@dataclass(frozen=True)
class ImportCounts:
    """What an import did to the records."""

    added: int
    updated: int
    unchanged: int


def deal_label(deal: Mapping[str, Any] | Any) -> str:
    """How a deal is named to people: its account, else its name, else its id (a record dict or deal facts)."""
    get = deal.get if isinstance(deal, Mapping) else (lambda key: getattr(deal, key, None))
    return get("account") or get("name") or str(get("id"))


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


#: Columns whose line breaks mean something (a list of contacts, paragraphs of notes); every other column is one line.
_MULTILINE = frozenset({"notes", "contacts", "text", "note"})


def _neutral(row: sqlite3.Row) -> dict[str, Any]:
    """A stored row as artifacts may see it: every text value neutralised."""
    return {key: (neutralise(value) if key in _MULTILINE else neutralise_line(value)) if isinstance(value, str) else value
            for key, value in zip(row.keys(), row)}


class Records:
    """Deals, reps, accounts and products, upserted by id or name."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection
        self.db.executescript(_SCHEMA)
        present = {row[1] for row in self.db.execute("PRAGMA table_info(deals)")}
        for column in DEAL_COLUMNS:
            if column not in present:  # an index written before the column existed
                self.db.execute(f"ALTER TABLE deals ADD COLUMN {column} {'REAL' if column in _NUMERIC else 'TEXT'}")

    def _upsert(self, table: str, key: str, columns: tuple[str, ...], rows: list[dict[str, Any]], source: str) -> ImportCounts:
        selected = ", ".join(columns)
        old = {row[0]: tuple(row) for row in self.db.execute(f"SELECT {selected} FROM {table}")}
        changed: list[tuple[Any, ...]] = []
        added = unchanged = 0
        for row in rows:
            values = tuple(_stored(row.get(column)) if column != "source" else source for column in columns)
            before = old.get(values[0])
            if before == values:
                unchanged += 1
                continue
            changed.append(values)
            added += before is None
        placeholders = ", ".join("?" * len(columns))
        updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column != key)
        self.db.executemany(f"INSERT INTO {table}({selected}) VALUES ({placeholders}) ON CONFLICT({key}) DO UPDATE SET {updates}", changed)
        return ImportCounts(added, len(changed) - added, unchanged)

    def upsert_deals(self, rows: list[dict[str, Any]], source: str) -> ImportCounts:
        """Insert or update deals by id (call inside a transaction); a deal that is back loses ``missing_since``."""
        return self._upsert("deals", "id", DEAL_COLUMNS, rows, source)

    def mark_missing(self, source: str, present: set[str], day: date) -> list[str]:
        """Mark the deals last imported from ``source`` that its new export no longer holds; their ids, newly marked first.

        They stay in the records (notes and plans keep their deal) with ``missing_since`` set, and the
        pipeline leaves them out of open pipeline (call inside the import's transaction).
        """
        gone = [row["id"] for row in self.db.execute("SELECT id, missing_since FROM deals WHERE source = ? ORDER BY id", (source,))
                if row["id"] not in present]
        self.db.executemany("UPDATE deals SET missing_since = ? WHERE id = ? AND missing_since IS NULL", [(day.isoformat(), i) for i in gone])
        return gone

    def close_missing(self, present: set[str], day: date) -> list[str]:
        """Close every open deal that ``present`` (the ids of a whole new export) does not hold; their ids.

        Their status becomes ``closed`` (gone from the CRM, outcome unknown: neither won nor lost) and
        ``missing_since`` is set; stage, notes and plans stay, and a later import that holds the deal
        reopens it (call inside the import's transaction).
        """
        gone = [row["id"] for row in self.db.execute("SELECT id FROM deals WHERE status = 'open' ORDER BY id") if row["id"] not in present]
        self.db.executemany("UPDATE deals SET status = 'closed', missing_since = coalesce(missing_since, ?) WHERE id = ?",
                            [(day.isoformat(), i) for i in gone])
        return gone

    def upsert_reps(self, rows: list[dict[str, Any]], source: str) -> ImportCounts:
        """Insert or update reps by name (call inside a transaction)."""
        return self._upsert("reps", "rep", REP_COLUMNS, rows, source)

    def _upsert_named(self, table: str, key: str, columns: tuple[str, ...], rows: list[dict[str, Any]], source: str) -> ImportCounts:
        """Upsert by a name matched without case: a row keeps the spelling already stored."""
        known = {row[0].casefold(): row[0] for row in self.db.execute(f"SELECT {key} FROM {table}")}
        rows = [{**row, key: known.get(row[key].casefold(), row[key])} for row in rows]
        return self._upsert(table, key, columns, rows, source)

    def upsert_accounts(self, rows: list[dict[str, Any]], source: str) -> ImportCounts:
        """Insert or update accounts by name, matched without case (call inside a transaction)."""
        return self._upsert_named("accounts", "account", ACCOUNT_COLUMNS, rows, source)

    def upsert_products(self, rows: list[dict[str, Any]], source: str) -> ImportCounts:
        """Insert or update products by name, matched without case (call inside a transaction)."""
        return self._upsert_named("products", "product", PRODUCT_COLUMNS, rows, source)

    def products(self, *, raw: bool = False) -> list[dict[str, Any]]:
        """Every imported product, neutralised unless ``raw``."""
        return self._select("products", [], [], raw)

    def accounts(self, *, raw: bool = False) -> list[dict[str, Any]]:
        """Every imported account, neutralised unless ``raw``."""
        return self._select("accounts", [], [], raw)

    def account(self, name: str) -> dict[str, Any] | None:
        """One account by name (without case), neutralised, or None."""
        row = self.db.execute("SELECT * FROM accounts WHERE account = ?", (name,)).fetchone()
        return _neutral(row) if row else None

    def _select(self, table: str, clauses: list[str], args: list[Any], raw: bool) -> list[dict[str, Any]]:
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self.db.execute(f"SELECT * FROM {table} {where} ORDER BY {'id' if table == 'deals' else table[:-1]}", args)
        return [dict(row) if raw else _neutral(row) for row in rows]

    def deals(self, rep: str | None = None, status: str | None = None, stage: str | None = None, *, raw: bool = False) -> list[dict[str, Any]]:
        """Deals, optionally for one rep, status (open/won/lost, or closed: gone from an export imported with --replace) or stage.

        Neutralised unless ``raw`` (backups only); rep and stage match without case, as stored or as the readers show them.
        """
        clauses, args = [], []
        for column, value in (("rep", rep), ("status", status), ("stage", stage)):
            if value:
                clauses.append(f"lower({column}) = lower(?)")
                args.append(value)
        found = self._select("deals", clauses, args, raw)
        if found or raw or not (rep or stage):
            return found
        wanted = {column: value.casefold() for column, value in (("rep", rep), ("stage", stage)) if value}
        return [deal for deal in self.deals(status=status) if all((deal[c] or "").casefold() == v for c, v in wanted.items())]

    def deal(self, deal_id: str, *, raw: bool = False) -> dict[str, Any]:
        """One deal by id (as stored, or as the readers show it), neutralised unless ``raw``."""
        row = self.db.execute("SELECT * FROM deals WHERE id = ?", (deal_id,)).fetchone()
        if row is None:
            row = next((r for r in self.db.execute("SELECT * FROM deals ORDER BY id") if neutralise_line(r["id"]) == deal_id), None)
        if row is None:
            raise NotFoundError(f"no deal with id '{deal_id}'; 'coachgen deals list' shows the imported deals")
        return dict(row) if raw else _neutral(row)

    def reps(self, *, raw: bool = False) -> list[dict[str, Any]]:
        """Every rep on the roster, neutralised unless ``raw`` (backups only)."""
        return self._select("reps", [], [], raw)

    def rep_name(self, name: str) -> str:
        """The rep as the roster or the deals show it (matched without case); ``NotFoundError`` if unknown."""
        known = {r["rep"] for r in self.reps()} | {neutralise_line(row["rep"]) for row in self.db.execute("SELECT DISTINCT rep FROM deals WHERE rep IS NOT NULL")}
        match = next((rep for rep in sorted(known) if rep.lower() == name.strip().lower()), None)
        if match is None:
            raise NotFoundError(f"no rep '{name}' on the roster or the deals; 'coachgen reps list' shows them")
        return match

    def save_rubric(self, rubric_id: str, version: str, sha256: str, source: str, data_json: str) -> None:
        """Store a validated rubric (call inside a transaction); a rubric with the same id is replaced."""
        self.db.execute("INSERT INTO rubrics(id, version, sha256, source, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                        "version = excluded.version, sha256 = excluded.sha256, source = excluded.source, data = excluded.data",
                        (rubric_id, version, sha256, source, data_json))

    def rubric(self, rubric_id: str) -> str | None:
        """A stored rubric as JSON."""
        row = self.db.execute("SELECT data FROM rubrics WHERE id = ?", (rubric_id,)).fetchone()
        return row["data"] if row else None

    def rubric_ids(self) -> list[str]:
        """Ids of the stored rubrics."""
        return [row["id"] for row in self.db.execute("SELECT id FROM rubrics ORDER BY id")]

    def forget_rubrics(self, source: str) -> None:
        """Drop the rubrics read from a source file that left the index."""
        self.db.execute("DELETE FROM rubrics WHERE source = ?", (source,))

    def add_attempt(self, attempt: dict[str, Any]) -> None:
        """Store one drill attempt (``ATTEMPT_COLUMNS``)."""
        self.db.execute(f"INSERT INTO drill_attempts({', '.join(ATTEMPT_COLUMNS)}) VALUES ({', '.join('?' * len(ATTEMPT_COLUMNS))})",
                        tuple(attempt[column] for column in ATTEMPT_COLUMNS))

    def attempts(self, rep: str | None = None) -> list[dict[str, Any]]:
        """Drill attempts, oldest first, optionally for one rep."""
        where, args = ("WHERE lower(rep) = lower(?)", (rep,)) if rep else ("", ())
        return [dict(row) for row in self.db.execute(f"SELECT * FROM drill_attempts {where} ORDER BY created_at, rowid", args)]

    def save_plan(self, deal_id: str, created_at: str, plan_json: str) -> None:
        """Keep a generated pre-call plan with its deal."""
        self.db.execute("INSERT INTO plans(deal_id, created_at, plan) VALUES (?, ?, ?)", (deal_id, created_at, plan_json))

    def latest_plan(self, deal_id: str) -> str | None:
        """The most recent stored plan of a deal, as JSON."""
        row = self.db.execute("SELECT plan FROM plans WHERE deal_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", (deal_id,)).fetchone()
        return row["plan"] if row else None

    def add_log(self, deal_id: str, created_at: str, kind: str, text: str) -> bool:
        """Append call notes or debrief answers to a deal; False when the same text is already there."""
        self.deal(deal_id)
        if self.db.execute("SELECT 1 FROM deal_log WHERE deal_id = ? AND kind = ? AND text = ?", (deal_id, kind, text)).fetchone():
            return False
        self.db.execute("INSERT INTO deal_log(deal_id, created_at, kind, text) VALUES (?, ?, ?, ?)", (deal_id, created_at, kind, text))
        return True

    def log(self, deal_id: str, *, raw: bool = False) -> list[dict[str, Any]]:
        """A deal's appended notes, oldest first, neutralised unless ``raw``."""
        rows = self.db.execute("SELECT created_at, kind, text FROM deal_log WHERE deal_id = ? ORDER BY created_at, rowid", (deal_id,))
        return [dict(row) if raw else _neutral(row) for row in rows]

    def notes(self, deal_id: str) -> str:
        """The CRM notes of a deal followed by everything appended since (call notes, debrief answers), neutralised.

        Notes are untrusted text: instruction-like sentences, HTML and links are removed (:mod:`coachgen.untrusted`).
        """
        deal = self.deal(deal_id, raw=True)
        entries = [f"{e['created_at'][:10]} ({e['kind']}): {e['text']}" for e in self.log(deal["id"], raw=True)]
        return neutralise("\n".join([deal["notes"] or "", *entries]).strip())

    def log_coaching(self, rep: str, day: str, minutes: int, kind: str, note: str | None = None) -> None:
        """Record coaching time spent with a rep."""
        self.db.execute("INSERT INTO coaching_log(rep, day, minutes, type, note) VALUES (?, ?, ?, ?, ?)", (rep, day, minutes, kind, note))

    def coaching(self, start: str, end: str) -> list[dict[str, Any]]:
        """Coaching entries with ``start <= day <= end`` (ISO dates), neutralised."""
        rows = self.db.execute("SELECT * FROM coaching_log WHERE day BETWEEN ? AND ? ORDER BY day, rowid", (start, end))
        return [_neutral(row) for row in rows]

    def save_debrief(self, deal_id: str, created_at: str, debrief_json: str) -> None:
        """Keep a generated debrief (the weekly agenda reads the skills it names)."""
        self.db.execute("INSERT INTO debriefs(deal_id, created_at, debrief) VALUES (?, ?, ?)", (deal_id, created_at, debrief_json))

    def debriefs_since(self, created_after: str) -> list[str]:
        """Debriefs generated after a time, as JSON."""
        return [row["debrief"] for row in self.db.execute("SELECT debrief FROM debriefs WHERE created_at >= ? ORDER BY created_at", (created_after,))]

    def latest_debrief(self, deal_id: str) -> str | None:
        """The most recent stored debrief of a deal, as JSON."""
        row = self.db.execute("SELECT debrief FROM debriefs WHERE deal_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1", (deal_id,)).fetchone()
        return row["debrief"] if row else None
