"""coachgen: grounded sales coaching from a team's own playbooks and CRM notes.

The library comes first; the ``coachgen`` CLI only wraps it::

    from coachgen import KnowledgeBase, load_settings
    kb = KnowledgeBase(load_settings())
    kb.ingest([Path("knowledge")])
    hits = kb.search("the buyer says we are too expensive")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "CallPlan", "DevelopmentPlan", "Drill", "Filters", "Hit", "KnowledgeBase", "Settings", "load_settings", "make_drill", "plan_call",
    "plan_development", "run_roleplay", "search",
]

_EXPORTS = {
    "CallPlan": "coachgen.artifacts.call_plan",
    "plan_call": "coachgen.artifacts.call_plan",
    "Filters": "coachgen.retrieval",
    "Hit": "coachgen.retrieval",
    "KnowledgeBase": "coachgen.knowledge_base",
    "Settings": "coachgen.settings",
    "load_settings": "coachgen.settings",
    "search": "coachgen.retrieval",
    "Drill": "coachgen.artifacts.drill",
    "make_drill": "coachgen.artifacts.drill",
    "run_roleplay": "coachgen.artifacts.roleplay",
    "DevelopmentPlan": "coachgen.artifacts.development_plan",
    "plan_development": "coachgen.artifacts.development_plan",
}

if TYPE_CHECKING:
    from coachgen.artifacts.call_plan import CallPlan, plan_call
    from coachgen.artifacts.development_plan import DevelopmentPlan, plan_development
    from coachgen.artifacts.drill import Drill, make_drill
    from coachgen.artifacts.roleplay import run_roleplay
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.retrieval import Filters, Hit, search
    from coachgen.settings import Settings, load_settings


def __getattr__(name: str) -> Any:
    """Import public names on first use so ``import coachgen`` stays cheap."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'coachgen' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)
