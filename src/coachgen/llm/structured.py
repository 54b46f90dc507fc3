"""Schema-constrained generation: decode against the JSON schema, validate, re-ask once, then fail typed.

Every string the model writes loses HTML tags, links and images before validation, and an answer that
repeats 50 characters of the system prompt is rejected like any other invalid answer.

A llama.cpp model decodes an artifact's prose against a tighter grammar (:func:`grammar_schema`): plain one-line strings within
their lengths (``MAX_PLAIN`` when the schema sets none), with no braces, brackets, angle brackets, ``#``,
backticks, quotes or backslashes, so no JSON fragment, tag, heading or code can be written, and opening with
a letter or an opening quote (a small model otherwise starts a string with the ``"]`` or ``".`` it meant as
JSON); questions ending in "?"; and citations from this call's source numbers only. A re-ask names the exact problem and samples with another seed at ``RETRY_TEMPERATURE`` or more (at the
first attempt's low temperature a new seed alone mostly repeated the first answer).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from coachgen.errors import CoachgenError, GenerationError, ModelError
from coachgen.untrusted import clean_output, system_prompt_leak

__all__ = ["Generation", "generate_structured", "grammar_schema", "strict_schema"]

#: One character of a plain one-line string, as the grammar allows it; and the first one (no digit, punctuation or space).
PLAIN_CHAR = '[^{}<>#`"\\\\\\n\\[\\]]'
FIRST_CHAR = '[^{}<>#`"\\\\\\n\\[\\] 0-9.,;:!?()*+=/|_~@$%&^-]'
MAX_PLAIN = 300
#: Property names whose strings are questions, which the grammar makes end in "?".
QUESTION_FIELDS = frozenset({"question", "questions"})
MIN_QUESTION = 10
RETRY_SEED_STEP = 1009
RETRY_TEMPERATURE = 0.7

T = TypeVar("T", bound=BaseModel)


@dataclass
class Generation(Generic[T]):
    """A validated value with the raw text and token counts of every attempt."""

    value: T
    raw: str
    input_tokens: int
    output_tokens: int
    attempts: int


def strict_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with every object closed and every property required (OpenAI strict mode)."""
    schema = copy.deepcopy(model.model_json_schema())

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                node["additionalProperties"] = False
                node["required"] = list(node["properties"])
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def grammar_schema(schema_model: type[BaseModel], sources: set[int] | None = None) -> dict[str, Any]:
    """:func:`strict_schema` tightened for llama.cpp's grammar (see the module docstring); ``sources`` are this call's valid citations."""
    schema = strict_schema(schema_model)

    def tighten(node: Any, name: str = "") -> None:
        if isinstance(node, list):
            for value in node:
                tighten(value, name)
            return
        if not isinstance(node, dict):
            return
        if node.get("type") == "string" and not {"enum", "const", "pattern", "format"} & set(node):
            ending = "\\?" if name in QUESTION_FIELDS else ""
            low, high = max(int(node.get("minLength", 1)), MIN_QUESTION if ending else 1), int(node.get("maxLength", MAX_PLAIN))
            node["pattern"] = f"^{FIRST_CHAR}{PLAIN_CHAR}{{{low - 1 - bool(ending)},{high - 1 - bool(ending)}}}{ending}$"
        if name == "sources" and node.get("type") == "array" and sources:
            node["items"] = {"type": "integer", "enum": sorted(sources)}
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for prop, sub in value.items():
                    tighten(sub, prop)
            elif key == "items":
                tighten(value, name)
            elif key not in ("properties",):
                tighten(value, "")

    tighten(schema)
    return schema


def _response_format(model: Any, schema_model: type[BaseModel], sources: set[int] | None = None, prose: bool = False) -> dict[str, Any] | None:
    kind = getattr(model, "_llm_type", "")
    local = kind == "llama-cpp" or (kind.startswith("openai") and getattr(model, "endpoint_style", "openai") == "llama-cpp")
    if local:  # llama.cpp, in process or behind its server (which refuses json_schema)
        return {"type": "json_object", "schema": grammar_schema(schema_model, sources) if prose else strict_schema(schema_model)}
    if kind.startswith("openai"):
        return {"type": "json_schema", "json_schema": {"name": schema_model.__name__, "strict": True, "schema": strict_schema(schema_model)}}
    return None


