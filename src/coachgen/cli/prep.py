"""``coachgen prep``: a pre-call plan for one deal."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from coachgen.cli.common import fail, open_kb
from coachgen.cli.output import emit, print_messages

FORMAT_HELP = "md, json or html."


def _attendees(values: list[str]) -> list[tuple[str, str]]:
    people = []
    for value in values:
        name, sep, role = value.partition(":")
        if not sep or not name.strip() or not role.strip():
            fail(f"--attendee '{value}' is not NAME:ROLE")
        people.append((name.strip(), role.strip()))
    return people


def prep(
    ctx: typer.Context,
    deal_id: str = typer.Argument(..., help="Deal id, as 'coachgen deals list' shows it."),
    call_type: Optional[str] = typer.Option(None, "--call-type", help="discovery, demo, evaluation, proposal, negotiation or check-in (default: from the stage)."),
    attendee: List[str] = typer.Option([], "--attendee", help="NAME:ROLE of someone joining (repeatable; default: the deal's contacts)."),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the exact messages and retrieved context; call no model."),
    prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Folder of prompt templates overriding the bundled ones."),
) -> None:
    """Plan a customer call: objective, agenda, attendees, MEDDPICC gaps, questions, objections, sources."""
    from coachgen.artifacts.call_plan import build_call_plan, prepare_call
    from coachgen.llm.models import make_chat_model, model_label
    from coachgen.prompts import PromptLibrary
    from coachgen.render import FORMATS, plan_outline, render

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    kb = open_kb(ctx)
    prepared = prepare_call(kb, PromptLibrary(kb.settings, prompts_dir), deal_id, call_type, _attendees(attendee))
    if dry_run:
        print_messages(prepared.messages, [ref.model_dump() for ref in prepared.pack.refs()])
        return
    model = make_chat_model(kb.settings)
    plan = build_call_plan(prepared, model, model_label(model))
    kb.records.save_plan(plan.deal.id, plan.header.generated_at, plan.model_dump_json())
    emit(render(plan, fmt, plan_outline(plan)), fmt, output)
