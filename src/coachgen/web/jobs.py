"""One bounded queue for long work (model calls, re-indexing): a job runs on a worker thread, its page polls.

The queue holds at most ``workers`` running and ``size`` waiting jobs; one more is refused with
:class:`Busy`, which carries how many seconds the queue needs to drain (the running mean of finished
jobs times the jobs ahead, over the workers), so the page can say "busy, try again in N s" with a
429 and a ``Retry-After`` header instead of hanging.
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Busy", "Job", "JobQueue"]

#: Seconds assumed per job before any has finished.
FIRST_GUESS = 60.0


class Busy(Exception):
    """The queue is full: try again in ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy, try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass
class Job:
    """A unit of long work: its owner, what it says it is doing, and where its result lives when done."""

    id: str
    owner: str
    label: str
    status: str = "waiting"  # waiting, running, done, failed
    progress: str = "waiting for a free worker"
    result_url: str | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def report(self, message: str) -> None:
        """Say what the job is doing now (shown on its progress page)."""
        self.progress = message


class JobQueue:
    """A bounded pool of worker threads; ``submit`` refuses with :class:`Busy` when it is full."""

    def __init__(self, size: int = 8, workers: int = 1, keep: int = 500) -> None:
        self.size, self.workers, self.keep = size, workers, keep
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coachgen-job")
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._durations: list[float] = []

    def _active(self) -> int:
        return sum(1 for job in self._jobs.values() if job.status in ("waiting", "running"))

    def estimate(self, ahead: int | None = None) -> int:
        """Seconds until a new job could start."""
        mean = sum(self._durations[-20:]) / len(self._durations[-20:]) if self._durations else FIRST_GUESS
        waiting = self._active() if ahead is None else ahead
        return max(1, round(mean * max(1, waiting - self.workers + 1) / self.workers))

    def submit(self, owner: str, label: str, work: Callable[[Job], str]) -> Job:
        """Queue ``work(job) -> result URL``; :class:`Busy` when ``workers + size`` jobs are already in."""
        with self._lock:
            if self._active() >= self.workers + self.size:
                raise Busy(self.estimate())
            job = Job(secrets.token_urlsafe(12), owner, label)
            self._jobs[job.id] = job
            self._forget_old()
        self._pool.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], str]) -> None:
        job.status, job.progress, begun = "running", "started", time.monotonic()
        try:
            job.result_url = work(job)
            job.status = "done"
        except Exception as exc:  # noqa: BLE001 - shown on the job's page as one line
            job.status, job.error = "failed", (str(exc).splitlines() or [type(exc).__name__])[0]
        finally:
            job.finished = time.monotonic()
            with self._lock:
                self._durations.append(job.finished - begun)

    def get(self, job_id: str, owner: str) -> Job | None:
        """A job by id, only for the user who started it."""
        job = self._jobs.get(job_id)
        return job if job is not None and job.owner == owner else None

    def wait(self, job: Job, seconds: float) -> None:
        """Wait up to ``seconds`` for ``job`` to finish (so quick jobs skip the progress page)."""
        deadline = time.monotonic() + seconds
        while job.status in ("waiting", "running") and time.monotonic() < deadline:
            time.sleep(0.02)

    def _forget_old(self) -> None:
        finished = [job for job in self._jobs.values() if job.status in ("done", "failed")]
        for job in sorted(finished, key=lambda j: j.finished or 0)[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[job.id]

    def shutdown(self) -> None:
        """Stop accepting work; running jobs finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)
