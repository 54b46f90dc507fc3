"""``coachgen agenda``: the weekly sales meeting."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import check_format, open_kb, parse_day
from coachgen.cli.output import check_target, emit
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
    from coachgen.render import agenda_outline, render

    check_format(fmt)
    check_target(output)
    day = parse_day(week, "--week")
    result = weekly_agenda(open_kb(ctx), team, day)
    emit(render(result, fmt, agenda_outline(result)), fmt, output)
