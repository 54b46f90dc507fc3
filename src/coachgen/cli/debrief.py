"""``coachgen debrief``: questions after a call, and recording the answers on the deal."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import AUDIENCE, NO_LLM, chat, check_audience, check_format, fail, open_kb, out
from coachgen.cli.output import check_target, emit, offer_coaching_log, print_messages
from coachgen.cli.prep import FORMAT_HELP


def debrief(
    ctx: typer.Context,
    deal_id: str = typer.Argument(..., help="Deal id, as 'coachgen deals list' shows it."),
    notes: Optional[str] = typer.Option(None, "--notes", help="What happened on the call (recorded on the deal)."),
    notes_file: Optional[Path] = typer.Option(None, "--notes-file", help="File with the call notes."),
    answers: Optional[Path] = typer.Option(None, "--answers", help="File with the answers to a debrief: recorded as a deal note for the next prep."),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the exact messages and retrieved context; call no model."),
    prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Folder of prompt templates overriding the bundled ones."),
    log_minutes: Optional[int] = typer.Option(None, "--log-minutes", min=1, help="Log this many minutes of debrief coaching with the deal's rep."),
    no_llm: bool = NO_LLM,
    audience: str = AUDIENCE,
) -> None:
    """Debrief a call: commitments, the advance against the plan, MEDDPICC changes, the skill to practise."""
    from coachgen.artifacts.debrief import build_debrief, prepare_debrief
    from coachgen.deal_log import append_to_deal
    from coachgen.ingest.loader import read_text
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary
    from coachgen.render import debrief_outline, render, rep_debrief_outline

    if notes is not None and notes_file is not None:
        fail("give --notes or --notes-file, not both")
    check_format(fmt)
    check_audience(audience)
    check_target(output)
    kb = open_kb(ctx)
    limit = kb.settings.max_file_bytes
    if answers is not None:
        text, _ = read_text(answers, str(answers), limit)
        added = append_to_deal(kb, deal_id, "debrief-answers", text)
        out().print(f"recorded the debrief answers on {deal_id}" if added else f"these answers are already recorded on {deal_id}")
        return
    if notes_file is not None:
        notes, _ = read_text(notes_file, str(notes_file), limit)
    prepared = prepare_debrief(kb, PromptLibrary(kb.settings, prompts_dir), deal_id, notes)
    if dry_run:
        from coachgen.llm.guard import without_model

        print_messages(prepared.messages, [ref.model_dump() for ref in prepared.pack.refs()], without_model(kb.settings, "debrief", no_llm))
        return
    model = chat(ctx, kb, "debrief", no_llm)
    result = build_debrief(prepared, model, model_label(model))
    if notes:
        append_to_deal(kb, deal_id, "call-notes", notes)
    kb.records.save_debrief(deal_id, result.header.generated_at, result.model_dump_json())
    emit(render(result, fmt, rep_debrief_outline(result) if audience == "rep" else debrief_outline(result)), fmt, output)
    offer_coaching_log(kb, result.deal.rep, "debrief", log_minutes)
