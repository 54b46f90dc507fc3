"""Find knowledge files under the paths given to ``kb ingest`` and load each one."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path

from coachgen.errors import InputError, SkippedFile
from coachgen.fileio import expand_user
from coachgen.ingest.crm import CrmTable, ReadOptions, deal_documents, read_crm_table
from coachgen.ingest.documents import KINDS, Document
from coachgen.ingest.frontmatter import FrontMatter, load_yaml
from coachgen.ingest.markdown import load_markdown
from coachgen.ingest.objections import load_objection_library
from coachgen.rubric import Rubric, parse_rubric

__all__ = ["IGNORE_FILE", "CrmOptions", "LoadedFile", "SourceFile", "discover", "load_file", "read_text"]

IGNORE_FILE = ".coachgenignore"
MARKDOWN = {".md", ".markdown", ".mdx", ".txt"}
YAML = {".yaml", ".yml"}
CRM = {".csv", ".json"}
SUPPORTED = MARKDOWN | YAML | CRM


@dataclass(frozen=True)
class SourceFile:
    """A file to ingest: where it is, and the path shown for it (relative to the ingest root)."""

    path: Path
    root: Path
    source: str


@dataclass
class LoadedFile:
    """What one file yields: documents to index and, for CRM exports and rubrics, records.

    ``skipped`` is the note for a file left out on purpose (a draft, front matter only, YAML that is not ours).
    """

    file: SourceFile
    sha256: str
    documents: list[Document] = field(default_factory=list)
    crm: CrmTable | None = None
    front: FrontMatter | None = None
    rubric: Rubric | None = None
    warnings: list[str] = field(default_factory=list)
    skipped: str | None = None


def _ignore_patterns(root: Path) -> list[str]:
    ignore = root / IGNORE_FILE
    if not ignore.is_file():
        return []
    lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(relative: str, patterns: list[str]) -> bool:
    name = relative.rsplit("/", 1)[-1]
    return any(fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(name, pattern) for pattern in patterns)


def discover(paths: list[Path]) -> tuple[list[SourceFile], list[str]]:
    """Files to ingest under ``paths`` and errors for paths that do not exist or are unsupported."""
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
                found.append(SourceFile(file, root, relative))
        else:
            errors.append(f"{given}: no such file or directory")
    return found, errors


def read_text(path: Path, label: str, max_bytes: int, setting: str = "COACHGEN_MAX_FILE_BYTES") -> tuple[str, str]:
    """The file's text and sha256; refuses files that are too large (over ``setting``), binary, not UTF-8 or empty."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{label}: file is {size:,} bytes, over the {max_bytes:,}-byte limit ({setting})")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{label}: cannot read file: {exc.strerror or exc}") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{label}: binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise InputError(f"{label}: file is empty")
    return text, hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class CrmOptions:
    """How to read a CRM export: explicit column mapping, a preset, the record kind, and how to read values."""

    mapping: dict[str, str] = field(default_factory=dict)
    preset: str | None = None
    kind: str | None = None
    read: ReadOptions = field(default_factory=ReadOptions)


def load_file(file: SourceFile, max_bytes: int, crm: CrmOptions | None = None, currency: str | None = None,
              setting: str | None = None) -> LoadedFile:
    """Parse one file into documents (and CRM rows); raises ``InputError`` naming the file.

    ``currency`` is the configured currency of CRM amounts that name none; ``setting`` names the size cap in errors.
    """
    text, digest = read_text(file.path, file.source, max_bytes, setting or "COACHGEN_MAX_FILE_BYTES")
    suffix = file.path.suffix.lower()
    if crm is not None:
        if suffix not in CRM:
            raise InputError(f"{file.source}: a CRM export must be a .csv or .json file")
        options = json.dumps([sorted(crm.mapping.items()), crm.preset, crm.kind, repr(crm.read), currency])
        digest = hashlib.sha256(f"{digest}:{options}".encode()).hexdigest()
    loaded = LoadedFile(file, digest)
    try:
        _load_into(loaded, text, suffix, crm, currency)
    except SkippedFile as note:
        loaded.documents, loaded.skipped = [], str(note)
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
        loaded.documents.extend(deal_documents(loaded.crm, file.source) if loaded.crm.kind == "deals" else [])
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
