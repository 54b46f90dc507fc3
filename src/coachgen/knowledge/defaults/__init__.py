"""Labelled generic data, used only where the team's own material says nothing.

Each default is a YAML file beside this module, shipped with the package and loaded with
:func:`load`: ``stage_vocabulary`` (what a CRM stage name means: open, won or lost, and which
generic step of a sales process it is), ``process`` (call type per generic step, stuck-after days,
activity window, coverage target) and ``currencies`` (symbols and codes of amounts). The team's own
records and settings override every value; each file says where its values come from.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

__all__ = ["load"]


@cache
def load(name: str) -> dict[str, Any]:
    """The default data file ``name`` (without ``.yaml``), parsed; treat it as read-only."""
    text = resources.files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"coachgen default data '{name}' is not a mapping; reinstall coachgen")
    return data
