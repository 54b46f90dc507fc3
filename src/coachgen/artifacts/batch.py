"""Many pre-call plans at once: bounded concurrency, one failure never stops the rest.

Deals are prepared (retrieval, CPU) by two threads and handed to ``concurrency`` threads that call
the model (mostly waiting), so the two overlap. Each thread has its own knowledge-base handle
(SQLite connections are per thread) sharing the embedder, the vector store and the chat model; an
OpenAI-compatible endpoint serves requests concurrently, the in-process llama.cpp model one at a time.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

from coachgen.errors import CoachgenError

__all__ = ["PREPARE_THREADS", "BatchItem", "plan_file_name", "plan_many"]

PREPARE_THREADS = 2  # retrieval is CPU work: one thread per core


@dataclass(frozen=True)
class BatchItem:
    """The outcome for one deal."""

    deal_id: str
    path: Path | None
    error: str | None
    seconds: float


def plan_file_name(deal_id: str, fmt: str) -> str:
    """The file a batch writes a deal's plan to: the id when it is a plain file name, else its letters, digits, dots
    and dashes with a hash of the id (a CRM id is untrusted: ``../x`` or ``a/b`` must not leave the folder)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", deal_id).strip("._")[:80]
    if stem != deal_id or not stem:
        stem = f"{stem or 'deal'}-{hashlib.sha256(deal_id.encode()).hexdigest()[:8]}"
    return f"{stem}.{fmt}"


def plan_many(
    kb: Any,
    deal_ids: list[str],
    out_dir: Path,
    fmt: str = "md",
    call_type: str | None = None,
    model: Any = None,
    concurrency: int | None = None,
    on_done: Callable[[BatchItem], None] | None = None,
    call_date: date | None = None,
) -> list[BatchItem]:
    """Write one plan per deal into ``out_dir`` (``<deal>.<fmt>``), ``concurrency`` at a time, for calls on ``call_date``."""
    from coachgen.artifacts.advance import call_day
    from coachgen.artifacts.call_plan import build_call_plan, prepare_call
    from coachgen.fileio import atomic_writer
    from coachgen.llm.guard import chat_model
    from coachgen.llm.models import model_label
    from coachgen.prompts import PromptLibrary
    from coachgen.render import plan_outline, render

    call_date = call_day(kb.settings, call_date)  # a past day fails here, once, not once per deal
    model = model if model is not None else chat_model(kb, artifact="prep")
    label = model_label(model)
    workers = concurrency or kb.settings.llm_concurrency
    # Two stages, so retrieval (CPU) for later deals overlaps the model calls (waiting) of earlier ones.
    preparers = [kb.for_thread() for _ in range(PREPARE_THREADS)]
    writer = kb.for_thread()
    lock = threading.Lock()
    local = threading.local()
    started: dict[str, float] = {}

    def prepare(deal_id: str) -> Any:
        started[deal_id] = time.perf_counter()
        if not hasattr(local, "kb"):
            with lock:
                local.kb, local.prompts = preparers.pop(), PromptLibrary(kb.settings)
        return prepare_call(local.kb, local.prompts, deal_id, call_type, call_date=call_date)

    def generate(deal_id: str, prepared: Any) -> BatchItem:
        plan = build_call_plan(prepared, model, label)
        path = out_dir / plan_file_name(deal_id, fmt)
        with atomic_writer(path) as handle:
            handle.write(render(plan, fmt, plan_outline(plan)))
        with lock:
            writer.records.save_plan(deal_id, plan.header.generated_at, plan.model_dump_json())
        return BatchItem(deal_id, path, None, time.perf_counter() - started[deal_id])

    def failure(deal_id: str, exc: BaseException) -> BatchItem:
        message = str(exc) if isinstance(exc, CoachgenError) else f"{type(exc).__name__}: {exc}"
        return BatchItem(deal_id, None, message, time.perf_counter() - started.get(deal_id, time.perf_counter()))

    results: dict[str, BatchItem] = {}

    def finish(item: BatchItem) -> None:
        results[item.deal_id] = item
        if on_done:
            on_done(item)

    with ThreadPoolExecutor(PREPARE_THREADS) as prep_pool, ThreadPoolExecutor(workers) as gen_pool:
        prepared_futures = {prep_pool.submit(prepare, deal_id): deal_id for deal_id in deal_ids}
        generated_futures = {}
        for future in as_completed(prepared_futures):
            deal_id = prepared_futures[future]
            if future.exception() is not None:
                finish(failure(deal_id, future.exception()))
            else:
                generated_futures[gen_pool.submit(generate, deal_id, future.result())] = deal_id
        for future in as_completed(generated_futures):
            deal_id = generated_futures[future]
            finish(failure(deal_id, future.exception()) if future.exception() is not None else future.result())
    return [results[deal_id] for deal_id in deal_ids]
