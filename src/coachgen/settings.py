"""Typed settings: CLI flag > ``COACHGEN_*`` environment > ``coachgen.toml`` > defaults.

Nothing is read at import time; call :func:`load_settings` when a command runs.
``COACHGEN_HOME`` decides where the index, the records and ``coachgen.toml`` live.
"""

from __future__ import annotations

from datetime import date

import os
import tomllib
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator

from coachgen.errors import ConfigError
from coachgen.fileio import expand_user

__all__ = ["MODEL_ARTIFACTS", "Settings", "load_settings", "unknown_variables"]

ENV_PREFIX = "COACHGEN_"
MODEL_ARTIFACTS = ("prep", "debrief", "drill", "train")  # the artifacts a chat model drafts parts of
CONFIG_FILE = "coachgen.toml"


class Settings(BaseModel):
    """Every setting coachgen reads, with its default."""

    model_config = {"extra": "forbid", "frozen": True}

    home: Path = Field(description="Directory holding the index, records and coachgen.toml.")
    embedder: Literal["onnx", "openai"] = Field(
        "onnx", description="onnx: the embedded MiniLM; openai: an OpenAI-compatible /embeddings endpoint."
    )
    embed_base_url: str | None = Field(None, description="Base URL of the embeddings endpoint.")
    embed_model: str = Field("text-embedding-3-small", description="Model name sent to the embeddings endpoint.")
    embed_api_key: SecretStr | None = Field(None, description="API key for the embeddings endpoint.")
    embed_batch_size: int = Field(64, ge=1, le=2048, description="Texts per embedding call.")
    embed_timeout: float = Field(60.0, gt=0, description="Seconds before an embeddings request is abandoned.")
    chroma_url: str | None = Field(None, description="http://host:port of a Chroma server; unset means a local index.")
    max_file_bytes: int = Field(2_000_000, ge=1, description="Files larger than this are refused at ingest.")
    max_crm_bytes: int = Field(300_000_000, ge=1, description="CRM exports (CSV, JSON) larger than this are refused (the default fits about a million rows).")
    chunk_chars: int = Field(1200, ge=200, le=8000, description="Upper bound on a chunk's characters.")
    lock_timeout: float = Field(60.0, ge=0, description="Seconds a writer waits for the index lock.")
    review_every_days: int = Field(
        365, ge=1, description="A document not reviewed for this long is flagged stale (front matter may override)."
    )
    llm: Literal["auto", "none"] = Field(
        "auto", description="auto: the endpoint when one is set, else the embedded model; none: every artifact without a chat model (as --no-llm).")
    llm_skip: str | None = Field(None, description="Artifacts written without the chat model, comma-separated from prep, debrief, drill, "
                                 "train (where a model only wastes time; their fallback prose is used and says so); 'none' skips none. "
                                 "Unset: none with a configured model, and those the bundled model does not write usably with it "
                                 "(prep, train; knowledge/defaults/bundled_model.yaml).")
    llm_model_path: Path | None = Field(None, description="A GGUF file for the in-process llama.cpp model (default: bundled SmolLM2-135M).")
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible chat endpoint; set to use it instead of llama.cpp.")
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the chat endpoint.")
    llm_endpoint_style: Literal["openai", "llama-cpp"] = Field(
        "openai", description="openai: json_schema and max_completion_tokens; llama-cpp: llama-cpp-python's server (json_object with a schema, max_tokens).",
    )
    llm_api_key: SecretStr | None = Field(None, description="API key for the chat endpoint (OPENAI_API_KEY also works).")
    llm_timeout: float = Field(120.0, gt=0, description="Seconds before a chat request is abandoned.")
    llm_retries: int = Field(1, ge=0, le=5, description="Retries of a failed chat request (the only retry layer).")
    llm_max_tokens: int = Field(900, ge=16, le=32768, description="Output token budget of one generation.")
    max_prompt_chars: int = Field(60_000, ge=1000, description="Prompts longer than this (characters) are refused before any model call.")
    llm_temperature: float = Field(0.2, ge=0, le=2, description="Sampling temperature.")
    llm_context: int = Field(8192, ge=512, description="Context window of the llama.cpp model.")
    stuck_days: str = Field("", description="Per-stage days-in-stage limits, e.g. 'Engaging=45,Proposal=20' (default: the knowledge base's "
                            "stage records, else the team's own data, else a labelled default; see coachgen.process).")
    activity_days: int | None = Field(None, ge=1, description="Days without activity after which an open deal is stuck (default: from the data, "
                                      "else a labelled default).")
    stage_order: str = Field("", description="Open stages in process order, comma-separated (default: the knowledge base's stage records, "
                             "else the data, else the generic stage vocabulary).")
    coverage_target: float | None = Field(None, gt=0, description="Target for pipeline in the period, as a multiple of the remaining quota "
                                          "(default: 1 / the team's win rate, else a labelled default).")
    call_types: str = Field("", description="Call type per stage, e.g. 'Engaging=discovery,Tech Review=evaluation' (default: the stage records, "
                            "else the generic stage vocabulary).")
    currency: str | None = Field(None, pattern=r"^[A-Za-z]{3}$", description="ISO code of CRM amounts that name no currency (default: USD).")
    llm_concurrency: int = Field(4, ge=1, le=64, description="Plans prepared at once by a batch prep (useful with an endpoint).")
    prompts_dir: Path | None = Field(None, description="Folder whose prompt templates override the bundled ones.")
    redact: Literal["remote", "always", "never"] = Field(
        "remote", description="Replace emails, phones, card numbers and known names before a chat request: remote (endpoints only), always, never.")
    link_allowlist: str = Field("", description="Domains whose links and images may appear in artifacts, comma-separated (default: none).")
    working_days: str = Field("Mon,Tue,Wed,Thu,Fri", description="The team's working week, comma-separated day names or ranges "
                              "('Sun-Thu'); check-ins and debrief dates fall on these days.")
    advance_days: int = Field(7, ge=1, le=60, description="Days after a call by which the buyer's commitment (the plan's advance) is due "
                              "when the deal's next step names no later date; moved to a working day.")

    def allowed_domains(self) -> tuple[str, ...]:
        """``link_allowlist`` as lower-case domains."""
        return tuple(d.strip().lower() for d in self.link_allowlist.split(",") if d.strip())

    def working_weekdays(self) -> frozenset[int]:
        """``working_days`` as weekday numbers (Monday 0); a range may wrap ('Sun-Thu')."""
        names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        days: set[int] = set()
        for part in filter(None, (p.strip().lower() for p in self.working_days.split(","))):
            ends = [e.strip()[:3] for e in part.split("-")]
            if len(ends) > 2 or any(e not in names for e in ends):
                raise ConfigError(f"COACHGEN_WORKING_DAYS: '{part}' is not a day name or a range like Mon-Fri")
            first, last = names.index(ends[0]), names.index(ends[-1])
            days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
        if not days:
            raise ConfigError("COACHGEN_WORKING_DAYS names no day; use e.g. Mon-Fri")
        return frozenset(days)

    def on_working_day(self, day: "date") -> "date":
        """``day``, or the next working day after it."""
        from datetime import timedelta

        working = self.working_weekdays()
        while day.weekday() not in working:
            day += timedelta(days=1)
        return day

    @field_validator("llm_skip")
    @classmethod
    def _known_artifacts(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None  # empty, as in the environment: unset
        named = {a.strip().lower() for a in (value or "").split(",") if a.strip()}
        unknown = sorted(named - set(MODEL_ARTIFACTS) - {"none"})
        if unknown:
            raise ValueError(f"'{unknown[0]}' is not one of {', '.join(MODEL_ARTIFACTS)}, or none")
        if "none" in named and len(named) > 1:
            raise ValueError("'none' skips no artifact, so it names no other")
        return value

    def skipped_artifacts(self) -> tuple[set[str], bool]:
        """The artifacts written without the chat model, and whether that is the bundled model's default (no
        ``COACHGEN_LLM_SKIP``, no other model configured) rather than the setting."""
        if self.llm_skip is not None:
            return {a.strip().lower() for a in self.llm_skip.split(",")} - {"none", ""}, False
        if self.llm_base_url or self.llm_api_key or self.llm_model_path:  # an endpoint (as models.uses_endpoint) or a GGUF of one's own
            return set(), False
        from coachgen.knowledge.defaults import load

        return set(load("bundled_model")["skips"]), True

    def skips_model(self, artifact: str) -> bool:
        """True when ``artifact`` is written without the chat model (``COACHGEN_LLM=none``, or :meth:`skipped_artifacts`)."""
        return self.llm == "none" or artifact in self.skipped_artifacts()[0]

    def stuck_limits(self) -> dict[str, int]:
        """``stuck_days`` as a stage -> days mapping."""
        limits: dict[str, int] = {}
        for part in filter(None, (p.strip() for p in self.stuck_days.split(","))):
            stage, sep, days = part.rpartition("=")
            if not sep or not stage.strip() or not days.strip().isdigit():
                raise ConfigError(f"COACHGEN_STUCK_DAYS: '{part}' is not stage=days")
            limits[stage.strip().lower()] = int(days)
        return limits

    def stage_call_types(self) -> dict[str, str]:
        """``call_types`` as a stage -> call type mapping."""
        found: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in self.call_types.split(","))):
            stage, sep, call_type = part.rpartition("=")
            if not sep or not stage.strip() or not call_type.strip():
                raise ConfigError(f"COACHGEN_CALL_TYPES: '{part}' is not stage=call type")
            found[stage.strip().lower()] = call_type.strip().lower()
        return found

    @property
    def db_path(self) -> Path:
        """SQLite file with the catalog, lexical index and CRM records."""
        return self.home / "coachgen.db"

    @property
    def chroma_path(self) -> Path:
        """Directory of the local Chroma index."""
        return self.home / "chroma"

    @property
    def lock_path(self) -> Path:
        """File whose lock makes a process the index's only writer."""
        return self.home / "index.lock"


