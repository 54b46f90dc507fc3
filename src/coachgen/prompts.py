"""Prompt templates are data: ``prompts/<artifact>/{system,user}.md.j2``, rendered strictly in a sandbox.

Lookup order: ``--prompts DIR`` > ``COACHGEN_PROMPTS_DIR`` > ``COACHGEN_HOME/prompts`` > the bundled folder.
Untrusted text (deal notes, playbook text) only ever enters as a variable, never as template source.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from coachgen.errors import InputError, NotFoundError
from coachgen.fileio import expand_user
from coachgen.resources import bundled_dir
from coachgen.settings import Settings

__all__ = ["PART_NAMES", "PromptLibrary"]

PART_NAMES = ("system", "user")


class PromptLibrary:
    """Finds, renders and fingerprints prompt templates."""

    def __init__(self, settings: Settings, override: Path | None = None) -> None:
        candidates = [override, settings.prompts_dir, settings.home / "prompts", bundled_dir("prompts")]
        self.folders = [expand_user(folder) for folder in candidates if folder is not None]
        if override is not None and not Path(override).is_dir():
            raise InputError(f"--prompts {override}: no such folder")

    def artifacts(self) -> list[str]:
        """Every artifact that has templates in some folder."""
        return sorted({p.parent.name for folder in self.folders if folder.is_dir() for p in folder.glob("*/system.md.j2")})

    def path(self, artifact: str, part: str) -> Path:
        """The template file that wins for ``artifact``/``part``."""
        for folder in self.folders:
            candidate = folder / artifact / f"{part}.md.j2"
            if candidate.is_file():
                return candidate
        raise NotFoundError(f"no '{part}' prompt for '{artifact}'; 'coachgen prompts list' shows the prompts")

    def source(self, artifact: str, part: str) -> str:
        """Template text."""
        return self.path(artifact, part).read_text(encoding="utf-8")

    def fingerprint(self, artifact: str) -> str:
        """sha256 (12 hex) of the artifact's templates, recorded in every artifact header."""
        digest = hashlib.sha256()
        for part in PART_NAMES:
            digest.update(self.source(artifact, part).encode())
        return digest.hexdigest()[:12]

    def messages(self, artifact: str, variables: dict[str, Any]) -> list[dict[str, str]]:
        """The system and user messages of an artifact's prompt, rendered with ``variables``."""
        return [{"role": "system", "content": self.render(artifact, "system", variables)},
                {"role": "user", "content": self.render(artifact, "user", variables)}]

    def render(self, artifact: str, part: str, variables: dict[str, Any]) -> str:
        """Render with StrictUndefined in a sandbox; a missing variable is an error, never ''."""
        from jinja2 import StrictUndefined, TemplateError
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        environment = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                                                    trim_blocks=True, lstrip_blocks=True)
        path = self.path(artifact, part)
        try:
            return environment.from_string(path.read_text(encoding="utf-8")).render(**variables)
        except TemplateError as exc:
            raise InputError(f"{path}: {type(exc).__name__}: {exc}") from None
