"""What every page shares: the app's state, sessions, CSRF, roles, the body-size limit and the login rate limit."""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from coachgen.errors import CoachgenError, NotFoundError
from coachgen.users import User, Users, can_see_rep
from coachgen.web.jobs import Busy, JobQueue

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import Settings

__all__ = ["SESSION_COOKIE", "BodyLimit", "Ctx", "Forbidden", "LoginLimiter", "WebState", "page"]

SESSION_COOKIE = "coachgen_session"
PRE_COOKIE = "coachgen_pre"  # CSRF token of a visitor not logged in yet (the login form)
MAX_BODY = 64 * 1024
MAX_FIELD = 20_000
TEMPLATES = Path(__file__).parent / "templates"


class Forbidden(Exception):
    """The user's role may not open this page (403)."""


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413: by Content-Length here, and while streaming in :func:`page`."""

    def __init__(self, app: Any, limit: int = MAX_BODY) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        too_big = Response("request body too large (at most %d KB)" % (self.limit // 1024), status_code=413, media_type="text/plain")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await too_big(scope, receive, send)
            return
        seen = 0

        async def limited() -> dict:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooBig  # the page endpoint answers 413 (a streamed body without Content-Length)
            return message

        await self.app(scope, limited, send)


class _TooBig(Exception):
    pass


class LoginLimiter:
    """At most ``attempts`` failed logins per ``window`` seconds per client address and per user name."""

    def __init__(self, attempts: int = 5, window: float = 300.0) -> None:
        self.attempts, self.window = attempts, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> int:
        """Seconds until a login may be tried again for any of ``keys`` (0: now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._failures[key]
                while times and now - times[0] > self.window:
                    times.popleft()
                if len(times) >= self.attempts:
                    wait = max(wait, self.window - (now - times[0]))
        return int(wait) + 1 if wait else 0

    def failed(self, *keys: str) -> None:
        """Count a failed login."""
        with self._lock:
            for key in keys:
                self._failures[key].append(time.monotonic())


@dataclass
class WebState:
    """What lives as long as the server: settings, the knowledge base, the queues and the templates."""

    settings: "Settings"
    model_factory: Callable[["KnowledgeBase"], Any] | None = None
    queue_size: int = 8
    model_workers: int = 1
    secure_cookies: bool = False
    embedder: Any = None
    inline_wait: float = 0.3
    knowledge_dirs: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        from coachgen.knowledge_base import KnowledgeBase

        self.base = KnowledgeBase(self.settings, embedder=self.embedder)
        self.generation = 0
        self._local = threading.local()
        self._lock = threading.Lock()
        self.models = JobQueue(self.queue_size, self.model_workers)
        self.work = JobQueue(1, 1)  # re-indexing: one at a time
        self.limiter = LoginLimiter()
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)

    def kb(self) -> "KnowledgeBase":
        """This thread's handle on the knowledge base (its own SQLite connection), renewed after a re-index."""
        handle = getattr(self._local, "kb", None)
        if handle is None or self._local.generation != self.generation:
            with self._lock:
                handle = self.base.for_thread()
            self._local.kb, self._local.generation = handle, self.generation
        return handle

    def users(self) -> Users:
        """The users table on this thread's connection."""
        users = getattr(self._local, "users", None)
        if users is None or users.db is not self.kb().db:
            users = self._local.users = Users(self.kb().db)
        return users

    def model(self, kb: "KnowledgeBase", artifact: str) -> Any:
        """The chat model for one job writing ``artifact``: the injected factory's (tests), else the configured model,
        guarded (none where ``COACHGEN_LLM`` or ``COACHGEN_LLM_SKIP``, or the bundled model's defaults, say so)."""
        if self.model_factory is not None:
            return self.model_factory(kb)
        from coachgen.llm.guard import chat_model

        return chat_model(kb, artifact=artifact)

    def reindexed(self) -> None:
        """Make every thread open a fresh handle (the index changed under them)."""
        self.base.forget_searches()
        self.generation += 1


