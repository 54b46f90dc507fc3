"""Call notes and debrief answers appended to a deal, recorded and indexed so the next prep uses them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coachgen.artifacts.common import utc_now
from coachgen.ingest.documents import Document

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase

__all__ = ["append_to_deal"]


def append_to_deal(kb: "KnowledgeBase", deal_id: str, kind: str, text: str) -> bool:
    """Add ``text`` (kind 'call-notes' or 'debrief-answers') to the deal; False if it was already there."""
    added = kb.records.add_log(deal_id, utc_now(), kind, text.strip())
    deal = kb.records.deal(deal_id)
    entries = kb.records.log(deal_id)
    body = "\n\n".join(f"## {entry['created_at'][:10]} {entry['kind']}\n\n{entry['text']}" for entry in entries)
    source = f"deal-log/{deal_id}"
    document = Document(
        key=f"deal-log:{deal_id}", source=source, kind="deal_note", title=f"{deal['account'] + ': ' if deal['account'] else ''}{deal['name'] or deal_id} (log)",
        body=body, stages=tuple(filter(None, [deal["stage"]])), deal_id=deal_id, rep=deal["rep"], extra={"account": deal["account"]},
    )
    kb.index_documents(source, [document])
    return added
