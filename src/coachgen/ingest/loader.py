"""Find knowledge files under the paths given to ``kb ingest`` and load each one."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator

from coachgen.errors import InputError, SkippedFile
from coachgen.fileio import expand_user
from coachgen.ingest.crm import CrmTable, ReadOptions, deal_documents, read_crm_table
from coachgen.ingest.documents import KINDS, Document
from coachgen.ingest.encoding import decode_text
from coachgen.ingest.frontmatter import FrontMatter, load_yaml
from coachgen.ingest.markdown import load_markdown
from coachgen.ingest.objections import load_objection_library
from coachgen.rubric import Rubric, parse_rubric

__all__ = ["IGNORE_FILE", "CrmOptions", "LoadedFile", "SourceFile", "assign_sources", "discover", "load_file", "read_crm_text", "read_text"]

IGNORE_FILE = ".coachgenignore"
MARKDOWN = {".md", ".markdown", ".mdx", ".txt"}
YAML = {".yaml", ".yml"}
CRM = {".csv", ".json"}
SUPPORTED = MARKDOWN | YAML | CRM


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest: where it is, and the path shown for it (relative to the ingest root).

    The file's identity is its ``path``; ``source`` is the name it is indexed and cited under, unique in
    the index (:func:`assign_sources`).
    """

    path: Path
    root: Path
    source: str


@dataclass
class LoadedFile:
    """What one file yields: documents to index and, for CRM exports and rubrics, records.

    ``skipped`` is the note for a file left out on purpose (a draft, front matter only, YAML that is not ours);
    ``replace_deals`` asks the import to close open deals this export does not hold.
    """

    file: SourceFile
    sha256: str
    documents: list[Document] = field(default_factory=list)
    crm: CrmTable | None = None
    front: FrontMatter | None = None
    rubric: Rubric | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: str | None = None
    replace_deals: bool = False


def _ignore_patterns(root: Path) -> list[str]:
    ignore = root / IGNORE_FILE
    if not ignore.is_file():
        return []
    lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _outside(file: Path, root: Path) -> bool:
    """Whether a symbolic link under ``root`` leads out of it."""
    try:
        return file.is_symlink() and not file.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a link loop
        return True


def discover(paths: list[Path], follow_symlinks: bool = False, notes: list[str] | None = None) -> tuple[list[SourceFile], list[str]]:
    """Files to ingest under ``paths`` and errors for paths that do not exist or are unsupported.

    Inside a folder, a symbolic link to a file outside it is left out with a line in ``notes`` unless
    ``follow_symlinks``; a file named on its own is read wherever its link leads.
    """
    found: list[SourceFile] = []
    errors: list[str] = []
    for given in paths:
        path = expand_user(given)
        if path.is_file():
            if path.suffix.lower() not in SUPPORTED:
                errors.append(f"{given}: unsupported file type '{path.suffix}' (use {', '.join(sorted(SUPPORTED))})")
                continue
            root = path.parent.resolve()
            found.append(SourceFile(path.resolve(), root, path.name))
        elif path.is_dir():
            root = path.resolve()
            patterns = _ignore_patterns(root)
            for file in sorted(root.rglob("*")):
                relative = file.relative_to(root).as_posix()
                hidden = any(part.startswith(".") for part in file.relative_to(root).parts)
                if hidden or not file.is_file() or file.suffix.lower() not in SUPPORTED or _ignored(relative, patterns):
                    continue
                if not follow_symlinks and _outside(file, root):
                    if notes is not None:
                        notes.append(f"{relative}: skipped: a symbolic link to a file outside {given} (--follow-symlinks to read it)")
                    continue
                found.append(SourceFile(file, root, relative))
        else:
            errors.append(f"{given}: no such file or directory")
    return found, errors


def _labels(file: SourceFile) -> Iterator[str]:
    """Names a file may be indexed under, shortest first: its relative path, then with more of its root's path."""
    yield file.source
    prefix = ""
    for folder in [file.root, *file.root.parents]:
        if not folder.name:
            break
        prefix = f"{folder.name}/{prefix}"
        yield prefix + file.source
    yield str(file.root / file.source)


def assign_sources(files: list[SourceFile], indexed: list[tuple[str, str, str]]) -> list[SourceFile]:
    """``files`` with the source each is indexed under, and each path once; ``indexed`` is (source, path, root) per indexed file.

    A file already in the index keeps its source (found by path, so indexes written before sources were
    made unique keep working). A new file gets its path relative to its ingest root, unless another file
    holds that name: then as much of its root's path as tells them apart ("teamB/pricing.md"). A name whose
    file and ingest root are both gone from disk is taken over: that folder was moved here.
    """
    by_source = {source: (path, root) for source, path, root in indexed}
    by_path: dict[str, list[str]] = {}
    for source, path, _ in indexed:
        by_path.setdefault(path, []).append(source)
    claimed: dict[str, str] = {}  # source -> path, in this run
    assigned: list[SourceFile] = []
    for file in files:
        path = str(file.path)
        if path in claimed.values():
            continue
        known = by_path.get(path, [])
        source = file.source if file.source in known else min(known, default=None)
        if source is None or source in claimed:
            source = next((label for label in _labels(file) if label not in claimed and _free(label, path, by_source)), path)
        claimed[source] = path
        assigned.append(replace(file, source=source))
    return assigned


def _free(label: str, path: str, by_source: dict[str, tuple[str, str]]) -> bool:
    if label not in by_source:
        return True
    held_path, held_root = by_source[label]
    if held_path == path:
        return True
    moved = Path(held_root).is_absolute() and not Path(held_path).exists() and not Path(held_root).exists()
    return moved


