"""Pick the chat model from settings: an OpenAI-compatible endpoint, or llama.cpp in-process."""

from __future__ import annotations

import os
from typing import Any

from coachgen.errors import ConfigError
from coachgen.fileio import expand_user
from coachgen.settings import Settings

__all__ = ["NoModel", "is_no_model", "make_chat_model", "model_label", "uses_endpoint"]


class NoModel:
    """Stands where a chat model would: artifacts see it and use their fallback prose at once, saying why."""

    label = "none"
    _llm_type = "none"

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def invoke(self, messages: Any, **options: Any) -> Any:
        raise ConfigError(f"no chat model is used here ({self.reason})")


def is_no_model(model: Any) -> bool:
    """True for the :class:`NoModel` stand-in."""
    return isinstance(model, NoModel)


def uses_endpoint(settings: Settings) -> bool:
    """True when ``COACHGEN_LLM_BASE_URL`` or ``COACHGEN_LLM_API_KEY`` is set; local-first otherwise."""
    return bool(settings.llm_base_url or settings.llm_api_key)


def make_chat_model(settings: Settings) -> Any:
    """A LangChain chat model. The only retry layer is the OpenAI SDK's (``llm_retries``)."""
    if uses_endpoint(settings):
        from langchain_openai import ChatOpenAI

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else os.environ.get("OPENAI_API_KEY")
        # langchain-openai sends max_completion_tokens, which llama-cpp-python's server ignores; it reads only max_tokens
        budget = ({"max_tokens": None, "extra_body": {"max_tokens": settings.llm_max_tokens}} if settings.llm_endpoint_style == "llama-cpp"
                  else {"max_tokens": settings.llm_max_tokens})
        return ChatOpenAI(
            model=settings.llm_model, base_url=settings.llm_base_url, api_key=key or "not-needed",
            timeout=settings.llm_timeout, max_retries=settings.llm_retries, temperature=settings.llm_temperature, **budget,
        )
    from coachgen.llm.llama import LlamaCppChat, bundled_gguf

    path = expand_user(settings.llm_model_path) if settings.llm_model_path else bundled_gguf()
    if not path.is_file():
        raise ConfigError(f"COACHGEN_LLM_MODEL_PATH: no GGUF file at {path}")
    return LlamaCppChat(
        model_path=str(path), n_ctx=settings.llm_context, max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
    )


def model_label(model: Any) -> str:
    """How an artifact header names the model."""
    label = getattr(model, "label", None)
    if label:
        return str(label)
    name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return f"openai-compatible:{name}" if name else type(model).__name__
