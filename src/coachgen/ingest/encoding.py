"""The text encoding of a CRM export: UTF-8 (with or without a BOM), UTF-16/32 by their BOM, else Windows-1252.

CRM exports come from spreadsheets and CRMs in three encodings in practice: UTF-8 (often with a BOM,
as Excel's "CSV UTF-8" writes it), UTF-16 with a BOM (Excel's "Unicode text") and Windows-1252
(Excel's plain "CSV" on a Western Windows). The rule is deterministic:

1. a byte order mark decides (UTF-8, UTF-16 or UTF-32);
2. bytes that decode as strict UTF-8 are UTF-8 (text in another encoding almost never does);
3. otherwise Windows-1252, or Latin-1 when a byte has no Windows-1252 character.

The third step is a choice, so it is never silent: the import names the encoding and the first
words it changed, and ``--encoding`` forces another. A statistical detector (charset-normalizer)
was tried and not kept: on short Western exports it answers cp1250, which reads ``São`` as ``Săo``.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from coachgen.errors import InputError

__all__ = ["Decoded", "check_encoding", "decode_text"]

_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_WORD = re.compile(r"[^\s,;|\"]*[^\x00-\x7f][^\s,;|\"]*")  # a word with a non-ASCII letter, without delimiters


@dataclass(frozen=True)
class Decoded:
    """A file's text, the encoding it was read with, and a note when that encoding was a choice."""

    text: str
    encoding: str
    note: str | None = None


def check_encoding(name: str) -> str:
    """The codec's canonical name; ``InputError`` for a name Python does not know."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise InputError(f"--encoding: unknown encoding '{name}' (e.g. utf-8, cp1252, latin-1, utf-16)") from None


def _strict(data: bytes, encoding: str, label: str, hint: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(f"{label}: not {encoding} text (byte 0x{data[exc.start]:02x} at offset {exc.start}); {hint}") from None


def decode_text(data: bytes, label: str, forced: str | None = None) -> Decoded:
    """Decode an export's bytes (see the module docstring); ``forced`` skips detection.

    ``InputError`` when the forced encoding does not fit, or the bytes are binary.
    """
    if forced:
        check_encoding(forced)
        text = _strict(data, forced, label, "pass another --encoding")
        return Decoded(text.removeprefix("\ufeff"), forced, f"encoding: {forced}, as asked")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _strict(data, encoding, label, "pass --encoding")
            return Decoded(text.removeprefix("\ufeff"), encoding, None if encoding == "utf-8-sig" else f"encoding: {encoding} (byte order mark)")
    if b"\x00" in data[:8192]:
        raise InputError(f"{label}: binary file, not text")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start
    try:
        text, encoding = data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        text, encoding = data.decode("latin-1"), "latin-1"
    # The first word the choice decided, so that a wrong choice shows at a glance.
    line_start = data.rfind(b"\n", 0, offset) + 1
    match = _WORD.search(text, line_start)
    example = match.group(0)[:40] if match else ""
    line = data.count(b"\n", 0, offset) + 1
    shown = f": {example!r}" if example else ""
    return Decoded(text, encoding, f"encoding: read as {encoding}, not UTF-8 (line {line}{shown}); pass --encoding if not")
