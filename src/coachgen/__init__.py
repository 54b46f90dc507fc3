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
__all__ = ["CallPlan", "Filters", "Hit", "KnowledgeBase", "Settings", "load_settings", "plan_call", "search"]

_EXPORTS = {
    "CallPlan": "coachgen.artifacts.call_plan",
    "plan_call": "coachgen.artifacts.call_plan",
    "Filters": "coachgen.retrieval",
    "Hit": "coachgen.retrieval",
    "KnowledgeBase": "coachgen.knowledge_base",
    "Settings": "coachgen.settings",
    "load_settings": "coachgen.settings",
    "search": "coachgen.retrieval",
}

if TYPE_CHECKING:
    from coachgen.artifacts.call_plan import CallPlan, plan_call
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.retrieval import Filters, Hit, search
    from coachgen.settings import Settings, load_settings


def __getattr__(name: str) -> Any:
    """Import public names on first use so ``import coachgen`` stays cheap."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'coachgen' has no attribute '{name}'")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)
