"""``coachgen drill``: objection-handling drill cards, and interactive role-play scored against the rubric."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import NO_LLM, chat, check_format, err, fail, open_kb
from coachgen.cli.output import check_target, emit, offer_coaching_log
from coachgen.cli.prep import FORMAT_HELP


def _terminal_answers(speaker: str):  # type: ignore[no-untyped-def]
    """Show the buyer's line on stderr and read the rep's answer, one line, from stdin (None at end of input)."""
    from rich.markup import escape

    def answer(buyer_line: str) -> str | None:
        err().print(f"[bold]{escape(speaker)}:[/bold] {escape(buyer_line)}")
        sys.stderr.write("you> ")
        sys.stderr.flush()
        line = sys.stdin.readline()
        if not sys.stdin.isatty() and line:
            sys.stderr.write(line if line.endswith("\n") else line + "\n")
        return None if line == "" else line.rstrip("\n")

    return answer


def drill(
    ctx: typer.Context,
    rep: Optional[str] = typer.Option(None, "--rep", help="The rep who practises: cards follow their spaced-repetition schedule and deals."),
    objection: Optional[str] = typer.Option(None, "--objection", help="Drill this objection (as the buyer would say it)."),
    topic: Optional[str] = typer.Option(None, "--topic", help="Drill library objections with this tag or word, e.g. pricing."),
    from_deals: bool = typer.Option(False, "--from-deals", help="Drill objections raised recently in open deals' notes, with their buyers."),
    count: Optional[int] = typer.Option(None, "--count", help="How many cards (default 3; 1 with --interactive)."),
    difficulty: int = typer.Option(1, "--difficulty", help="1 plain, 2 one pushback, 3 a sceptical senior buyer who pushes back twice."),
    interactive: bool = typer.Option(False, "--interactive", help="Role-play: the model plays the buyer, you type answers (one line each; empty line ends a card)."),
    turns: Optional[int] = typer.Option(None, "--turns", help="Most answers per card in --interactive (default: difficulty + 1)."),
    rubric: Optional[str] = typer.Option(None, "--rubric", help="Rubric id from the knowledge base, or a rubric YAML file (default objection-handling)."),
    fmt: str = typer.Option("md", "--format", help=FORMAT_HELP),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (atomically) instead of stdout."),
    prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Folder of prompt templates overriding the bundled ones."),
    log_minutes: Optional[int] = typer.Option(None, "--log-minutes", min=1, help="Log this many minutes of drill coaching with --rep."),
    no_llm: bool = NO_LLM,
) -> None:
    """Objection-handling drills: cards with a persona, the objection, what a strong answer contains and the rubric."""
    from coachgen.artifacts.common import SourcePack
    from coachgen.artifacts.drill import build_cards, make_drill, nothing_to_drill_note, pick_objections, resolve_rubric
    from coachgen.artifacts.roleplay import drill_session, run_roleplay
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary
    from coachgen.render import drill_outline, render, session_outline

    check_format(fmt)
    check_target(output)
    if difficulty not in (1, 2, 3):
        fail("--difficulty must be 1, 2 or 3")
    kb = open_kb(ctx)
    prompts = PromptLibrary(kb.settings, prompts_dir)
    if not interactive:
        if turns is not None:
            fail("--turns only applies with --interactive")
        model = chat(ctx, kb, "drill", no_llm)
        result = make_drill(kb, prompts, model, model_label(model), rep, objection, topic, from_deals, count or 3, difficulty, rubric)
        emit(render(result, fmt, drill_outline(result)), fmt, output)
        offer_coaching_log(kb, result.rep, "drill", log_minutes)
        return
    if rep is None:
        fail("--interactive needs --rep: every attempt is stored for the rep who made it")
    name = kb.records.rep_name(rep)
    chosen, notes = resolve_rubric(kb, rubric)
    model = chat(ctx, kb, "drill", no_llm)
    picks = pick_objections(kb, name, objection, topic, from_deals, count or 1)
    pack = SourcePack()
    cards, tokens, card_notes = build_cards(kb, prompts, picks, model, difficulty, pack)
    if not cards:
        notes.append(nothing_to_drill_note())
    attempts = []
    tokens_in, tokens_out = tokens
    for card in cards:
        err().print(f"\n[bold]{card.objection}[/bold] ({card.persona.name}, {card.persona.role}). Type your answer; an empty line ends this card.")
        attempt, used = run_roleplay(kb, prompts, model, chosen, name, card, _terminal_answers(card.persona.name),
                                     turns or difficulty + 1, pack)
        tokens_in, tokens_out = tokens_in + used[0], tokens_out + used[1]
        if attempt is None:
            break
        attempts.append(attempt)
    if cards and not attempts:
        fail("no answer was given, so nothing was scored or stored")
    session = drill_session(prompts, model_label(model), name, chosen, attempts, pack, (tokens_in, tokens_out), notes + card_notes)
    emit(render(session, fmt, session_outline(session)), fmt, output)
    offer_coaching_log(kb, name, "drill", log_minutes)
