"""Atomic file writes: a reader sees the old file or the whole new one, never a part."""

from __future__ import annotations

import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

from coachgen.errors import InputError

__all__ = ["atomic_writer", "check_output", "expand_user"]


def check_output(path: Path | str, option: str = "-o") -> Path:
    """``path`` if a file can be written there; else ``InputError`` naming ``option`` (call it before any slow work).

    Refused: an empty name, a folder, a device or other non-regular file, a path under a file, a folder
    coachgen may not write in.
    """
    if str(path).strip() == "":
        raise InputError(f"{option}: give a file name")
    path = expand_user(path)
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; give a file name")
    if path.exists() and not path.is_file():
        raise InputError(f"{option} {path}: is not a regular file")
    folder = path.parent
    while not folder.exists():
        if folder.is_symlink():  # a link to nowhere
            raise InputError(f"{option} {path}: {folder} is a broken link")
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(f"{option} {path}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{option} {path}: no permission to write in {folder}")
    return path


@contextmanager
def atomic_writer(path: Path, mode: int | None = None) -> Iterator[IO[str]]:
    """Write text to a temporary file beside ``path`` and rename it over ``path`` on success.

    The file gets ``mode`` when one is given (owner-only files); otherwise a file that exists keeps its
    mode and a new one is created with the umask, like any other program's output. Problems with the
    path itself are ``InputError``.
    """
    path = check_output(path, "output")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        previous = stat.S_IMODE(path.stat().st_mode) if path.exists() else None
        temporary, descriptor = _create_beside(path, 0o600 if mode is not None else 0o666)
    except OSError as exc:
        raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None or previous is not None:
            os.chmod(temporary, mode if mode is not None else previous)  # type: ignore[arg-type]
        try:
            os.replace(temporary, path)
        except OSError as exc:
            raise InputError(f"{path}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create_beside(path: Path, mode: int) -> tuple[Path, int]:
    """A new hidden file next to ``path``, opened for writing, created with ``mode`` less the umask."""
    for _ in range(100):
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return temporary, os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


def expand_user(path: Path | str) -> Path:
    """``~`` and ``~user`` expanded; a path naming an unknown user stays as written (and simply won't exist)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        return Path(path)
