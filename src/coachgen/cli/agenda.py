"""``coachgen agenda``: the weekly sales meeting."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import fail, open_kb
from coachgen.cli.output import emit
from coachgen.cli.prep import FORMAT_HELP


def agenda(
    ctx: typer.Context,
    team: Optional[str] = typer.Option(None, "--team", help="Manager whose team meets (default: everyone)."),
    week: Optional[str] = typer.Option(None, "--week", help="A day of the meeting's week, YYYY-MM-DD (default: today)."),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
) -> None:
    """Weekly meeting: wins and losses, pipeline cadence, stuck deals, product news, one skill drill, time boxes."""
    from coachgen.artifacts.agenda import weekly_agenda
    from coachgen.render import FORMATS, agenda_outline, render

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    try:
        day = date.fromisoformat(week) if week else None
    except ValueError:
        fail(f"--week '{week}' is not a date like 2026-11-22")
    result = weekly_agenda(open_kb(ctx), team, day)
    emit(render(result, fmt, agenda_outline(result)), fmt, output)
