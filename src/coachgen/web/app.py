"""The Starlette application: routes of every page group, static files, the body-size limit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from coachgen.web.core import SESSION_COOKIE, BodyLimit, Ctx, WebState, login_cookie, page

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import Settings

__all__ = ["create_app"]

HOME = {"rep": "/drills", "manager": "/team", "enablement": "/kb", "admin": "/team"}


def create_app(settings: "Settings", *, model_factory: Callable[["KnowledgeBase"], Any] | None = None, queue_size: int = 8,
               model_workers: int = 1, secure_cookies: bool = False, embedder: Any = None, inline_wait: float = 0.3,
               knowledge_dirs: list[Path] | None = None, max_body: int | None = None) -> Any:
    """The web app on the knowledge base under ``settings.home``; ``model_factory(kb)`` replaces the chat model (tests)."""
    from coachgen.web import drills, knowledge, manager

    state = WebState(settings, model_factory, queue_size, model_workers, secure_cookies, embedder, inline_wait, list(knowledge_dirs or []))
    routes = [
        Route("/", page(state)(_home)),
        Route("/login", page(state)(_login), methods=["GET", "POST"]),
        Route("/logout", page(state, roles=("rep", "manager", "enablement"))(_logout), methods=["POST"]),
        Route("/jobs/{job_id}", page(state, roles=("rep", "manager", "enablement"))(_job)),
        Mount("/static", app=StaticFiles(directory=Path(__file__).parent / "static"), name="static"),
        *drills.routes(state), *manager.routes(state), *knowledge.routes(state),
    ]
    app = Starlette(routes=routes, lifespan=_lifespan(state))
    app.state.web = state
    from coachgen.web.core import MAX_BODY

    return BodyLimit(app, max_body or MAX_BODY)


def _lifespan(state: WebState) -> Callable:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: Any) -> Any:
        yield
        state.models.shutdown()
        state.work.shutdown()

    return lifespan


def _home(ctx: Ctx) -> Response:
    if ctx.user is None:
        return ctx.redirect("/login")
    return ctx.redirect(HOME[ctx.user.role])


def _login(ctx: Ctx) -> Response:
    target = ctx.request.query_params.get("next", "")
    target = target if target.startswith("/") and not target.startswith("//") and "\\" not in target else ""  # no open redirect
    if ctx.request.method == "GET":
        return ctx.render("login.html", error=None, name="", next=target)
    name = ctx.field("name", required=False, limit=200)
    password = ctx.form.get("password", "")[:1024]
    client = ctx.request.client.host if ctx.request.client else "?"
    keys = (f"ip:{client}", f"user:{name.casefold()}")
    wait = ctx.state.limiter.retry_after(*keys)
    if wait:
        response = ctx.render("login.html", status=429, error=f"Too many failed logins; try again in {wait} s.", name=name, next=target)
        response.headers["Retry-After"] = str(wait)
        return response
    users = ctx.state.users()
    user = users.verify(name, password) if name and password else None
    if user is None:
        ctx.state.limiter.failed(*keys)
        return ctx.render("login.html", status=401, error="Wrong name or password.", name=name, next=target)
    return login_cookie(ctx.state, ctx.request, ctx.redirect(target or HOME[user.role]), users.open_session(user))


def _logout(ctx: Ctx) -> Response:
    ctx.state.users().close_session(ctx.request.cookies.get(SESSION_COOKIE, ""))
    return login_cookie(ctx.state, ctx.request, ctx.redirect("/login"), None)


def _job(ctx: Ctx) -> Response:
    from coachgen.errors import NotFoundError

    job = ctx.state.models.get(ctx.params["job_id"], ctx.user.name) or ctx.state.work.get(ctx.params["job_id"], ctx.user.name)
    if job is None:
        raise NotFoundError("no such job")
    if job.status == "done" and job.result_url and ctx.request.query_params.get("stay") != "1":
        return ctx.redirect(job.result_url)
    return ctx.render("job.html", job=job)
