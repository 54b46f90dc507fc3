"""The README's command reference, generated from the real CLI definitions.

``python -m coachgen.cli.reference`` prints it; ``--write README.md`` replaces the
section between the reference markers.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"


def _lines(command: Any, path: list[str]) -> list[str]:
    if hasattr(command, "commands"):
        lines: list[str] = []
        for name, sub in command.commands.items():
            lines += _lines(sub, [*path, name])
        return lines
    arguments = " ".join((p.metavar or p.name).upper() + ("..." if p.nargs == -1 else "")
                         for p in command.params if p.param_type_name == "argument")
    summary = (command.help or "").strip().splitlines()[0]
    lines = [f"### `{' '.join(path)}{' ' + arguments if arguments else ''}`", "", summary, ""]
    for param in command.params:
        if param.param_type_name == "option" and param.help and "--help" not in param.opts:
            flag = ", ".join(f"`{opt}`" for opt in param.opts)
            lines.append(f"- {flag}: {param.help}")
    return [*lines, ""] if lines[-1] != "" else lines


def reference() -> str:
    """Markdown for every command, in CLI order."""
    from coachgen.cli import app

    root = typer.main.get_command(app)
    return "\n".join(_lines(root, ["coachgen"])).rstrip() + "\n"


def replace_section(text: str, body: str) -> str:
    """``text`` with the part between the markers replaced by ``body``."""
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{body}{END}{tail}"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        target = Path(sys.argv[2])
        target.write_text(replace_section(target.read_text(encoding="utf-8"), reference()), encoding="utf-8")
    else:
        sys.stdout.write(reference())
