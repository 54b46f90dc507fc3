"""MCP resources: knowledge base documents, the passages artifacts cite, and deals, at stable ``coachgen://`` URIs.

- ``coachgen://documents`` lists the indexed files; ``coachgen://kb/{source}`` is one file's text, passage by passage.
- ``coachgen://chunk/{id}`` is one passage: what a citation's chunk id points at.
- ``coachgen://deals`` lists the deals; ``coachgen://deal/{id}`` is one deal with its notes.

Every text other people wrote comes inside ``<source>``, ``<deal>`` or ``<notes>`` tags, after the note that says what they mean.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import quote

from mcp.server.mcpserver.exceptions import ResourceError

from coachgen.untrusted import REFERENCE_NOTE, reference

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.mcp_server.server import Session

__all__ = ["chunk_uri", "deal_uri", "document_uri", "register"]

_CRM = (".csv", ".json")


def chunk_uri(chunk_id: str) -> str:
    """The URI of one indexed passage."""
    return f"coachgen://chunk/{chunk_id}"


def deal_uri(deal_id: str) -> str:
    """The URI of one deal."""
    return f"coachgen://deal/{quote(deal_id, safe='')}"


def document_uri(source: str) -> str:
    """The URI of one indexed file, by its source path."""
    return f"coachgen://kb/{quote(source, safe='/')}"


def _documents(kb: "KnowledgeBase") -> list[dict[str, str]]:
    """The indexed knowledge files (CRM exports are read as deals instead)."""
    from coachgen.knowledge_base import RECORDS_ROOT
    from coachgen.untrusted import neutralise_line

    return [{"source": neutralise_line(row.source), "uri": document_uri(row.source)} for row in kb.catalog.files()
            if row.root != RECORDS_ROOT and not row.source.lower().endswith(_CRM)]


def _document(kb: "KnowledgeBase", source: str) -> str:
    from coachgen.retrieval import hit_for_chunk

    rows = kb.catalog.chunks_by_id(kb.catalog.chunk_ids_of(kb.resolve_source(source)))
    hits = [hit_for_chunk(kb, row.id) for row in sorted(rows.values(), key=lambda row: (row.doc_key, row.ordinal))]
    blocks = [reference("source", hit.text, file=hit.source, section=hit.section, kind=hit.kind, uri=chunk_uri(hit.id))
              for hit in hits if hit is not None]
    return "\n\n".join([REFERENCE_NOTE, *blocks])


def _chunk(kb: "KnowledgeBase", chunk_id: str) -> str:
    from coachgen.retrieval import hit_for_chunk

    hit = hit_for_chunk(kb, kb.chunk(chunk_id).id)
    if hit is None:
        raise ResourceError(f"no passage with id '{chunk_id}'")
    meta = {"file": hit.source, "section": hit.section, "kind": hit.kind, "reviewed": hit.reviewed, "stale": "yes" if hit.stale else None,
            "deal": hit.deal_id}
    return f"{REFERENCE_NOTE}\n\n{reference('source', hit.text, id=hit.id, **meta)}"


def _deal(kb: "KnowledgeBase", deal_id: str) -> str:
    deal = kb.records.deal(deal_id)
    fields = "\n".join(f"{key}: {value}" for key, value in deal.items() if key != "notes" and value is not None)
    parts = [REFERENCE_NOTE, reference("deal", fields, id=deal["id"])]
    if deal.get("notes"):
        parts.append(reference("notes", deal["notes"], deal=deal["id"], kind="crm"))
    parts += [reference("notes", entry["text"], deal=deal["id"], kind=entry["kind"], date=entry["created_at"][:10])
              for entry in kb.records.log(deal["id"])]
    return "\n\n".join(parts)


def register(server: "MCPServer", session: "Session") -> None:
    """Add the resources and resource templates."""

    @server.resource("coachgen://documents", name="documents", mime_type="application/json",
                     description="Every indexed knowledge file with the URI that opens it.")
    def documents() -> str:
        with session.kb(ResourceError) as kb:
            return json.dumps(_documents(kb), ensure_ascii=False, indent=2)

    @server.resource("coachgen://deals", name="deals", mime_type="application/json",
                     description="Every imported deal (id, account, rep, stage, status) with the URI that opens it.")
    def deals() -> str:
        with session.kb(ResourceError) as kb:
            rows = kb.records.deals()
        return json.dumps([{**{key: deal.get(key) for key in ("id", "account", "rep", "stage", "status")}, "uri": deal_uri(deal["id"])}
                           for deal in rows], ensure_ascii=False, indent=2)

    @server.resource("coachgen://kb/{+source}", name="document", mime_type="text/markdown",
                     description="One knowledge file's text, passage by passage, by its source path as search results and citations show it.")
    def document(source: str) -> str:
        with session.kb(ResourceError) as kb:
            return _document(kb, source)

    @server.resource("coachgen://chunk/{chunk_id}", name="passage", mime_type="text/markdown",
                     description="One indexed passage by its chunk id: what an artifact's citation points at.")
    def chunk(chunk_id: str) -> str:
        with session.kb(ResourceError) as kb:
            return _chunk(kb, chunk_id)

    @server.resource("coachgen://deal/{deal_id}", name="deal", mime_type="text/markdown",
                     description="One deal: its CRM fields, contacts, notes and the call notes and debrief answers recorded since.")
    def deal(deal_id: str) -> str:
        with session.kb(ResourceError) as kb:
            return _deal(kb, deal_id)

    with session.kb(None) as kb:
        listed = _documents(kb)
    for item in listed:  # each file as a listed resource too, for clients that only show listed ones
        server.resource(item["uri"], name=item["source"], mime_type="text/markdown",
                        description=f"Knowledge file {item['source']}")(_reader(session, item["source"]))


def _reader(session: "Session", source: str):  # type: ignore[no-untyped-def]
    """A function that reads one knowledge file (a listed resource)."""

    def read() -> str:
        with session.kb(ResourceError) as kb:
            return _document(kb, source)

    return read
