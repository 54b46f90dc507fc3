"""``coachgen deals``: import CRM deal exports and look at the records."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import err, open_kb, out, print_json

app = typer.Typer(help="Import and inspect CRM deals.", no_args_is_help=True)

MAP_HELP = "Column mapping, e.g. 'id=Opp Id,rep=Owner,amount=Value'."
STRICT_HELP = "Import nothing (exit 1) when any row is skipped or any stage is not recognised."


def import_records(ctx: typer.Context, file: Path, kind: str, mapping: Optional[str], preset: Optional[str] = None,
                   stages: Optional[str] = None, strict: bool = False, dayfirst: Optional[bool] = None, decimal: Optional[str] = None) -> None:
    """Shared by ``deals``, ``reps`` and ``accounts import``: records plus indexed notes, with a line per skipped row."""
    from rich.markup import escape

    from coachgen.errors import InputError
    from coachgen.ingest.crm import ReadOptions, parse_mapping
    from coachgen.ingest.loader import CrmOptions
    from coachgen.knowledge.stage_vocabulary import parse_stage_overrides

    if not file.is_file():
        raise InputError(f"{file}: no such file")
    if decimal is not None and decimal not in (".", ","):
        raise InputError("--decimal must be '.' or ','")
    read = ReadOptions(stages=parse_stage_overrides(stages), dayfirst=dayfirst, decimal=decimal, strict=strict)
    options = CrmOptions(parse_mapping(mapping), preset, kind, read)
    report = open_kb(ctx).ingest([file], crm=options, on_wait=lambda message: err().print(message))
    if report.errors:
        from coachgen.cli.common import fail

        fail(report.errors[0])
    console = err()
    for summary in report.imports:
        for line in summary["problems"]:
            console.print(f"[yellow]warning:[/yellow] {escape(line)}")
        for note in summary["notes"]:
            console.print(f"note: {escape(note)}")
    count = getattr(report, kind)
    if not report.imports:
        out().print(f"imported {count} {kind} from {file.name} (unchanged)")
        return
    summary = report.imports[0]
    parts = [f"imported {count} {kind} from {file.name} ({summary['added']} added, {summary['updated']} updated, {summary['unchanged']} unchanged)",
             f"{summary['skipped']} rows skipped"]
    if summary["missing"]:
        shown = ", ".join(summary["missing"][:5]) + (", ..." if len(summary["missing"]) > 5 else "")
        parts.append(f"{len(summary['missing'])} deals no longer in this export, marked missing ({shown})")
    if kind == "deals":
        parts.append(f"notes indexed: {report.chunks_added} chunks added")
    out().print("; ".join(parts))


@app.command("import")
def import_deals(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CSV or JSON export of deals."),
    mapping: Optional[str] = typer.Option(None, "--map", help=MAP_HELP),
    preset: Optional[str] = typer.Option(None, "--preset", help="Standard export headers: salesforce or hubspot."),
    stages: Optional[str] = typer.Option(None, "--stages", help="What stages mean, e.g. 'Engaging=open,Signed=won,Parked=lost' (default: by their words)."),
    strict: bool = typer.Option(False, "--strict", help=STRICT_HELP),
    dayfirst: Optional[bool] = typer.Option(None, "--dayfirst/--monthfirst", help="Dates like 03/01/2024 are day-first (default: decided from the file)."),
    decimal: Optional[str] = typer.Option(None, "--decimal", help="Decimal mark of amounts, '.' or ',' (default: decided from the file)."),
) -> None:
    """Import deals (upserted by id; rows that cannot be used are skipped and listed); their notes are indexed for retrieval."""
    import_records(ctx, file, "deals", mapping, preset, stages, strict, dayfirst, decimal)


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
    from coachgen.artifacts.common import money

    table = Table("id", "account", "rep", "stage", "amount", "close date", "next step")
    for deal in deals:
        amount = money(deal["amount"], deal.get("currency")) if deal["amount"] is not None else "-"
        stage = (deal["stage"] or "-") + (f" (missing since {deal['missing_since']})" if deal.get("missing_since") else "")
        table.add_row(deal["id"], deal["account"] or "-", deal["rep"] or "-", stage, amount, deal["close_date"] or "-", deal["next_step"] or "-")
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
