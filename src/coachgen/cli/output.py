"""Printing artifacts: rich Markdown in a terminal, plain when piped, atomic files with -o."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["check_target", "emit", "offer_coaching_log", "print_messages"]


def check_target(output: Path | None, option: str = "-o") -> None:
    """Refuse an output path that cannot be written (a folder, under a file, empty) with one line, before any model call."""
    if output is not None:
        from coachgen.fileio import check_output

        check_output(output, option)


def emit(text: str, fmt: str, output: Path | None) -> None:
    """Write ``text`` to ``output`` atomically, or show it on stdout."""
    if output is not None:
        from coachgen.fileio import atomic_writer

        with atomic_writer(output) as handle:
            handle.write(text)
        sys.stderr.write(f"wrote {output}\n")
        return
    if fmt == "md" and sys.stdout.isatty():
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
        return
    sys.stdout.write(text)


def print_messages(messages: list[dict[str, str]], sources: list[dict[str, Any]], unsent: str | None = None) -> None:
    """A dry run: the exact messages, then the retrieved sources, as plain text; ``unsent`` says why no model would get them."""
    if unsent:
        sys.stderr.write(f"note: no chat model would be sent these messages ({unsent}); the artifact uses its fallback prose\n")
    for message in messages:
        sys.stdout.write(f"===== {message['role']} =====\n{message['content']}\n")
    sys.stdout.write("===== retrieved sources =====\n")
    for source in sources:
        sys.stdout.write(json.dumps(source, ensure_ascii=False) + "\n")


def offer_coaching_log(kb: Any, rep: str | None, kind: str, minutes: int | None) -> None:
    """Log coaching time for the artifact's rep: ``--log-minutes``, or a question when run in a terminal."""
    if not rep:
        return
    if minutes is None and sys.stdin.isatty() and sys.stderr.isatty():
        import typer

        answer = typer.prompt(f"Log coaching time with {rep} as {kind}? minutes (0 to skip)", default=0, type=int, err=True)
        minutes = answer or None
    if minutes:
        from coachgen.cadence import log_coaching

        log_coaching(kb.records, rep, minutes, kind)
        sys.stderr.write(f"logged {minutes} min of {kind} with {rep}\n")
