"""``coachgen kb``: ingest, search and maintain the knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from coachgen.cli.common import err, fail, open_kb, out, print_json

app = typer.Typer(help="Ingest, search and maintain the knowledge base.", no_args_is_help=True)


def _print_report(report, as_json: bool) -> None:
    from rich.markup import escape

    if as_json:
        print_json(report.as_dict())
        return
    console = err()
    for message in report.errors:
        console.print(f"[red]error:[/red] {escape(message)}")
    for message in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(message)}")
    for message in report.notes:
        console.print(f"[dim]note: {escape(message)}[/dim]")
    for summary in report.imports:  # how a CRM export's encoding, dates and amounts were read
        for message in summary["notes"]:
            console.print(f"[dim]note: {escape(summary['source'])}: {escape(message)}[/dim]")
    files = report.files_ingested + report.files_unchanged + len(report.errors)
    out().print(
        f"files: {files} ({report.files_ingested} ingested, {report.files_unchanged} unchanged, "
        f"{len(report.errors)} failed, {report.files_removed} pruned); "
        f"chunks: {report.chunks_added} added, {report.chunks_unchanged} unchanged, {report.chunks_removed} removed"
        + (f"; records: {report.deals} deals, {report.reps} reps" if report.deals or report.reps else "")
        + (f"; rubrics: {report.rubrics}" if report.rubrics else "")
    )


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Optional[List[Path]] = typer.Argument(None, help="Files or folders of markdown, YAML objection libraries and CRM exports."),
    prune: bool = typer.Option(False, "--prune", help="Drop indexed files that are gone from the given folders."),
    sample: bool = typer.Option(False, "--sample", help="Ingest the bundled sample knowledge base."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    follow_symlinks: bool = typer.Option(False, "--follow-symlinks", help="Also read files that symbolic links inside a folder lead to outside it."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="Text encoding of the CRM exports (CSV, JSON) among the paths "
                                           "(default: UTF-8 with or without BOM, UTF-16 by its BOM, else cp1252, with a note)."),
) -> None:
    """Index knowledge files; unchanged files are skipped, changed ones replaced."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from coachgen.ingest.encoding import check_encoding
    from coachgen.ingest.loader import CrmOptions
    from coachgen.resources import bundled_dir

    targets = list(paths or []) + ([bundled_dir("knowledge")] if sample else [])
    if not targets:
        fail("give at least one PATH to ingest, or --sample")
    crm = CrmOptions(encoding=check_encoding(encoding)) if encoding else None
    kb = open_kb(ctx)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=err(), transient=True) as bar:
        task = bar.add_task("ingesting", total=None)
        report = kb.ingest(
            targets, prune=prune, on_wait=lambda message: err().print(message), follow_symlinks=follow_symlinks, crm=crm,
            progress=lambda source, number, total: bar.update(task, completed=number - 1, total=total, description=source[-40:]),
        )
    _print_report(report, as_json)
    _note_stale_adapter(kb)
    if report.errors:
        raise typer.Exit(1)


def _note_stale_adapter(kb) -> None:
    """A note on stderr when ``kb tune``'s adapter no longer matches the indexed files (search ignores it)."""
    from coachgen.index import adapter

    if adapter.path(kb).is_file() and adapter.state(kb) == "stale":
        err().print("[dim]note: the handbook changed since 'coachgen kb tune', so search ignores its adapter; "
                    "run 'coachgen kb tune' again, or 'coachgen kb tune --undo'[/dim]")


