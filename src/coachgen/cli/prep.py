"""``coachgen prep``: a pre-call plan for one deal."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from coachgen.cli.common import NO_LLM, chat, check_format, fail, open_kb, out, parse_day
from coachgen.cli.output import check_target, emit, offer_coaching_log, print_messages

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
    deal_id: Optional[str] = typer.Argument(None, help="Deal id, as 'coachgen deals list' shows it."),
    rep: Optional[str] = typer.Option(None, "--rep", help="Batch: plan the calls of this rep's deals."),
    open_only: bool = typer.Option(False, "--open", help="Batch with --rep: only open deals."),
    deals_file: Optional[Path] = typer.Option(None, "--deals", help="Batch: file with one deal id per line."),
    concurrency: Optional[int] = typer.Option(None, "--concurrency", min=1, max=64, help="Batch: plans at once (default COACHGEN_LLM_CONCURRENCY)."),
    call_type: Optional[str] = typer.Option(None, "--call-type", help="discovery, demo, evaluation, proposal, negotiation or check-in (default: from the stage)."),
    attendee: List[str] = typer.Option([], "--attendee", help="NAME:ROLE of someone joining (repeatable; default: the deal's contacts)."),
    call_date: Optional[str] = typer.Option(None, "--call-date", help="Day of the call, YYYY-MM-DD (default: the next working day); the day the advance is due counts from it."),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout; a folder in batch mode (default: plans)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the exact messages and retrieved context; call no model."),
    prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Folder of prompt templates overriding the bundled ones."),
    log_minutes: Optional[int] = typer.Option(None, "--log-minutes", min=1, help="Log this many minutes of call-prep coaching with the deal's rep."),
    no_llm: bool = NO_LLM,
) -> None:
    """Plan a customer call: objective, agenda, attendees, MEDDPICC gaps, questions, objections, sources."""
    from coachgen.artifacts.call_plan import build_call_plan, prepare_call
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary
    from coachgen.render import plan_outline, render

    check_format(fmt)
    day = parse_day(call_date, "--call-date")
    if sum(x is not None for x in (deal_id, rep, deals_file)) != 1:
        fail("give one of DEAL_ID, --rep NAME or --deals FILE")
    if deal_id is not None:
        check_target(output)
    kb = open_kb(ctx)
    if deal_id is None:
        _batch(kb, rep, open_only, deals_file, call_type, fmt, output or Path("plans"), concurrency, lambda: chat(ctx, kb, "prep", no_llm), day)
        return
    prepared = prepare_call(kb, PromptLibrary(kb.settings, prompts_dir), deal_id, call_type, _attendees(attendee), day)
    if dry_run:
        from coachgen.llm.guard import without_model

        print_messages(prepared.messages, [ref.model_dump() for ref in prepared.pack.refs()], without_model(kb.settings, "prep", no_llm))
        return
    model = chat(ctx, kb, "prep", no_llm)
    plan = build_call_plan(prepared, model, model_label(model))
    kb.records.save_plan(plan.deal.id, plan.header.generated_at, plan.model_dump_json())
    emit(render(plan, fmt, plan_outline(plan)), fmt, output)
    offer_coaching_log(kb, plan.deal.rep, "call-prep", log_minutes)


def _batch(kb, rep: Optional[str], open_only: bool, deals_file: Optional[Path], call_type: Optional[str], fmt: str,
           out_dir: Path, concurrency: Optional[int], model: Callable[[], Any], day: Any = None) -> None:
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from coachgen.artifacts.batch import plan_file_name, plan_many
    from coachgen.cli.common import err
    from coachgen.ingest.loader import read_text

    if deals_file is not None:
        text, _ = read_text(deals_file, str(deals_file), kb.settings.max_file_bytes)
        ids = list(dict.fromkeys(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")))
        if ids and not {deal["id"] for deal in kb.records.deals(raw=True)} & set(ids):  # before any folder or model
            fail(f"{deals_file}: none of its {len(ids)} deal ids is an imported deal (first: {ids[0]!r}); 'coachgen deals list' shows them")
    else:
        ids = [deal["id"] for deal in kb.records.deals(rep=rep, status="open" if open_only else None)]
    if not ids:
        fail(f"no deals to plan for {'rep ' + rep if rep else deals_file}")
    if out_dir.exists() and not out_dir.is_dir():
        fail(f"-o {out_dir}: a batch writes one file per deal into a folder, and this is a file")
    check_target(out_dir / plan_file_name(ids[0], fmt))  # a folder under a file, or one coachgen may not write in
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err(), transient=True) as bar:
        task = bar.add_task("planning", total=len(ids))
        items = plan_many(kb, ids, out_dir, fmt, call_type, concurrency=concurrency, model=model(),
                          on_done=lambda item: bar.advance(task), call_date=day)
    failed = [item for item in items if item.error]
    for item in failed:
        err().print(f"[red]error:[/red] {item.deal_id}: {escape(item.error.splitlines()[0])}")
    out().print(f"{len(items) - len(failed)} plans written to {out_dir}, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)