def _default_home() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("coachgen", appauthor=False))


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """One warning per ``COACHGEN_*`` variable that is no setting, naming the closest real one (a typo is otherwise silent)."""
    import difflib

    environ = os.environ if environ is None else environ
    known = [ENV_PREFIX + name.upper() for name in Settings.model_fields]
    warnings = []
    for key in sorted(k for k in environ if k.upper().startswith(ENV_PREFIX) and k not in known):
        close = difflib.get_close_matches(key.upper(), known, n=1, cutoff=0.6)
        warnings.append(f"{key} is not a coachgen setting and is ignored" + (f"; did you mean {close[0]}?" if close else ""))
    return warnings


def _check_home(home: Path) -> None:
    """Refuse a home that is a file or lies under one (``COACHGEN_HOME=/dev/null``) before anything opens it."""
    folder = home
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        where = "is not a folder" if folder == home else f"lies under {folder}, which is not a folder"
        raise ConfigError(f"coachgen home {home} {where}; set COACHGEN_HOME or --home to a folder coachgen may create")


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        key = ENV_PREFIX + name.upper()
        if key in environ and environ[key] != "":
            values[name] = environ[key]
    return values


def _from_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
    data = data.get("coachgen", data)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: 'coachgen' must be a table of settings ([coachgen])")
    for key, value in data.items():
        if isinstance(value, bool):  # TOML true/false would otherwise pass for the number 1 or 0
            raise ConfigError(f"{path}: setting '{key}' is {str(value).lower()}, not a number or text")
    return data


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings from defaults, the config file, the environment and ``overrides``."""
    environ = os.environ if environ is None else environ
    flags = {key: value for key, value in overrides.items() if value is not None}
    env = _from_env(environ)
    home = expand_user(flags.get("home") or env.get("home") or _default_home())
    _check_home(home)
    values = {**_from_file(home / CONFIG_FILE), **env, **flags, "home": home}
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        origin = "the command's flag" if field in flags else f"COACHGEN_{field.upper()}" if field in env else str(home / CONFIG_FILE)
        raise ConfigError(f"setting '{field}': {first['msg']} (check {origin})") from None
