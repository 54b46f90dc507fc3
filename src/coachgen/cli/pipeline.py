"""``coachgen pipeline``: lead measures per rep or per team."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import check_format, fail, open_kb, parse_day
from coachgen.cli.output import check_target, emit
from coachgen.cli.prep import FORMAT_HELP


def pipeline(
    ctx: typer.Context,
    rep: Optional[str] = typer.Argument(None, help="Rep name; with --team, the manager whose team to review (default: everyone)."),
    team: bool = typer.Option(False, "--team", help="Review a team side by side with totals."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Review date, YYYY-MM-DD (default: today, or the latest date in the data when that is over 30 days old)."),
    period: str = typer.Option("quarter", "--period", help="quarter or month."),
    detail: bool = typer.Option(False, "--detail", help="Show every figure and every flagged deal (JSON always has them)."),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
) -> None:
    """Pipeline review for Monday: deal hygiene, the three deals most at risk, commit and gap to quota, lead measures."""
    from coachgen.artifacts.pipeline_review import review_pipeline
    from coachgen.render import pipeline_outline, render

    check_format(fmt)
    check_target(output)
    if rep is None and not team:
        fail("give a REP, or --team [MANAGER]")
    day = parse_day(as_of, "--as-of")
    review = review_pipeline(open_kb(ctx), rep=rep if not team else None, team=team, manager=rep if team else None, as_of=day, period=period)
    emit(render(review, fmt, pipeline_outline(review, detail)), fmt, output)
