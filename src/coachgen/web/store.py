"""What the web app keeps between requests in the project's SQLite: drills being played, and generated artifacts."""

from __future__ import annotations

import secrets
import sqlite3
from typing import Any

from coachgen.artifacts.common import utc_now

__all__ = ["WebStore"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS web_drills (id TEXT PRIMARY KEY, rep TEXT NOT NULL, created_at TEXT NOT NULL, turns INTEGER NOT NULL,
                                       card TEXT NOT NULL, transcript TEXT NOT NULL, attempt TEXT, sources TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS web_drills_rep ON web_drills(rep, created_at);
CREATE TABLE IF NOT EXISTS web_artifacts (kind TEXT NOT NULL, key TEXT NOT NULL, created_at TEXT NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS web_artifacts_key ON web_artifacts(kind, key, created_at);
"""


class WebStore:
    """Drill sessions in progress (card, transcript, the scored attempt when over) and the latest artifact per key."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.db.executescript(_SCHEMA)

    def new_drill(self, rep: str, turns: int, card_json: str, transcript_json: str, sources_json: str) -> str:
        """Store a drill about to be played; its id (random, so ids cannot be guessed)."""
        drill_id = secrets.token_urlsafe(9)
        self.db.execute("INSERT INTO web_drills(id, rep, created_at, turns, card, transcript, attempt, sources) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                        (drill_id, rep, utc_now(), turns, card_json, transcript_json, sources_json))
        return drill_id

    def drill(self, drill_id: str) -> dict[str, Any] | None:
        """One drill session, or None."""
        row = self.db.execute("SELECT * FROM web_drills WHERE id = ?", (drill_id,)).fetchone()
        return dict(row) if row else None

    def update_drill(self, drill_id: str, transcript_json: str, attempt_json: str | None = None) -> None:
        """Save the transcript so far, and the scored attempt once the drill is over."""
        self.db.execute("UPDATE web_drills SET transcript = ?, attempt = coalesce(?, attempt) WHERE id = ?", (transcript_json, attempt_json, drill_id))

    def drills(self, rep: str) -> list[dict[str, Any]]:
        """A rep's drill sessions, newest first."""
        return [dict(r) for r in self.db.execute("SELECT * FROM web_drills WHERE lower(rep) = lower(?) ORDER BY created_at DESC", (rep,))]

    def save(self, kind: str, key: str, data_json: str) -> None:
        """Keep a generated artifact (a development plan, a debrief) under ``kind`` and ``key``."""
        self.db.execute("INSERT INTO web_artifacts(kind, key, created_at, data) VALUES (?, ?, ?, ?)", (kind, key.casefold(), utc_now(), data_json))

    def latest(self, kind: str, key: str) -> str | None:
        """The newest artifact of ``kind`` under ``key``, as JSON."""
        row = self.db.execute("SELECT data FROM web_artifacts WHERE kind = ? AND key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
                              (kind, key.casefold())).fetchone()
        return row["data"] if row else None
