"""Helpers shared by the benchmarks: a throwaway home, medians, and a fixed-size-chunk dense baseline."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"


def temp_home() -> Path:
    """A fresh COACHGEN_HOME that is removed at exit."""
    handle = tempfile.TemporaryDirectory(prefix="coachgen-bench-")
    temp_home.keep.append(handle)  # type: ignore[attr-defined]
    return Path(handle.name)


temp_home.keep = []  # type: ignore[attr-defined]


def median_seconds(run: Callable[[], object], repeats: int) -> float:
    """Median wall time of ``run`` over ``repeats`` calls."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
