"""What every command group shares: error handling, settings, consoles."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

if TYPE_CHECKING:
    from datetime import date

    from rich.console import Console

    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import Settings

__all__ = ["CoachgenGroup", "chat", "check_format", "err", "fail", "open_kb", "out", "parse_day", "print_json", "settings_from"]


class CoachgenGroup(TyperGroup):
    """Turns coachgen's own errors into one red line on stderr and exit code 1."""

    def invoke(self, ctx: Any) -> Any:
        from coachgen.errors import CoachgenError

        try:
            return super().invoke(ctx)
        except CoachgenError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            fail(str(exc))


def out() -> "Console":
    """Console for results (stdout); plain when piped."""
    from rich.console import Console

    return Console(soft_wrap=True, highlight=False)


def err() -> "Console":
    """Console for progress and messages (stderr)."""
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str) -> None:
    """Print ``error: message`` on stderr and exit 1."""
    from rich.markup import escape

    err().print(f"[red]error:[/red] {escape(message.splitlines()[0] if message else 'failed')}")
    raise typer.Exit(1)


def settings_from(ctx: typer.Context, **flags: Any) -> "Settings":
    """Settings with the root ``--home`` and any command flags applied; unknown ``COACHGEN_*`` variables warned about once."""
    from coachgen.settings import load_settings, unknown_variables

    root = ctx.find_root().obj or {}
    if isinstance(ctx.find_root().obj, dict) and not root.get("warned"):
        root["warned"] = True
        for warning in unknown_variables():
            err().print(f"[yellow]warning:[/yellow] {warning}", markup=True, highlight=False)
    return load_settings(home=root.get("home"), **flags)


def open_kb(ctx: typer.Context, **flags: Any) -> "KnowledgeBase":
    """The knowledge base under the configured home."""
    from coachgen.knowledge_base import KnowledgeBase

    return KnowledgeBase(settings_from(ctx, **flags))


def print_json(data: Any) -> None:
    """Write JSON to stdout, unstyled."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def parse_day(value: str | None, option: str) -> "date | None":
    """``YYYY-MM-DD`` from an option, or None when not given; a bad date fails with one line."""
    from datetime import date

    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        fail(f"{option} '{value}' is not a date like 2026-11-22")
        return None


def check_format(fmt: str) -> None:
    """Fail unless ``fmt`` is one of the artifact formats."""
    from coachgen.render import FORMATS

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")


def check_audience(audience: str) -> None:
    """Fail unless ``audience`` is manager or rep."""
    if audience not in ("manager", "rep"):
        fail("--for must be manager or rep")


AUDIENCE = typer.Option("manager", "--for", help="manager (default) or rep: the version written to the rep, not about them.")
NO_LLM = typer.Option(False, "--no-llm", help="Write it without a chat model: fast, from records and sources only (as COACHGEN_LLM=none).")


def chat(ctx: typer.Context, kb: "KnowledgeBase", artifact: str, no_llm: bool = False) -> Any:
    """The chat model for ``artifact`` with redaction and auditing (``--show-sent`` prints what is sent); none with ``--no-llm``."""
    from coachgen.llm.guard import chat_model

    return chat_model(kb, show_sent=bool((ctx.find_root().obj or {}).get("show_sent")), artifact=artifact, no_llm=no_llm)