def _cleaned(data: Any) -> Any:
    """Every string in parsed JSON without HTML tags, links or images (the model never needs them)."""
    if isinstance(data, str):
        return clean_output(data)
    if isinstance(data, dict):
        return {key: _cleaned(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_cleaned(value) for value in data]
    return data


def _parse(text: str, schema_model: type[T]) -> T:
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        raise ValueError("the answer holds no JSON object")
    return schema_model.model_validate(_cleaned(json.loads(text[start:end + 1], strict=False)))  # allow raw newlines in strings


def _cut_off_answer(exc: Exception) -> Any:
    """The answer the OpenAI SDK refuses when it stopped at the output budget, as a draft to validate; else None."""
    completion = getattr(exc, "completion", None)
    if type(exc).__name__ != "LengthFinishReasonError" or completion is None:
        return None
    from langchain_core.messages import AIMessage

    usage = completion.usage
    return AIMessage(content=completion.choices[0].message.content or "", usage_metadata={
        "input_tokens": usage.prompt_tokens if usage else 0, "output_tokens": usage.completion_tokens if usage else 0,
        "total_tokens": usage.total_tokens if usage else 0})


def _retry_options(model: Any, attempt: int) -> dict[str, Any]:
    """Another seed and a warmer temperature for a re-ask, for the models that take them; nothing for the first attempt."""
    if attempt == 1:
        return {}
    options: dict[str, Any] = {}
    if hasattr(model, "seed"):
        seed = getattr(model, "seed", None)
        options["seed"] = (seed if isinstance(seed, int) else 0) + RETRY_SEED_STEP
    if isinstance(getattr(model, "temperature", None), (int, float)):
        options["temperature"] = max(float(model.temperature), RETRY_TEMPERATURE)
    return options


def generate_structured(model: Any, messages: list[Any], schema_model: type[T], check: Any = None,
                        sources: set[int] | None = None, prose: bool = False) -> Generation[T]:
    """Ask for ``schema_model``; ``check(value)`` may raise ``ValueError`` for content rules (citations, names).

    ``prose``: the answer is prose for an artifact, decoded on llama.cpp against :func:`grammar_schema` with
    ``sources``, the citation numbers valid for this call (a judge quoting the rep's exact words is not prose).
    """
    from langchain_core.messages import AIMessage, HumanMessage

    response_format = _response_format(model, schema_model, sources, prose)
    options: dict[str, Any] = {"response_format": response_format} if response_format else {}
    conversation = list(messages)
    system_prompts = [str(m.content) for m in messages if getattr(m, "type", "") == "system"]
    tokens_in = tokens_out = 0
    raw = ""
    for attempt in (1, 2):
        try:
            reply = model.invoke(conversation, **options, **_retry_options(model, attempt))
        except CoachgenError:
            raise
        except Exception as exc:  # noqa: BLE001 - the SDKs raise many types; the user gets one line, not a traceback
            reply = _cut_off_answer(exc)
            if reply is None:
                detail = " ".join(str(exc).split())[:240]
                raise ModelError(f"chat model request failed: {type(exc).__name__}: {detail}") from exc
        raw = str(reply.content)
        usage = getattr(reply, "usage_metadata", None) or {}
        tokens_in += usage.get("input_tokens", 0)
        tokens_out += usage.get("output_tokens", 0)
        try:
            value = _parse(raw, schema_model)
            leaked = system_prompt_leak(value.model_dump_json(), system_prompts)
            if leaked is not None:
                raise ValueError("the answer repeats the instructions instead of doing the task")
            if check is not None:
                check(value)
            return Generation(value, raw, tokens_in, tokens_out, attempt)
        except (ValueError, ValidationError, json.JSONDecodeError) as exc:
            problem = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if isinstance(exc, ValidationError):
                problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
            conversation += [AIMessage(content=raw), HumanMessage(content=f"That answer was not usable: {problem}. Write it again without that "
                                                                          "problem, as JSON that fits the schema.")]
    raise GenerationError(f"the model's answer did not fit the {schema_model.__name__} schema after a retry: {problem}",
                          raw=raw, input_tokens=tokens_in, output_tokens=tokens_out)
