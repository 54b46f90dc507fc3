"""``coachgen reps``: import and list the rep roster."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import open_kb, out, print_json
from coachgen.cli.deals import ENCODING_HELP, MAP_HELP, STRICT_HELP, import_records

app = typer.Typer(help="Import and list the rep roster.", no_args_is_help=True)


@app.command("import")
def import_reps(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or JSON roster or team table: rep, manager, region, quota."),
    mapping: Optional[str] = typer.Option(None, "--map", help=MAP_HELP),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    encoding: Optional[str] = typer.Option(None, "--encoding", help=ENCODING_HELP),
) -> None:
    """Import the rep roster or team table (upserted by rep name; rows without a name are skipped and listed)."""
    import_records(ctx, file, "reps", mapping, strict=strict, encoding=encoding)


@app.command("list")
def list_reps(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """List reps with manager, region and quota."""
    from rich.markup import escape
    from rich.table import Table

    reps = open_kb(ctx).records.reps()
    if as_json:
        print_json(reps)
        return
    table = Table("rep", "manager", "region", "quota")
    for rep in reps:
        quota = f"{rep['quota']:,.0f}" if rep["quota"] is not None else "-"
        table.add_row(*map(escape, (rep["rep"], rep["manager"] or "-", rep["region"] or "-", quota)))
    out().print(table)
