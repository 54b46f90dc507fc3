"""coachgen's hybrid search as a LangChain ``BaseRetriever``."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LangChainDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from coachgen.knowledge_base import KnowledgeBase
from coachgen.retrieval import Filters, search

__all__ = ["CoachgenRetriever"]


class CoachgenRetriever(BaseRetriever):
    """Returns LangChain documents whose metadata carries source, section, score and review date."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    knowledge_base: KnowledgeBase
    k: int = 5
    filters: Filters = Filters()
    per_doc: int = 1
    include_expired: bool = False

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any) -> list[LangChainDocument]:
        hits = search(self.knowledge_base, query, k=self.k, filters=self.filters, per_doc=self.per_doc, include_expired=self.include_expired)
        return [
            LangChainDocument(page_content=hit.text, metadata={key: value for key, value in hit.as_dict().items() if key != "text"})
            for hit in hits
        ]
