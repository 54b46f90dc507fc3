"""Atomic file writes: a reader sees the old file or the whole new one, never a part."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

__all__ = ["atomic_writer", "expand_user"]


@contextmanager
def atomic_writer(path: Path, mode: int = 0o644) -> Iterator[IO[str]]:
    """Write text to a temporary file beside ``path`` and rename it over ``path`` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, mode)
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def expand_user(path: Path | str) -> Path:
    """``~`` and ``~user`` expanded; a path naming an unknown user stays as written (and simply won't exist)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        return Path(path)
