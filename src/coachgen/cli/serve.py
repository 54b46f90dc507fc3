"""``coachgen serve``: the team's coaching web app (see :mod:`coachgen.web`)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from coachgen.cli.common import err, settings_from


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (put a TLS reverse proxy in front for a team)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    queue: int = typer.Option(8, "--queue", min=1, max=200, help="Model jobs that may wait; more get 'busy, try again' (HTTP 429)."),
    workers: int = typer.Option(1, "--model-workers", min=1, max=64, help="Model jobs run at once (1 for the embedded model; more for an endpoint)."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Mark cookies Secure (set behind a TLS proxy that does not send X-Forwarded-Proto)."),
    forwarded_allow_ips: str = typer.Option("127.0.0.1", "--forwarded-allow-ips", help="Proxies whose X-Forwarded-* headers are trusted."),
    knowledge: Optional[List[Path]] = typer.Option(None, "--knowledge", help="Folder the Re-index button ingests (repeatable; default: the folders already indexed)."),
) -> None:
    """Serve the coaching web app: drills for reps, prep and reviews for managers, the knowledge base for enablement."""
    import uvicorn

    from coachgen.web import create_app

    settings = settings_from(ctx)
    app = create_app(settings, queue_size=queue, model_workers=workers, secure_cookies=secure_cookies,
                     knowledge_dirs=list(knowledge or []))
    err().print(f"coachgen serving {settings.home} on http://{host}:{port}  (Ctrl+C stops)", markup=False)
    uvicorn.run(app, host=host, port=port, proxy_headers=True, forwarded_allow_ips=forwarded_allow_ips, log_level="warning")
