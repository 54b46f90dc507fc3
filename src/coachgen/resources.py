"""Where the bundled ``knowledge/`` sample and ``prompts/`` live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

from coachgen.errors import ConfigError

__all__ = ["bundled_dir"]


def bundled_dir(name: str) -> Path:
    """``knowledge`` or ``prompts``: inside the installed wheel, else at the top of a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_bundled" / name, here.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise ConfigError(f"the bundled '{name}' folder is missing from this installation; reinstall coachgen")
