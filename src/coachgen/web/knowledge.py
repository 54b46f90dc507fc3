"""Enablement pages: the knowledge base as coachgen reads it, lint findings, search with its reasons, re-index with progress.

The same calls as ``coachgen kb show FILE``, ``kb lint``, ``kb search --explain`` and ``kb ingest``.
A file page is open to every signed-in user, so a plan's sources can link to it; the rest is enablement's.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from coachgen.errors import InputError, NotFoundError
from coachgen.web.core import Ctx, WebState, page

__all__ = ["routes"]

EVERYONE = ("rep", "manager", "enablement")
ENABLEMENT = ("enablement",)
MAX_LINES = 5000


def routes(state: WebState) -> list[Route]:
    """The knowledge base pages."""
    return [
        Route("/kb", page(state, ENABLEMENT)(files)),
        Route("/kb/file", page(state, EVERYONE)(file_page)),
        Route("/kb/lint", page(state, ENABLEMENT)(lint)),
        Route("/kb/search", page(state, ENABLEMENT)(search)),
        Route("/kb/reindex", page(state, ENABLEMENT)(reindex), methods=["POST"]),
    ]


def files(ctx: Ctx) -> Response:
    found = ctx.kb.knowledge.by_file()
    rows = [{"source": row.source, "ingested_at": row.ingested_at,
             "counts": dict(sorted(Counter(r.type for r in found.get(row.source, [])).items()))} for row in ctx.kb.indexed_files()]
    return ctx.render("kb.html", rows=rows, roots=_roots(ctx), reindexed=ctx.request.query_params.get("reindexed"))


def file_page(ctx: Ctx) -> Response:
    source = ctx.request.query_params.get("source", "")
    row = ctx.kb.catalog.file(source) if source else None
    if row is None:
        raise NotFoundError(f"no indexed file '{source}'")
    records = ctx.kb.knowledge.by_file().get(source, [])
    try:
        text = Path(row.path).read_text(encoding="utf-8", errors="replace")
        lines = text.splitlines()[:MAX_LINES]
    except OSError:
        lines = []
    marked = {n for r in records for n in range(r.provenance.line_start, r.provenance.line_end + 1)}
    return ctx.render("kb_file.html", source=source, records=records, lines=list(enumerate(lines, 1)), marked=marked)


def lint(ctx: Ctx) -> Response:
    from coachgen.lint import lint_paths

    paths = [Path(row.path) for row in ctx.kb.indexed_files()]
    problems = lint_paths(paths, ctx.kb.settings) if paths else []
    return ctx.render("kb_lint.html", problems=problems)


def search(ctx: Ctx) -> Response:
    from coachgen.retrieval import search as run_search

    query = " ".join(ctx.request.query_params.get("q", "").split())
    if len(query) > 500:
        raise InputError("a query is at most 500 characters")
    hits = run_search(ctx.kb, query, k=8, explain=True) if query else []
    return ctx.render("kb_search.html", query=query, hits=hits)


def _roots(ctx: Ctx) -> list[Path]:
    """The folders re-indexed: those given to ``coachgen serve --knowledge``, else the roots the index was built from."""
    if ctx.state.knowledge_dirs:
        return ctx.state.knowledge_dirs
    return sorted({Path(row.root) for row in ctx.kb.indexed_files() if Path(row.root).exists()})


def reindex(ctx: Ctx) -> Response:
    roots = _roots(ctx)
    if not roots:
        raise InputError("nothing to re-index: no folder is configured and the index holds no files")

    def work(job: Any) -> str:
        kb = ctx.state.kb()
        job.report("looking for changed files")
        report = kb.ingest(roots, prune=True, progress=lambda source, number, total: job.report(f"file {number} of {total}: {source}"),
                           on_wait=job.report)
        ctx.state.reindexed()
        return f"/kb?reindexed={report.files_ingested}+changed,+{report.files_removed}+removed,+{len(report.errors)}+errors"

    return ctx.queue("re-index", work, ctx.state.work)
