"""``coachgen users``: the people who log in to ``coachgen serve``, with their role and team."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from coachgen.cli.common import fail, out, print_json, settings_from

app = typer.Typer(help="People who log in to the team web app (coachgen serve).", no_args_is_help=True)

ROLE_HELP = "rep (own drills and development plan), manager (the team's deals, reviews, cadence), enablement (the knowledge base pages) or admin (everything)."


def _users(ctx: typer.Context):  # type: ignore[no-untyped-def]
    from coachgen.index.catalog import connect
    from coachgen.users import Users

    return Users(connect(settings_from(ctx).db_path))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = typer.prompt("password", hide_input=True)
    if typer.prompt("again", hide_input=True) != first:
        fail("the two passwords differ")
    return first


@app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help=ROLE_HELP),
    rep: Optional[str] = typer.Option(None, "--rep", help="The name the CRM uses for this person (default: NAME); a manager's is the roster's manager name."),
    team: Optional[str] = typer.Option(None, "--team", help="A rep's manager (a manager user), for reps the roster does not place."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from the first line of stdin (else prompt twice)."),
) -> None:
    """Add a user; the password is stored as an argon2id hash."""
    user = _users(ctx).add(name, role, _password(password_stdin), rep, team)
    out().print(f"added {user.name} ({user.role}" + (f", CRM name {user.crm_name}" if user.crm_name != user.name else "") + ")", markup=False)


@app.command("list")
def list_users(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List users with role, CRM name and team."""
    from rich.markup import escape
    from rich.table import Table

    users = _users(ctx).all()
    if as_json:
        print_json([user.__dict__ for user in users])
        return
    table = Table("user", "role", "CRM name", "team")
    for user in users:
        table.add_row(*map(escape, (user.name, user.role, user.crm_name, user.team or "-")))
    out().print(table)


@app.command("remove")
def remove(ctx: typer.Context, name: str = typer.Argument(..., help="Login name.")) -> None:
    """Remove a user and end their sessions."""
    _users(ctx).remove(name)
    out().print(f"removed {name}", markup=False)


@app.command("reset")
def reset(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Login name."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the new password from the first line of stdin."),
) -> None:
    """Set a new password; the user's open sessions end."""
    _users(ctx).reset(name, _password(password_stdin))
    out().print(f"new password set for {name}; their sessions are closed", markup=False)
