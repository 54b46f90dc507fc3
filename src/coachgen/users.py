"""People who use the team web app: their role, the CRM rep they are, their manager, and sessions.

Users live in the same SQLite file as the CRM records (``COACHGEN_HOME``). Passwords are hashed with
argon2id (``argon2-cffi``, the maintained binding of the reference implementation); the hash carries
its own parameters, so a later change of cost settings still verifies old hashes and rehashes them at
the next login. A session is a random token of which only the SHA-256 is stored, with its own CSRF
token; removing a user or resetting a password ends their sessions.

Who sees what (:func:`can_see_rep`): a rep sees themselves, a manager the reps of their team (the
roster's ``manager`` column naming the manager's CRM name, or rep users added with ``--team`` that
manager), enablement no rep's records, an admin everyone.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from coachgen.errors import InputError, NotFoundError

__all__ = ["MIN_PASSWORD", "ROLES", "SESSION_HOURS", "User", "Users", "can_see_rep"]

ROLES = ("rep", "manager", "enablement", "admin")
MIN_PASSWORD = 10
SESSION_HOURS = 12

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY COLLATE NOCASE, role TEXT NOT NULL, crm_name TEXT NOT NULL,
                                  team TEXT, password TEXT NOT NULL, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS web_sessions (token TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, expires_at TEXT NOT NULL);
"""


@dataclass(frozen=True)
class User:
    """A person who logs in: ``crm_name`` is the rep (or manager) name the CRM records use."""

    name: str
    role: str
    crm_name: str
    team: str | None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _hasher():  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    return PasswordHasher()


class Users:
    """The users table and web sessions on an open SQLite connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.db = connection
        self.db.executescript(_SCHEMA)

    # people ---------------------------------------------------------------
    def add(self, name: str, role: str, password: str, crm_name: str | None = None, team: str | None = None) -> User:
        """Add a user; ``InputError`` for a bad role, a short password or a name already taken."""
        name = " ".join(name.split())
        if not name:
            raise InputError("a user needs a name")
        if role not in ROLES:
            raise InputError(f"--role must be one of {', '.join(ROLES)}")
        _check_password(password)
        if self.find(name) is not None:
            raise InputError(f"user '{name}' exists; 'coachgen users reset' changes the password")
        if team is not None:
            manager = self.find(team)
            if manager is None or manager.role != "manager":
                raise InputError(f"--team '{team}' is not a manager user; add the manager first")
            team = manager.name
        user = User(name, role, " ".join((crm_name or name).split()), team)
        self.db.execute("INSERT INTO users(name, role, crm_name, team, password, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                        (user.name, role, user.crm_name, team, _hasher().hash(password), _now().isoformat(timespec="seconds")))
        return user

    def find(self, name: str) -> User | None:
        """A user by name (without case), or None."""
        row = self.db.execute("SELECT name, role, crm_name, team FROM users WHERE name = ?", (name.strip(),)).fetchone()
        return User(*row) if row else None

    def get(self, name: str) -> User:
        """A user by name; ``NotFoundError`` if there is none."""
        user = self.find(name)
        if user is None:
            raise NotFoundError(f"no user '{name}'; 'coachgen users list' shows them")
        return user

    def all(self) -> list[User]:
        """Every user, by name."""
        return [User(*row) for row in self.db.execute("SELECT name, role, crm_name, team FROM users ORDER BY name")]

    def remove(self, name: str) -> None:
        """Remove a user and end their sessions."""
        user = self.get(name)
        self.db.execute("DELETE FROM web_sessions WHERE user = ?", (user.name,))
        self.db.execute("DELETE FROM users WHERE name = ?", (user.name,))

    def reset(self, name: str, password: str) -> None:
        """Set a new password and end the user's sessions."""
        user = self.get(name)
        _check_password(password)
        self.db.execute("UPDATE users SET password = ? WHERE name = ?", (_hasher().hash(password), user.name))
        self.db.execute("DELETE FROM web_sessions WHERE user = ?", (user.name,))

    def verify(self, name: str, password: str) -> User | None:
        """The user when ``password`` is theirs, else None (the same work is done for an unknown name)."""
        from argon2.exceptions import InvalidHashError, VerificationError

        hasher = _hasher()
        row = self.db.execute("SELECT password FROM users WHERE name = ?", (name.strip(),)).fetchone()
        stored = row[0] if row else _DUMMY.get()
        try:
            hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None:
            return None
        if hasher.check_needs_rehash(stored):
            self.db.execute("UPDATE users SET password = ? WHERE name = ?", (hasher.hash(password), name.strip()))
        return self.find(name)

    # sessions -------------------------------------------------------------
    def open_session(self, user: User, hours: int = SESSION_HOURS) -> str:
        """A new session token for ``user`` (only its hash is stored)."""
        token = secrets.token_urlsafe(32)
        expires = (_now() + timedelta(hours=hours)).isoformat(timespec="seconds")
        self.db.execute("DELETE FROM web_sessions WHERE expires_at < ?", (_now().isoformat(timespec="seconds"),))
        self.db.execute("INSERT INTO web_sessions(token, user, csrf, expires_at) VALUES (?, ?, ?, ?)",
                        (_digest(token), user.name, secrets.token_urlsafe(32), expires))
        return token

    def session(self, token: str | None) -> tuple[User, str] | None:
        """The user and CSRF token of a live session, or None."""
        if not token:
            return None
        row = self.db.execute("SELECT user, csrf, expires_at FROM web_sessions WHERE token = ?", (_digest(token),)).fetchone()
        if row is None or row[2] < _now().isoformat(timespec="seconds"):
            return None
        user = self.find(row[0])
        return (user, row[1]) if user else None

    def close_session(self, token: str) -> None:
        """End one session (logout)."""
        self.db.execute("DELETE FROM web_sessions WHERE token = ?", (_digest(token),))

    # teams ----------------------------------------------------------------
    def team(self, manager: User, roster: list[dict]) -> set[str]:
        """CRM names of the reps on ``manager``'s team (lower-cased): the roster's and the users added with ``--team``."""
        names = {(r["rep"] or "").casefold() for r in roster if (r.get("manager") or "").casefold() == manager.crm_name.casefold()}
        names |= {u.crm_name.casefold() for u in self.all() if u.team and u.team.casefold() == manager.name.casefold()}
        return names


class _Dummy:
    """A hash to verify against when the name is unknown, so a wrong name takes as long as a wrong password."""

    value: str | None = None

    def get(self) -> str:
        if self.value is None:
            self.value = _hasher().hash(secrets.token_urlsafe(16))
        return self.value


_DUMMY = _Dummy()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is {len(password)} characters; use at least {MIN_PASSWORD}")
    if len(password) > 1024:
        raise InputError("the password is longer than 1024 characters")


def can_see_rep(user: User, rep: str | None, team: set[str]) -> bool:
    """True when ``user`` may see the drills, plans and deals of CRM rep ``rep`` (``team``: :meth:`Users.team` for a manager)."""
    if user.role == "admin":
        return True
    if not rep:
        return False
    if user.role == "rep":
        return rep.casefold() == user.crm_name.casefold()
    if user.role == "manager":
        return rep.casefold() in team or rep.casefold() == user.crm_name.casefold()
    return False
