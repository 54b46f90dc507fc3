"""``coachgen prompts`` and ``coachgen schema``: the templates and the published artifact schemas."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from coachgen.cli.common import fail, print_json, settings_from

app = typer.Typer(help="List, show and render prompt templates.", no_args_is_help=True)
SCHEMAS = {
    "prep": "coachgen.artifacts.call_plan:CallPlan", "debrief": "coachgen.artifacts.debrief:Debrief",
    "drill": "coachgen.artifacts.drill:Drill", "drill-session": "coachgen.artifacts.roleplay:DrillSession",
    "train": "coachgen.artifacts.development_plan:DevelopmentPlan", "rubric": "coachgen.rubric:Rubric",
}


def _library(ctx: typer.Context, prompts_dir: Optional[Path]):
    from coachgen.prompts import PromptLibrary

    return PromptLibrary(settings_from(ctx), prompts_dir)


@app.command("list")
def list_prompts(ctx: typer.Context, prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Override folder.")) -> None:
    """List artifacts with prompt templates and where each comes from."""
    import sys

    library = _library(ctx, prompts_dir)
    for artifact in library.artifacts():
        sys.stdout.write(f"{artifact}\t{library.path(artifact, 'system').parent}\t{library.fingerprint(artifact)}\n")


@app.command()
def show(ctx: typer.Context, artifact: str = typer.Argument(..., help="Artifact, e.g. prep."),
         part: str = typer.Option("user", "--part", help="system or user."),
         prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Override folder.")) -> None:
    """Print a template's source."""
    import sys

    sys.stdout.write(_library(ctx, prompts_dir).source(artifact, part))


@app.command()
def render(ctx: typer.Context, artifact: str = typer.Argument(..., help="Artifact, e.g. prep."),
           deal: str = typer.Option(..., "--deal", help="Deal id whose real input fills the template."),
           prompts_dir: Optional[Path] = typer.Option(None, "--prompts", help="Override folder.")) -> None:
    """Render both templates of an artifact with a deal's real input (same as --dry-run)."""
    from coachgen.artifacts.call_plan import prepare_call
    from coachgen.cli.output import print_messages
    from coachgen.knowledge_base import KnowledgeBase

    if artifact != "prep":
        fail(f"no renderer for '{artifact}' (artifacts: prep)")
    kb = KnowledgeBase(settings_from(ctx))
    prepared = prepare_call(kb, _library(ctx, prompts_dir), deal)
    print_messages(prepared.messages, [ref.model_dump() for ref in prepared.pack.refs()])


def schema(artifact: str = typer.Argument(..., help="Artifact: prep, debrief, drill, drill-session, train or rubric.")) -> None:
    """Print the published JSON Schema of an artifact."""
    import importlib

    if artifact not in SCHEMAS:
        fail(f"no schema for '{artifact}' (artifacts: {', '.join(SCHEMAS)})")
    module, name = SCHEMAS[artifact].split(":")
    print_json(getattr(importlib.import_module(module), name).model_json_schema())