@app.command()
def search(
    ctx: typer.Context,
    query: Optional[str] = typer.Argument(None, help="What to look for, in your own words."),
    k: int = typer.Option(5, "--k", "-k", min=1, max=100, help="How many results."),
    kind: List[str] = typer.Option([], "--kind", help="Only this document kind (repeatable)."),
    tag: List[str] = typer.Option([], "--tag", help="Only documents with this tag (repeatable)."),
    stage: List[str] = typer.Option([], "--stage", help="Only documents for this sales stage (repeatable)."),
    deal: List[str] = typer.Option([], "--deal", help="Only the notes of this deal id (repeatable)."),
    rep: List[str] = typer.Option([], "--rep", help="Only notes of this rep's deals (repeatable)."),
    per_doc: int = typer.Option(1, "--per-doc", min=1, help="At most this many chunks from one document."),
    include_expired: bool = typer.Option(False, "--include-expired", help="Also return expired documents."),
    queries: Optional[Path] = typer.Option(None, "--queries", help="File with one query per line; prints JSON Lines."),
    as_json: bool = typer.Option(False, "--json", help="Print results as JSON."),
    explain: bool = typer.Option(False, "--explain", help="Show why each hit ranked where it did: its dense, lexical, "
                                 "phrase and exact-term scores, their weights and the final score."),
) -> None:
    """Hybrid search (meaning + keywords) over the knowledge base."""
    from coachgen.retrieval import Filters, search_many
    from coachgen.retrieval import search as run_search

    if (query is None) == (queries is None):
        fail("give either a QUERY or --queries FILE")
    kb = open_kb(ctx)
    filters = Filters(tuple(kind), tuple(tag), tuple(stage), tuple(deal), tuple(rep))
    options = {"k": k, "filters": filters, "include_expired": include_expired, "per_doc": per_doc, "explain": explain}
    if queries is not None:
        from coachgen.ingest.loader import read_text

        text, _ = read_text(queries, str(queries), kb.settings.max_file_bytes)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        import json
        import sys

        for line, hits in zip(lines, search_many(kb, lines, **options)):
            sys.stdout.write(json.dumps({"query": line, "results": [hit.as_dict() for hit in hits]}, ensure_ascii=False) + "\n")
        _note_stale_adapter(kb)
        return
    hits = run_search(kb, query, **options)
    _note_stale_adapter(kb)
    if as_json:
        print_json([hit.as_dict() for hit in hits])
        return
    _print_hits(hits)


def _print_hits(hits) -> None:
    from rich.markup import escape

    console = out()
    if not hits:
        console.print("no results")
        return
    for number, hit in enumerate(hits, 1):
        flags = " [yellow](stale)[/yellow]" if hit.stale else ""
        reviewed = f", reviewed {hit.reviewed}" if hit.reviewed else ""
        console.print(f"[bold]{number}. {escape(hit.section)}[/bold]{flags}")
        console.print(f"   [dim]{escape(hit.source)} · {hit.kind}{reviewed} · score {hit.score:.4f} · id {hit.id}[/dim]")
        if hit.explain is not None:
            for line in _why(hit.explain):
                console.print(f"   [cyan]{escape(line)}[/cyan]")
        snippet = " ".join(hit.text.split())
        console.print(f"   {escape(snippet[:300])}{'…' if len(snippet) > 300 else ''}\n")


def _why(why) -> list[str]:
    """An explanation as lines: the sum that gives the score, then the phrases and rare terms behind it."""
    parts = [f"dense {why.dense:.3f}"] + [f"{name} {why.weights[name]:g} x {getattr(why, name):.2f}" for name in ("lexical", "phrase", "exact")]
    lines = [f"why: {' + '.join(parts)} = {why.score:.4f}" + (f" (chunk {why.chunk_score:.4f})" if why.chunk_score != why.score else "")]
    if why.record and why.record >= why.dense:
        lines.append(f"     dense comes from a mined objection the page holds, worded like the query ({why.record:.3f})")
    if why.phrases:
        lines.append("     phrases held: " + "; ".join(f'"{phrase}"' for phrase in why.phrases))
    if why.rare_terms:
        held = ", ".join(why.terms) or "none"
        lines.append(f"     rare terms held: {held} (of {', '.join(why.rare_terms)})" + ("; the query is a lookup of rare terms" if why.lookup else ""))
    if why.term_documents and why.rank == 1:
        counts = ", ".join(f"{term} {count}" for term, count in why.term_documents.items())
        lines.append(f"     documents holding each term, of {why.searched} searched: {counts} (rare: at most {why.rare_limit},"
                     " and not an everyday English word)")
    return lines


