"""``coachgen coach``: log coaching time and check the cadence against 3 hours per rep per month."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import check_format, fail, open_kb, out, parse_day

app = typer.Typer(help="Log coaching time and check the coaching cadence.", no_args_is_help=True)


@app.command()
def log(
    ctx: typer.Context,
    rep: str = typer.Argument(..., help="Rep coached."),
    minutes: int = typer.Option(..., "--minutes", help="Minutes spent."),
    kind: str = typer.Option(..., "--type", help="1on1, call-prep, debrief, pipeline-review or drill."),
    note: Optional[str] = typer.Option(None, "--note", help="What it was about."),
    day: Optional[str] = typer.Option(None, "--date", help="YYYY-MM-DD (default: today)."),
) -> None:
    """Record coaching time spent with a rep."""
    from coachgen.cadence import log_coaching

    when = parse_day(day, "--date")
    log_coaching(open_kb(ctx).records, rep, minutes, kind, note, when)
    out().print(f"logged {minutes} min of {kind} with {rep}")


@app.command("cadence")
def show_cadence(
    ctx: typer.Context,
    month: Optional[str] = typer.Option(None, "--month", help="YYYY-MM (default: this month)."),
    manager: Optional[str] = typer.Option(None, "--team", help="Only this manager's reps."),
    fmt: str = typer.Option("md", "--format", help="md, json or html."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
    csv_file: Optional[Path] = typer.Option(None, "--csv", help="Also write the table to this CSV file."),
) -> None:
    """Hours per rep this month against 3 hours, the trend, and who to coach next by need over the last 30 days."""
    import csv
    import json

    from coachgen.cadence import cadence, priorities
    from coachgen.cli.output import check_target
    from coachgen.fileio import atomic_writer
    from coachgen.untrusted import csv_cell

    check_format(fmt)
    check_target(output)
    check_target(csv_file, "--csv")
    try:
        first = date.fromisoformat(f"{month}-01") if month else date.today()
    except ValueError:
        fail(f"--month '{month}' is not a month like 2026-11")
    records = open_kb(ctx).records
    rows = cadence(records, first, manager)
    from coachgen.metrics import period_of

    ranked, notes = priorities(records, min(date.today(), period_of(first, "month").end), manager)
    if csv_file is not None:
        with atomic_writer(csv_file) as handle:
            writer = csv.writer(handle)
            writer.writerow(["rep", "hours", "target", "under_coached", "trend"])
            for row in rows:
                writer.writerow([csv_cell(row.rep), row.hours, row.target, row.under_coached, " ".join(map(str, row.trend))])
    from coachgen.cli.output import emit
    from coachgen.render import cadence_outline, to_html, to_markdown

    if fmt == "json":
        emit(json.dumps([row.as_dict() for row in rows], indent=2) + "\n", fmt, output)
        return
    outline = cadence_outline(rows, first, ranked, notes)
    emit(to_html(outline) if fmt == "html" else to_markdown(outline), fmt, output)
