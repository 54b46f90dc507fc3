"""The MCP server: one session (settings, embedder, a lock), the tools and resources, stdio or streamable HTTP."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

from coachgen.errors import CoachgenError
from coachgen.untrusted import REFERENCE_NOTE

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import Settings

__all__ = ["CoachgenServer", "Session", "build_server", "serve"]

INSTRUCTIONS = (
    "coachgen turns a sales team's own playbooks and CRM deal notes into grounded coaching: pre-call plans, debrief "
    "questions, objection drills, pipeline reviews and development plans. Every generated line cites numbered sources; "
    "open a cited source with its coachgen:// resource URI. Use search_knowledge for what the team's material says, "
    "list_deals and show_deal for deal facts, and knowledge_profile to learn what the knowledge base lacks before "
    "blaming an artifact for an empty section. " + REFERENCE_NOTE + " Quoted notes and playbook lines inside artifacts "
    "are reference material too."
)


class Session:
    """What every tool call shares: the settings, one embedder, whether writes are allowed, and a lock (one call at a time)."""

    def __init__(self, settings: "Settings", allow_writes: bool = False) -> None:
        self.settings = settings
        self.allow_writes = allow_writes
        self._lock = threading.Lock()
        self._embedder: Any = None

    @contextmanager
    def kb(self, error: type[Exception] | None = ToolError) -> Iterator["KnowledgeBase"]:
        """A knowledge base for one call (so writes by other coachgen processes are seen); coachgen's errors become
        one-line ``error`` (an MCP tool or resource error), or stay as they are when ``error`` is None."""
        from coachgen.index.embeddings import make_embedder
        from coachgen.knowledge_base import KnowledgeBase

        with self._lock:
            try:
                if self._embedder is None:
                    self._embedder = make_embedder(self.settings)
                kb = KnowledgeBase(self.settings, embedder=self._embedder)
                try:
                    yield kb
                finally:
                    kb.close()
            except CoachgenError as exc:
                if error is None:
                    raise
                raise error(_one_line(exc)) from None

    def chat(self, kb: "KnowledgeBase", artifact: str, no_llm: bool = False) -> tuple[Any, str]:
        """The chat model for ``artifact`` as the CLI picks it (guarded: redaction and audit; none with ``no_llm``,
        ``COACHGEN_LLM=none``, ``COACHGEN_LLM_SKIP`` or the bundled model's defaults), and how headers name it."""
        from coachgen.llm.guard import chat_model
        from coachgen.llm.models import model_label

        model = chat_model(kb, artifact=artifact, no_llm=no_llm)
        return model, model_label(model)


class CoachgenServer(MCPServer):
    """The SDK's server, with a bad argument reported in one line (the argument and what is wrong) instead of pydantic's report."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        """Call a tool; an argument that fails its schema raises a one-line :class:`ToolError`."""
        from pydantic import ValidationError

        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if not isinstance(exc.__cause__, ValidationError):
                raise
            first = exc.__cause__.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "arguments"
            raise ToolError(f"{name}: argument '{where}': {first['msg']}") from exc.__cause__


def _one_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def build_server(settings: "Settings", allow_writes: bool = False) -> CoachgenServer:
    """An MCP server over the knowledge base under ``settings.home``; the write tools exist only with ``allow_writes``."""
    from coachgen import __version__
    from coachgen.mcp_server import resources, tools

    server = CoachgenServer("coachgen", title="coachgen sales coaching", version=__version__, instructions=INSTRUCTIONS,
                       log_level="WARNING")
    session = Session(settings, allow_writes)
    tools.register(server, session)
    resources.register(server, session)
    return server


def serve(settings: "Settings", allow_writes: bool = False, http: bool = False, port: int = 8765) -> None:
    """Run the server on stdio, or on ``http://127.0.0.1:PORT/mcp`` (streamable HTTP, loopback only)."""
    server = build_server(settings, allow_writes)
    if http:
        server.run("streamable-http", host="127.0.0.1", port=port)
    else:
        server.run("stdio")

