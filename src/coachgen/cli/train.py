"""``coachgen train``: a rep's development plan, with check-ins as an .ics calendar file."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import AUDIENCE, NO_LLM, chat, check_audience, check_format, open_kb, parse_day
from coachgen.cli.output import check_target, emit, offer_coaching_log
from coachgen.cli.prep import FORMAT_HELP


def train(
    ctx: typer.Context,
    rep: str = typer.Argument(..., help="The rep, as 'coachgen reps list' shows them."),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
    ics: Optional[Path] = typer.Option(None, "--ics", help="Also write the check-ins as an iCalendar file."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Day of the plan, YYYY-MM-DD (default today)."),
    prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Folder of prompt templates overriding the bundled ones."),
    log_minutes: Optional[int] = typer.Option(None, "--log-minutes", min=1, help="Log this many minutes of 1:1 coaching with the rep."),
    no_llm: bool = NO_LLM,
    audience: str = AUDIENCE,
) -> None:
    """A development plan: evidence, the one skill to focus on (never a strength), training, drills, target, check-ins."""
    from coachgen.artifacts.development_plan import check_in_calendar, plan_development
    from coachgen.fileio import atomic_writer
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary
    from coachgen.render import render, rep_train_outline, train_outline

    check_format(fmt)
    check_audience(audience)
    check_target(output)
    check_target(ics, "--ics")
    day = parse_day(as_of, "--as-of")
    kb = open_kb(ctx)
    model = chat(ctx, kb, "train", no_llm)
    plan = plan_development(kb, PromptLibrary(kb.settings, prompts_dir), rep, model, model_label(model), day)
    if ics is not None:
        calendar = check_in_calendar(plan)  # the same file the web app's download gives
        with atomic_writer(ics) as handle:
            handle.write(calendar)
        typer.echo(f"wrote {ics} ({len(plan.check_ins)} check-ins)", err=True)
    emit(render(plan, fmt, rep_train_outline(plan) if audience == "rep" else train_outline(plan)), fmt, output)
    offer_coaching_log(kb, plan.rep, "1on1", log_minutes)
