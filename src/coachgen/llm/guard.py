"""What leaves the machine: PII redaction before a chat request, an audit log of remote requests, ``--show-sent``,
and a cap on prompt size (``COACHGEN_MAX_PROMPT_CHARS``).

Redaction is on for OpenAI-compatible endpoints by default (``COACHGEN_REDACT=remote``); ``always``
redacts for the embedded model too, ``never`` turns it off. Every request to an endpoint is appended,
as sent (redacted), to ``COACHGEN_HOME/audit/sent.jsonl`` (mode 0600). Answers come back with the
placeholders restored, so artifacts show the real names.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coachgen.errors import InputError
from coachgen.llm.models import uses_endpoint
from coachgen.redaction import Redactor

if TYPE_CHECKING:
    from coachgen.knowledge_base import KnowledgeBase
    from coachgen.settings import Settings

__all__ = ["GuardedChat", "audit_path", "chat_model", "guard", "without_model"]

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}


def audit_path(home: Path) -> Path:
    """The audit log of requests sent to remote endpoints."""
    return home / "audit" / "sent.jsonl"


class GuardedChat:
    """A chat model wrapper: redacts what is sent, records it, restores placeholders in the answer."""

    def __init__(self, model: Any, redactor: Redactor | None, audit: Path | None, show_sent: bool, endpoint: str | None,
                 max_prompt_chars: int = 60_000, endpoint_style: str = "openai") -> None:
        self.model, self.redactor, self.audit, self.show_sent, self.endpoint = model, redactor, audit, show_sent, endpoint
        self.max_prompt_chars, self.endpoint_style = max_prompt_chars, endpoint_style
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)

    def _record(self, sent: list[Any]) -> None:
        messages = [{"role": _ROLES.get(m.type, m.type), "content": str(m.content)} for m in sent]
        if self.show_sent:
            where = self.endpoint or "the embedded model (nothing leaves this machine)"
            with self._lock:
                sys.stderr.write(f"===== sent to {where} =====\n")
                for message in messages:
                    sys.stderr.write(f"--- {message['role']} ---\n{message['content']}\n")
        if self.audit is not None:
            line = json.dumps({"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), "endpoint": self.endpoint,
                               "model": getattr(self.model, "model_name", None), "redacted": self.redactor is not None,
                               "messages": messages}, ensure_ascii=False)
            with self._lock:
                self.audit.parent.mkdir(parents=True, exist_ok=True)
                descriptor = os.open(self.audit, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
                    handle.write(line + "\n")

    def invoke(self, messages: list[Any], **options: Any) -> Any:
        """Send the (redacted) messages; return the answer with placeholders restored. Oversized prompts are refused."""
        size = sum(len(str(m.content)) for m in messages)
        if size > self.max_prompt_chars:
            raise InputError(f"the prompt is {size:,} characters, over the {self.max_prompt_chars:,}-character limit (COACHGEN_MAX_PROMPT_CHARS); "
                             "shorten the notes or raise the limit")
        sent = [m.model_copy(update={"content": self.redactor.redact(str(m.content))}) for m in messages] if self.redactor else list(messages)
        self._record(sent)
        reply = self.model.invoke(sent, **options)
        if self.redactor is None:
            return reply
        return reply.model_copy(update={"content": self.redactor.restore(str(reply.content))})


def guard(kb: "KnowledgeBase", model: Any, show_sent: bool = False) -> GuardedChat:
    """Wrap ``model`` with redaction and auditing as the settings ask."""
    remote = uses_endpoint(kb.settings)
    redact = kb.settings.redact == "always" or (kb.settings.redact == "remote" and remote)
    return GuardedChat(model, Redactor.from_records(kb.records) if redact else None,
                       audit_path(kb.settings.home) if remote else None, show_sent,
                       (kb.settings.llm_base_url or "https://api.openai.com/v1") if remote else None, kb.settings.max_prompt_chars,
                       kb.settings.llm_endpoint_style)


def without_model(settings: "Settings", artifact: str | None = None, no_llm: bool = False) -> str | None:
    """Why ``artifact`` is written without a chat model (``--no-llm``, ``COACHGEN_LLM=none``, ``COACHGEN_LLM_SKIP`` or the
    bundled model's defaults), or None when a model writes its drafts."""
    if no_llm:
        return "--no-llm"
    if settings.llm == "none":
        return "COACHGEN_LLM=none"
    if artifact is not None and settings.skips_model(artifact):
        if settings.skipped_artifacts()[1]:
            return f"the bundled model writes no usable {artifact} draft; COACHGEN_LLM_SKIP=none asks it anyway"
        return f"COACHGEN_LLM_SKIP names {artifact}"
    return None


def chat_model(kb: "KnowledgeBase", show_sent: bool = False, artifact: str | None = None, no_llm: bool = False) -> Any:
    """The configured chat model, guarded; a :class:`~coachgen.llm.models.NoModel` when ``artifact`` is written without one."""
    from coachgen.llm import models

    reason = without_model(kb.settings, artifact, no_llm)
    if reason is not None:
        return models.NoModel(reason)
    return guard(kb, models.make_chat_model(kb.settings), show_sent)
