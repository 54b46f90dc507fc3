"""The knowledge model: typed records mined from the team's documents, and the store that answers for them."""

from coachgen.knowledge.records import RECORD_TYPES, KnowledgeRecord, Provenance
from coachgen.knowledge.store import KnowledgeStore

__all__ = ["RECORD_TYPES", "KnowledgeRecord", "KnowledgeStore", "Provenance"]