@app.command()
def tune(
    ctx: typer.Context,
    undo: bool = typer.Option(False, "--undo", help="Delete the adapter: search uses the bundled embedder as shipped again."),
    status: bool = typer.Option(False, "--status", help="Only say whether an adapter exists and whether search uses it."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Adapt the embedder to this knowledge base, from its own headings and sections (optional; no labels, no download).

    Search uses the adapter until the indexed files change; run it again after ingesting."""
    from coachgen.index import adapter

    if undo and status:
        fail("give --undo or --status, not both")
    kb = open_kb(ctx)
    if status:
        state = adapter.state(kb)
        saved = adapter.load(kb) if state != "none" else None
        data = {"state": state, "path": str(adapter.path(kb))}
        if saved is not None:
            data.update(tuned_at=saved.tuned_at, pairs=len(saved.norms), embedder=saved.embedder)
        if as_json:
            print_json(data)
            return
        out().print({"none": "no adapter: search uses the bundled embedder as shipped",
                     "current": f"adapter in use: tuned {data.get('tuned_at')} on {data.get('pairs')} sections",
                     "stale": "adapter ignored: the handbook changed since it was tuned; run 'coachgen kb tune' again"}[state])
        return
    if undo:
        removed = adapter.remove(kb, on_wait=lambda message: err().print(message))
        if as_json:
            print_json({"removed": removed, "path": str(adapter.path(kb))})
        else:
            out().print("adapter removed: search uses the bundled embedder as shipped" if removed else "no adapter to remove")
        return
    with err().status("tuning the embedder to this knowledge base"):
        report = adapter.tune(kb, on_wait=lambda message: err().print(message))
    if as_json:
        print_json(report.as_dict())
        return
    out().print(f"tuned on {report.pairs} sections in {report.seconds:g}s; search uses the adapter until the files change "
                "('coachgen kb tune --undo' removes it)")


@app.command("list")
def list_documents(
    ctx: typer.Context,
    kind: Optional[str] = typer.Option(None, "--kind", help="Only this document kind."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """List indexed documents."""
    import json

    from rich.table import Table

    kb = open_kb(ctx)
    rows = [row for row in kb.catalog.documents() if kind is None or row["kind"] == kind]
    if as_json:
        print_json([{**{key: row[key] for key in row.keys() if key != "meta"}, "meta": json.loads(row["meta"])} for row in rows])
        return
    table = Table("document", "kind", "title", "chunks", "reviewed")
    for row in rows:
        table.add_row(row["key"], row["kind"], row["title"], str(row["chunk_count"]), row["reviewed"] or "-")
    out().print(table)


def _show_records(kb, source: str, as_json: bool) -> None:
    """What coachgen read in one file: each record with its type, heading, lines and the structure that gave it."""
    from rich.markup import escape

    records = kb.knowledge.by_file().get(source, [])
    if as_json:
        print_json([record.model_dump() for record in records])
        return
    console = out()
    console.print(f"[bold]{escape(source)}[/bold]: {len(records)} record(s)")
    for record in records:
        where = record.provenance
        console.print(f"- {record.type}: {escape(record.text[:100])} [dim]({escape(where.heading or '-')}, lines {where.line_start}-{where.line_end},"
                      f" {where.found_by}{'' if where.confidence >= 1 else f' {where.confidence:.1f}'})[/dim]")


@app.command()
def show(ctx: typer.Context, item: str = typer.Argument(..., help="Chunk id (or a unique prefix), or an indexed file to list what was found in it."),
         as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Show one chunk with its source and metadata, or the records coachgen found in one file."""
    from dataclasses import asdict

    from rich.markup import escape

    from coachgen.errors import NotFoundError

    kb = open_kb(ctx)
    try:
        source = kb.resolve_source(item)
    except NotFoundError:
        source = None
    if source is not None:
        _show_records(kb, source, as_json)
        return
    row = kb.chunk(item)
    if as_json:
        print_json(asdict(row))
        return
    console = out()
    console.print(f"[bold]{escape(row.section)}[/bold]\n[dim]{escape(row.source)} · {row.kind} · id {row.id}"
                  f" · reviewed {row.reviewed or '-'} · expires {row.expires or '-'}[/dim]\n")
    console.print(escape(row.text))


@app.command()
def stats(ctx: typer.Context, as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
    """Counts of files, documents, chunks and records, and which embedder built the index."""
    from coachgen.maintenance import index_stats

    data = index_stats(open_kb(ctx))
    if as_json:
        print_json(data)
        return
    console = out()
    for key, value in data.items():
        shown = ", ".join(f"{name} {count}" for name, count in value.items()) if isinstance(value, dict) else value
        console.print(f"{key}: {shown}")


@app.command()
def lint(
    ctx: typer.Context,
    path: Optional[Path] = typer.Argument(None, help="File or folder to check (default: the indexed files)."),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero on warnings too."),
    as_json: bool = typer.Option(False, "--json", help="Print as JSON."),
) -> None:
    """Check knowledge files: missing fields, stale or expired docs, duplicate chunks, empty sections."""
    from dataclasses import asdict

    from rich.markup import escape

    from coachgen.lint import lint_paths

    kb = open_kb(ctx)
    paths = [path] if path else [Path(row.path) for row in kb.indexed_files()]
    if not paths:
        fail("nothing to lint: give a PATH or ingest some files first")
    problems = lint_paths(paths, kb.settings)
    from collections import Counter

    from coachgen.knowledge.report import found_in_paths

    if path is None:
        found = {source: dict(sorted(Counter(r.type for r in records).items())) for source, records in kb.knowledge.by_file().items()}
        found.update({row.source: {} for row in kb.indexed_files() if row.source not in found
                      and Path(row.path).suffix.lower() not in (".csv", ".json", ".yaml", ".yml")})
    else:
        found = found_in_paths(paths, kb.settings)
    if as_json:
        print_json([asdict(problem) for problem in problems]
                   + [{"source": source, "severity": "info", "message": "found: " + (", ".join(f"{n} {t}" for t, n in counts.items()) or "no records"),
                       "records": counts} for source, counts in found.items()])
    else:
        console = out()
        for problem in problems:
            colour = "red" if problem.severity == "error" else "yellow"
            console.print(f"[{colour}]{problem.severity}:[/{colour}] {escape(problem.source)}: {escape(problem.message)}")
        for source, counts in found.items():
            read = ", ".join(f"{count} {name}" for name, count in counts.items()) or "no records (only searchable text)"
            console.print(f"[dim]found:[/dim] {escape(source)}: {escape(read)}")
        console.print(f"{len(problems)} problem(s)" if problems else "no problems")
    if any(p.severity == "error" or strict for p in problems):
        raise typer.Exit(1)


@app.command()
def remove(ctx: typer.Context, source: str = typer.Argument(..., help="Source path as 'kb list' shows it, or the file's path.")) -> None:
    """Remove one source file from the index."""
    removed = open_kb(ctx).remove(source, on_wait=lambda message: err().print(message))
    out().print(f"removed {source}: {removed} chunks")


@app.command("export")
def export_index(ctx: typer.Context, file: Path = typer.Argument(..., help="JSON Lines file to write.")) -> None:
    """Export documents, chunks with their embeddings, and records as JSON Lines."""
    from coachgen.maintenance import export_jsonl

    counts = export_jsonl(open_kb(ctx), file)
    out().print(f"exported {counts['chunks']} chunks from {counts['files']} files to {file}")


@app.command("import")
def import_index(ctx: typer.Context, file: Path = typer.Argument(..., help="JSON Lines file from 'kb export'.")) -> None:
    """Import an export; vectors are reused when the embedder matches, recomputed otherwise."""
    from coachgen.maintenance import import_jsonl

    counts = import_jsonl(open_kb(ctx), file, on_wait=lambda message: err().print(message))
    if not counts["verified"]:
        err().print("[yellow]warning:[/yellow] this export predates manifests, so whether it is complete could not be checked")
    out().print(f"imported {counts['chunks']} chunks from {counts['files']} files ({counts['embedded']} re-embedded)")


@app.command()
def reindex(ctx: typer.Context) -> None:
    """Rebuild every vector with the configured embedder; the old index serves until it finishes."""
    from coachgen.maintenance import reindex as run_reindex

    count = run_reindex(open_kb(ctx), on_wait=lambda message: err().print(message))
    out().print(f"re-embedded {count} chunks")