def _read_bytes(path: Path, label: str, max_bytes: int, setting: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{label}: file is {size:,} bytes, over the {max_bytes:,}-byte limit ({setting})")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: cannot read file: {exc.strerror or exc}") from None


def read_text(path: Path, label: str, max_bytes: int, setting: str = "COACHGEN_MAX_FILE_BYTES") -> tuple[str, str]:
    """The file's text and sha256; refuses files that are too large (over ``setting``), binary, not UTF-8 or empty."""
    data = _read_bytes(path, label, max_bytes, setting)
    if b"\x00" in data[:8192]:
        raise InputError(f"{label}: binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise InputError(f"{label}: file is empty")
    return text, hashlib.sha256(data).hexdigest()


def read_crm_text(path: Path, label: str, max_bytes: int, setting: str = "COACHGEN_MAX_CRM_BYTES",
                  encoding: str | None = None) -> tuple[str, str, str | None]:
    """A CRM export's text, sha256 and a note on its encoding when that was a choice (:mod:`coachgen.ingest.encoding`)."""
    data = _read_bytes(path, label, max_bytes, setting)
    decoded = decode_text(data, label, encoding)
    if not decoded.text.strip():
        raise InputError(f"{label}: file is empty")
    return decoded.text, hashlib.sha256(data).hexdigest(), decoded.note


@dataclass(frozen=True)
class CrmOptions:
    """How to read a CRM export: explicit column mapping, a preset, the record kind, and how to read values.

    ``replace``: the export is the whole deal list, so open deals it does not hold are closed. ``encoding``
    forces the file's encoding (default: detected); ``next_steps`` indexes next steps with the notes.
    ``kind`` None reads CRM files met among knowledge files, as ``kb ingest`` does.
    """

    mapping: dict[str, str] = field(default_factory=dict)
    preset: str | None = None
    kind: str | None = None
    read: ReadOptions = field(default_factory=ReadOptions)
    replace: bool = False
    encoding: str | None = None
    next_steps: bool = False


def load_file(file: SourceFile, max_bytes: int, crm: CrmOptions | None = None, currency: str | None = None,
              setting: str | None = None) -> LoadedFile:
    """Parse one file into documents (and CRM rows); raises ``InputError`` naming the file.

    ``currency`` is the configured currency of CRM amounts that name none; ``setting`` names the size cap in errors.
    """
    suffix = file.path.suffix.lower()
    encoding_note = None
    if suffix in CRM:
        text, digest, encoding_note = read_crm_text(file.path, file.source, max_bytes, setting or "COACHGEN_MAX_FILE_BYTES",
                                                    crm.encoding if crm else None)
    else:
        text, digest = read_text(file.path, file.source, max_bytes, setting or "COACHGEN_MAX_FILE_BYTES")
    if crm is not None and crm.kind is not None and suffix not in CRM:
        raise InputError(f"{file.source}: a CRM export must be a .csv or .json file")
    if crm is not None and suffix in CRM:
        extra = ([True] if crm.replace else []) + ([f"encoding={crm.encoding}"] if crm.encoding else []) + (["next_steps"] if crm.next_steps else [])
        options = json.dumps([sorted(crm.mapping.items()), crm.preset, crm.kind, repr(crm.read), currency] + extra)
        digest = hashlib.sha256(f"{digest}:{options}".encode()).hexdigest()
    loaded = LoadedFile(file, digest, replace_deals=crm is not None and crm.replace)
    try:
        _load_into(loaded, text, suffix, crm, currency)
    except SkippedFile as note:
        loaded.documents, loaded.skipped = [], str(note)
    if encoding_note and loaded.crm is not None:
        loaded.crm = replace(loaded.crm, notes=(encoding_note, *loaded.crm.notes))
    return loaded


def _ours(data: object) -> bool:
    """A YAML file is coachgen's when it names one of our kinds or holds objection entries."""
    if isinstance(data, dict):
        kind = str(data.get("kind") or "").strip().lower()
        if kind == "rubric" or kind in KINDS or "objections" in data:
            return True
    return isinstance(data, list) and any(isinstance(entry, dict) and {"objection", "response"} & set(entry) for entry in data)


def _load_into(loaded: LoadedFile, text: str, suffix: str, crm: CrmOptions | None, currency: str | None = None) -> None:
    file = loaded.file
    if suffix in CRM:
        crm = crm or CrmOptions()
        read = replace(crm.read, currency=crm.read.currency or currency)
        loaded.crm = read_crm_table(file.source, text, suffix, crm.mapping, crm.preset, crm.kind, read)  # type: ignore[arg-type]
        if loaded.crm.skipped or loaded.crm.unknown_stages:
            loaded.warnings.append(f"{file.source}: {len(loaded.crm.skipped)} rows skipped, {len(loaded.crm.unknown_stages)} stages not recognised "
                                   f"(first: {loaded.crm.problems(1)[0]})")
        loaded.documents.extend(deal_documents(loaded.crm, file.source, crm.next_steps) if loaded.crm.kind == "deals" else [])
    elif suffix in MARKDOWN:
        document, front = load_markdown(file.source, text)
        loaded.documents.append(document)
        loaded.front = front
        loaded.warnings.extend(f"{file.source}: {warning}" for warning in front.warnings)
    else:
        data = load_yaml(text, file.source)
        if not _ours(data):
            raise SkippedFile(f"{file.source}: skipped: not a coachgen file (no kind, no objection entries)")
        if isinstance(data, dict) and data.get("kind") == "rubric":
            loaded.rubric = parse_rubric(data, file.source)
        else:
            loaded.documents.extend(load_objection_library(file.source, text))
