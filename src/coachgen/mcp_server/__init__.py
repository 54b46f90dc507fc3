"""coachgen as an MCP server: the coaching tools and the knowledge base inside the assistants managers already use.

Built on the official ``mcp`` SDK. The tools call the same library functions as the CLI and render with the
same renderer; they hold no coaching logic of their own. Read-only unless started with ``allow_writes``.
Importing this package imports the SDK, so only ``coachgen mcp`` does it.
"""

from coachgen.mcp_server.server import Session, build_server, serve

__all__ = ["Session", "build_server", "serve"]