class Ctx:
    """One request as a page sees it: who asks, the form, and helpers to answer."""

    def __init__(self, state: WebState, request: Request, user: User | None, csrf: str, form: dict[str, str]) -> None:
        self.state, self.request, self.user, self.csrf, self.form = state, request, user, csrf, form
        self.params = request.path_params
        self.kb = state.kb()
        self._team: set[str] | None = None

    def field(self, name: str, required: bool = True, limit: int = MAX_FIELD) -> str:
        """A form field, stripped; ``InputError`` when required and empty or when longer than ``limit``."""
        from coachgen.errors import InputError

        value = (self.form.get(name) or "").strip()
        if required and not value:
            raise InputError(f"'{name.replace('_', ' ')}' is empty")
        if len(value) > limit:
            raise InputError(f"'{name.replace('_', ' ')}' is {len(value):,} characters; the limit is {limit:,}")
        return value

    def team(self) -> set[str]:
        """CRM names (lower-cased) of the reps this manager coaches."""
        if self._team is None:
            self._team = self.state.users().team(self.user, self.kb.records.reps()) if self.user and self.user.role == "manager" else set()
        return self._team

    def sees(self, rep: str | None) -> bool:
        """True when the user may see this CRM rep's records."""
        return self.user is not None and can_see_rep(self.user, rep, self.team())

    def deal(self, deal_id: str) -> dict[str, Any]:
        """A deal the user may see; 404 for any other (another team's deal looks like no deal)."""
        deal = self.kb.records.deal(deal_id)
        if not self.sees(deal["rep"]):
            raise NotFoundError(f"no deal with id '{deal_id}'")
        return deal

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """A page from ``template`` with the user, CSRF token and navigation."""
        page = self.state.templates.get_template(template).render(user=self.user, csrf=self.csrf, path=self.request.url.path, **values)
        return HTMLResponse(page, status_code=status)

    def redirect(self, url: str) -> RedirectResponse:
        """303 See Other: after a form post, the browser GETs ``url``."""
        return RedirectResponse(url, status_code=303)

    def queue(self, label: str, work: Callable[[Any], str], queue: JobQueue | None = None) -> RedirectResponse:
        """Run ``work(job) -> result URL`` on the model queue; redirect to its result when quick, else to its progress page."""
        queue = queue or self.state.models
        job = queue.submit(self.user.name, label, work)
        queue.wait(job, self.state.inline_wait)
        if job.status == "done" and job.result_url:
            return self.redirect(job.result_url)
        return self.redirect(f"/jobs/{job.id}")


def _secure(state: WebState, request: Request) -> bool:
    return state.secure_cookies or request.url.scheme == "https"


def page(state: WebState, roles: tuple[str, ...] | None = None) -> Callable[[Callable[[Ctx], Response]], Callable]:
    """Turn ``fn(ctx) -> Response`` into an endpoint: session, CSRF on every POST, role check, errors as pages.

    ``roles`` None: anyone, logged in or not; otherwise only those roles (admin always). ``fn`` runs on a
    worker thread (the library is synchronous).
    """

    def decorate(fn: Callable[[Ctx], Response]) -> Callable:
        async def endpoint(request: Request) -> Response:
            form: dict[str, str] = {}
            if request.method == "POST":
                try:
                    parsed = await request.form(max_files=0, max_fields=100, max_part_size=MAX_BODY)
                except _TooBig:
                    return Response("request body too large (at most %d KB)" % (MAX_BODY // 1024), status_code=413, media_type="text/plain")
                except Exception:  # noqa: BLE001 - a malformed or oversized form is the client's mistake
                    return HTMLResponse("malformed form", status_code=400)
                form = {key: value for key, value in parsed.items() if isinstance(value, str)}
            return await run_in_threadpool(_handle, state, request, form, fn, roles)

        endpoint.__name__ = fn.__name__
        return endpoint

    return decorate


def _handle(state: WebState, request: Request, form: dict[str, str], fn: Callable[[Ctx], Response], roles: tuple[str, ...] | None) -> Response:
    users = state.users()
    found = users.session(request.cookies.get(SESSION_COOKIE))
    user, csrf = found if found else (None, request.cookies.get(PRE_COOKIE) or secrets.token_urlsafe(24))
    ctx = Ctx(state, request, user, csrf, form)
    if request.method == "POST" and not hmac.compare_digest(form.get("csrf", "").encode(), csrf.encode()):
        return ctx.render("error.html", status=403, title="Forbidden", message="This form has expired or did not come from this site; reload the page and try again.")
    if roles is not None and user is None:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    if roles is not None and user.role != "admin" and user.role not in roles:
        return ctx.render("error.html", status=403, title="Forbidden", message="Your role does not open this page.")
    try:
        response = fn(ctx)
    except Forbidden as exc:
        response = ctx.render("error.html", status=403, title="Forbidden", message=str(exc) or "Not yours to see.")
    except NotFoundError as exc:
        response = ctx.render("error.html", status=404, title="Not found", message=str(exc).split(";")[0])
    except Busy as exc:
        response = ctx.render("error.html", status=429, title="Busy", message=f"busy, try again in {exc.retry_after} s")
        response.headers["Retry-After"] = str(exc.retry_after)
    except CoachgenError as exc:
        response = ctx.render("error.html", status=400, title="Please check the form", message=str(exc))
    if found is None and PRE_COOKIE not in request.cookies:
        response.set_cookie(PRE_COOKIE, csrf, httponly=True, samesite="strict", secure=_secure(state, request))
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def login_cookie(state: WebState, request: Request, response: Response, token: str | None) -> Response:
    """Set (or with None, clear) the session cookie: HttpOnly, SameSite=Lax, Secure behind TLS."""
    if token is None:
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(state, request))
    else:
        response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=_secure(state, request),
                            max_age=12 * 3600)
    return response
