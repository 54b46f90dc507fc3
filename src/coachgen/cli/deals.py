"""``coachgen deals``: import CRM deal exports and look at the records."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import err, open_kb, out, print_json

app = typer.Typer(help="Import and inspect CRM deals.", no_args_is_help=True)

MAP_HELP = "Column mapping, e.g. 'id=Opp Id,rep=Owner,amount=Value'."


def import_records(ctx: typer.Context, file: Path, kind: str, mapping: Optional[str], preset: Optional[str]) -> None:
    """Shared by ``deals import`` and ``reps import``: records plus indexed notes."""
    from coachgen.errors import InputError
    from coachgen.ingest.crm import parse_mapping
    from coachgen.ingest.loader import CrmOptions

    if not file.is_file():
        raise InputError(f"{file}: no such file")
    options = CrmOptions(parse_mapping(mapping), preset, kind)
    report = open_kb(ctx).ingest([file], crm=options, on_wait=lambda message: err().print(message))
    if report.errors:
        from coachgen.cli.common import fail

        fail(report.errors[0])
    count = report.deals if kind == "deals" else report.reps
    note = " (unchanged)" if report.files_unchanged else ""
    out().print(f"imported {count} {kind} from {file.name}{note}; notes indexed: {report.chunks_added} chunks added")


@app.command("import")
def import_deals(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or JSON export of deals."),
    mapping: Optional[str] = typer.Option(None, "--map", help=MAP_HELP),
    preset: Optional[str] = typer.Option(None, "--preset", help="Standard export headers: salesforce or hubspot."),
) -> None:
    """Import deals (upserted by id); their notes are indexed for retrieval."""
    import_records(ctx, file, "deals", mapping, preset)


@app.command("list")
def list_deals(
    ctx: typer.Context,
    rep: Optional[str] = typer.Option(None, "--rep", help="Only this rep's deals."),
    status: Optional[str] = typer.Option(None, "--status", help="open, won or lost."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List imported deals."""
    from rich.table import Table

    deals = open_kb(ctx).records.deals(rep=rep, status=status)
    if as_json:
        print_json(deals)
        return
    table = Table("id", "account", "rep", "stage", "amount", "close date", "next step")
    for deal in deals:
        amount = f"{deal['amount']:,.0f}" if deal["amount"] is not None else "-"
        table.add_row(deal["id"], deal["account"], deal["rep"] or "-", deal["stage"], amount, deal["close_date"] or "-", deal["next_step"] or "-")
    out().print(table)


@app.command()
def show(ctx: typer.Context, deal_id: str = typer.Argument(..., help="Deal id."),
         as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Show one deal with its notes."""
    from rich.markup import escape

    deal = open_kb(ctx).records.deal(deal_id)
    if as_json:
        print_json(deal)
        return
    console = out()
    for key, value in deal.items():
        if key != "notes" and value is not None:
            console.print(f"[bold]{key}:[/bold] {escape(str(value))}")
    if deal["notes"]:
        console.print(f"\n[bold]notes[/bold]\n{escape(deal['notes'])}")
