"""``coachgen accounts``: import and list the accounts table of a CRM export."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import open_kb, out, print_json
from coachgen.cli.deals import ENCODING_HELP, MAP_HELP, STRICT_HELP, import_records

app = typer.Typer(help="Import and list accounts.", no_args_is_help=True)


@app.command("import")
def import_accounts(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or JSON accounts table: account, sector, employees, revenue, office location..."),
    mapping: Optional[str] = typer.Option(None, "--map", help=MAP_HELP),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    encoding: Optional[str] = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Import accounts (upserted by name; rows without a name are skipped and listed)."""
    import_records(ctx, file, "accounts", mapping, strict=strict, encoding=encoding)


@app.command("list")
def list_accounts(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List accounts with sector, size and location."""
    from rich.markup import escape
    from rich.table import Table

    accounts = open_kb(ctx).records.accounts()
    if as_json:
        print_json(accounts)
        return
    table = Table("account", "sector", "employees", "location", "subsidiary of")
    for account in accounts:
        employees = f"{account['employees']:,.0f}" if account["employees"] is not None else "-"
        cells = (account["account"], account["sector"] or "-", employees, account["office_location"] or "-", account["subsidiary_of"] or "-")
        table.add_row(*map(escape, cells))
    out().print(table)
