"""``coachgen serve``: the team's coaching web app on the library (pages call what the CLI calls).

Built on **Starlette** rather than FastAPI: every page is server-rendered HTML answering a link or a
form post, so FastAPI's contributions (JSON body models, OpenAPI schemas, dependency injection for
APIs) would go unused, while Starlette gives routing, forms, cookies, static files and a test client
with nothing on top (FastAPI is itself Starlette, so the dependency is the same). Pages are Jinja2
templates with autoescaping and ``StrictUndefined``; the stylesheet and the one small polling script
are served by the app: no build step, no CDN.

Long work (a plan, a drill turn, a re-index) goes through one bounded queue (:mod:`coachgen.web.jobs`):
its page shows progress (a meta refresh, so it works without JavaScript) and a full queue answers 429
"busy, try again in N s".
"""

from __future__ import annotations

from coachgen.web.app import create_app

__all__ = ["create_app"]
