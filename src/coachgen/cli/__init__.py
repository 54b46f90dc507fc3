"""The ``coachgen`` command line: one sub-app per command group, mounted here."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli import (
    accounts,
    agenda,
    coach,
    deals,
    debrief,
    drill,
    kb,
    mcp,
    pipeline,
    prep,
    products,
    prompts,
    reps,
    serve,
    train,
    users,
)
from coachgen.cli.common import CoachgenGroup

__all__ = ["app", "main"]

app = typer.Typer(
    cls=CoachgenGroup,
    help="Grounded sales coaching from your own playbooks and CRM notes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(kb.app, name="kb")
app.add_typer(deals.app, name="deals")
app.add_typer(reps.app, name="reps")
app.add_typer(accounts.app, name="accounts")
app.add_typer(products.app, name="products")
app.add_typer(prompts.app, name="prompts")
app.add_typer(coach.app, name="coach")
app.add_typer(users.app, name="users")
app.command("prep")(prep.prep)
app.command("debrief")(debrief.debrief)
app.command("drill")(drill.drill)
app.command("train")(train.train)
app.command("pipeline")(pipeline.pipeline)
app.command("agenda")(agenda.agenda)
app.command("schema")(prompts.schema)
app.command("serve")(serve.serve)
app.command("mcp")(mcp.mcp)


@app.callback()
def root(
    ctx: typer.Context,
    home: Optional[Path] = typer.Option(None, "--home", help="Where the index and records live (default: COACHGEN_HOME)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks instead of one-line errors."),
    show_sent: bool = typer.Option(False, "--show-sent", help="Print on stderr exactly what is sent to the chat model (after redaction)."),
) -> None:
    """Grounded sales coaching from your own playbooks and CRM notes."""
    ctx.obj = {"home": home, "debug": debug, "show_sent": show_sent}


def main() -> None:
    """Entry point of the console script."""
    app(prog_name="coachgen")
