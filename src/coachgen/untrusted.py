"""Deterministic defences for text coachgen did not write: deal notes, playbook text and model output.

- :func:`neutralise` runs on every piece of knowledge-base text and deal note before it reaches a
  prompt or an artifact: a sentence that reads as an instruction to an AI (prompt injection) is
  replaced by a marker and the rest of its line dropped, HTML tags are removed, and links or images to hosts outside the allowlist are dropped.
- :func:`clean_output` runs on every string the model writes: HTML tags and links or images outside
  the allowlist are removed.
- :func:`system_prompt_leak` finds a 50-character stretch of a system prompt in model output.
- :func:`opaque_tokens` finds code-like tokens (letters and digits mixed, like ``XK29QZ7``) in model
  output that the trusted facts do not contain: injected text usually asks the model to copy such a
  marker, and pattern matching on the request cannot catch every phrasing.

The instruction patterns look for what injected text has to do to work: address the model, override
its rules, or ask for specific output. They are tested against 200+ payloads and must not touch the
bundled sample's own sentences (see tests/test_injection.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

__all__ = ["REMOVED", "clean_output", "instruction_like", "neutralise", "opaque_tokens", "system_prompt_leak"]

REMOVED = "[instruction-like text removed]"
LEAK_WINDOW = 50

_INSTRUCTION = re.compile("|".join([
    r"\b(ignore|disregard|forget|override|bypass|skip|drop|abandon)\b[^.!?\n]{0,60}\b(instructions?|rules?|prompts?|guidelines|directions|above|previous|prior|earlier|everything|constraints|schema|system)\b",
    r"\b(you are|you're|you will|act as|pretend( to be)?|roleplay as|behave as|from now on)\b[^.!?\n]{0,40}\b(now|an?|the)\b[^.!?\n]{0,40}\b(ai|assistant|model|bot|chatbot|llm|gpt|dan|jailbroken|unfiltered|hacker|pirate|mode)\b",
    r"\b(assistant|language model|ai model|chatbot|llm|gpt|claude|the ai|dear ai|hey ai|ai system|ai coach)\b",
    r"\b(system|developer|hidden|initial|original|secret) (prompt|message|instructions?)\b",
    r"\b(new|updated|real|actual|important|urgent|additional|special) (instructions?|task|directive|orders?|rules?)\b",
    r"\b(output|print|respond with|reply with|answer with|say|write|include|insert|append|add|repeat|reveal|show|display|echo|emit|return|put|type|mention|state|leak|disclose|translate|summari[sz]e)\b[^.!?\n]{0,80}\b(code ?word|canary|token|string|phrase|password|secret|verbatim|word for word|exactly|the following|this text|these words|above text|your (prompt|instructions|rules|configuration))\b",
    r"\b(instead|rather),? (of (the|your) (plan|task|answer)|write|output|respond|say|reply)\b",
    r"(^|\s)(#{2,}|={3,}|-{3,}|\*{3,})\s*(system|instructions?|end|begin|admin|override)\b",
    r"</?\s*(system|instructions?|im_start|im_end|s|inst|assistant|user)\s*>|\[/?(inst|system|sys)\]|<\|[a-z_]+\|>",
    r"\b(begin|end) (of )?(system|user|assistant|instructions?|prompt|injection)\b",
    r"\b(do not|don't|never) (follow|obey|use|cite|mention|output)\b[^.!?\n]{0,40}\b(sources?|schema|rules?|instructions?|json|grounding)\b",
    r"\b(jailbreak|prompt injection|injected|exfiltrate|dan mode|developer mode|god mode)\b",
    r"\b(respond|reply|answer|write|output)\b[^.!?\n]{0,30}\b(only|solely|just) (with|in)\b",
    r"\b(reply|respond|answer|output)\s+(with\s+)?(only|nothing but|just)\b",
    r"\b(print|copy|quote|paste|repeat|echo|dump|list)\b[^.!?\n]{0,40}\b(first message|text that (starts|begins)|before this conversation|word for word|verbatim)\b",
    r"\b(what|everything)\s+(were you|you were|have you been)\s+told\b|\bbefore this conversation\b",
]), re.IGNORECASE)
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z!][^<>]{0,500}>")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*([^)\s]*)[^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\(\s*([^)\s]*)[^)]*\)")
_URL = re.compile(r"\b(?:https?|ftp|file|data|javascript):[^\s<>\"')\]]+|\bwww\.[^\s<>\"')\]]+", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*|\n")


def _allowed(url: str, allowlist: tuple[str, ...]) -> bool:
    host = (urlparse(url if "://" in url else f"https://{url}").hostname or "").lower()
    return url.lower().startswith(("https://", "http://", "www.")) and any(host == d or host.endswith("." + d) for d in allowlist)


def _links(text: str, allowlist: tuple[str, ...]) -> str:
    text = _IMAGE.sub(lambda m: m.group(0) if _allowed(m.group(2), allowlist) else "", text)
    text = _LINK.sub(lambda m: m.group(0) if _allowed(m.group(2), allowlist) else m.group(1), text)
    return _URL.sub(lambda m: m.group(0) if _allowed(m.group(0), allowlist) else "[link removed]", text)


def instruction_like(sentence: str) -> bool:
    """True when a sentence reads as an instruction to an AI model rather than sales content."""
    return bool(_INSTRUCTION.search(sentence))


def clean_output(text: str, allowlist: tuple[str, ...] = ()) -> str:
    """Model output without HTML tags and without links or images outside ``allowlist`` (domains)."""
    return _links(_TAG.sub("", text), allowlist)


def neutralise(text: str, allowlist: tuple[str, ...] = ()) -> str:
    """Untrusted text with instruction-like sentences replaced by ``REMOVED``, tags and foreign links dropped."""
    if not text:
        return text
    cleaned = clean_output(text, allowlist)
    if not _INSTRUCTION.search(cleaned):
        return cleaned
    parts: list[str] = []
    dropping = False  # an injection often runs over several sentences: drop the rest of its line too
    for piece in _SENTENCE.findall(cleaned):
        if piece == "\n":
            dropping = False
            parts.append(piece)
        elif dropping:
            continue
        elif _INSTRUCTION.search(piece):
            parts.append(piece[: len(piece) - len(piece.lstrip())] + REMOVED)
            dropping = True
        else:
            parts.append(piece)
    return "".join(parts)


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def system_prompt_leak(output: str, system_prompts: list[str]) -> str | None:
    """The first 50-character stretch of a system prompt found in ``output`` (whitespace and case folded), else None."""
    haystack = _normal(output)
    if len(haystack) < LEAK_WINDOW:
        return None
    for prompt in system_prompts:
        source = _normal(prompt)
        for start in range(0, max(len(source) - LEAK_WINDOW + 1, 0)):
            window = source[start:start + LEAK_WINDOW]
            if window in haystack:
                return window
    return None


_OPAQUE = re.compile(r"(?<![\w-])(?=[\w-]*\d)(?=[\w-]*[A-Za-z])[A-Za-z0-9][\w-]{4,}(?![\w-])")
_ORDINARY = re.compile(r"^(\d+(st|nd|rd|th|s|k|m|bn|x|am|pm|h|min|pct)|\d+(-[a-zA-Z]+)+|[a-zA-Z]+-\d+|q[1-4]-?\d{2,4}|fy-?\d{2,4})$", re.IGNORECASE)


def opaque_tokens(texts: list[str], trusted: str) -> list[str]:
    """Code-like tokens in ``texts`` (letters and digits mixed) that ``trusted`` does not contain."""
    allowed = set(_OPAQUE.findall(trusted))
    found: list[str] = []
    for text in texts:
        for token in _OPAQUE.findall(text):
            if token not in allowed and not _ORDINARY.match(token) and token not in found:
                found.append(token)
    return found
