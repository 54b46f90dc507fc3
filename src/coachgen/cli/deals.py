"""``coachgen deals``: import CRM deal exports and look at the records."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Optional

import typer

from coachgen.cli.common import err, open_kb, out, print_json

app = typer.Typer(help="Import and inspect CRM deals.", no_args_is_help=True)

MAP_HELP = "Column mapping, e.g. 'id=Opp Id,rep=Owner,amount=Value'."
STRICT_HELP = "Import nothing (exit 1) when any row is skipped or any stage is not recognised."
ENCODING_HELP = "Text encoding of the file, e.g. cp1252 (default: UTF-8 with or without BOM, UTF-16 by its BOM, else cp1252, with a note)."


@contextmanager
def _indexing_bar() -> Iterator[Optional[Callable[[int, int], None]]]:
    """A progress bar for the embedding of notes, shown on a terminal only (a log gets the summary line)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = err()
    if not console.is_terminal:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console,
                  transient=True) as bar:
        task = bar.add_task("indexing notes", total=None, visible=False)
        yield lambda done, total: bar.update(task, completed=done, total=total, visible=True)


def import_records(ctx: typer.Context, file: Path, kind: str, mapping: Optional[str], preset: Optional[str] = None,
                   stages: Optional[str] = None, strict: bool = False, dayfirst: Optional[bool] = None, decimal: Optional[str] = None,
                   replace: bool = False, encoding: Optional[str] = None, next_steps: bool = False) -> None:
    """Shared by ``deals``, ``reps``, ``accounts`` and ``products import``: records plus indexed notes, with a line per skipped row."""
    from rich.markup import escape

    from coachgen.errors import InputError
    from coachgen.ingest.crm import ReadOptions, parse_mapping
    from coachgen.ingest.encoding import check_encoding
    from coachgen.ingest.loader import CrmOptions
    from coachgen.knowledge.stage_vocabulary import parse_stage_overrides

    if not file.is_file():
        raise InputError(f"{file}: no such file")
    if decimal is not None and decimal not in (".", ","):
        raise InputError("--decimal must be '.' or ','")
    if encoding is not None:
        check_encoding(encoding)
    read = ReadOptions(stages=parse_stage_overrides(stages), dayfirst=dayfirst, decimal=decimal, strict=strict)
    options = CrmOptions(parse_mapping(mapping), preset, kind, read, replace, encoding=encoding, next_steps=next_steps)
    with _indexing_bar() as embedded:
        report = open_kb(ctx).ingest([file], crm=options, on_wait=lambda message: err().print(message), on_embed=embedded)
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
    if summary["closed"]:
        shown = ", ".join(summary["closed"][:5]) + (", ..." if len(summary["closed"]) > 5 else "")
        parts.append(f"{len(summary['closed'])} open deals not in this export closed ({shown})")
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
    replace: bool = typer.Option(False, "--replace", help="This export is the whole deal list: close open deals it does not hold (listed; "
                                 "status 'closed', reopened by a later import that holds them)."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help=ENCODING_HELP),
    index_next_steps: bool = typer.Option(False, "--index-next-steps", help="Also index each deal's next step for search (default: notes only)."),
) -> None:
    """Import deals (upserted by id; rows that cannot be used are skipped and listed); their notes are indexed for retrieval."""
    import_records(ctx, file, "deals", mapping, preset, stages, strict, dayfirst, decimal, replace, encoding, index_next_steps)


@app.command("list")
def list_deals(
    ctx: typer.Context,
    rep: Optional[str] = typer.Option(None, "--rep", help="Only this rep's deals."),
    status: Optional[str] = typer.Option(None, "--status", help="open, won, lost or closed (gone from an export imported with --replace)."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List imported deals."""
    from rich.markup import escape
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
        cells = (deal["id"], deal["account"] or "-", deal["rep"] or "-", stage, amount, deal["close_date"] or "-", deal["next_step"] or "-")
        table.add_row(*map(escape, cells))
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
