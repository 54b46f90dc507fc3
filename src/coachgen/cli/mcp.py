"""``coachgen mcp``: the coaching tools and the knowledge base as an MCP server, for AI assistants."""

from __future__ import annotations

import typer

from coachgen.cli.common import fail, settings_from


def mcp(
    ctx: typer.Context,
    http: bool = typer.Option(False, "--http", help="Serve streamable HTTP on 127.0.0.1 instead of stdio."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port for --http (loopback only)."),
    allow_writes: bool = typer.Option(False, "--allow-writes", help="Also offer the tools that write: record debrief answers, "
                                      "log coaching time, store a drill attempt."),
) -> None:
    """Run an MCP server (stdio by default) so an AI assistant can search the knowledge base and write coaching artifacts."""
    if port != 8765 and not http:
        fail("--port only applies with --http")
    settings = settings_from(ctx)
    try:
        from coachgen.mcp_server import serve
    except ImportError as exc:
        fail(f"coachgen mcp needs the MCP SDK ({exc.name or exc}); install it with: pip install 'mcp>=2.0'")
    serve(settings, allow_writes=allow_writes, http=http, port=port)
