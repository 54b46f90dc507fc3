"""The instruction detector's false positives on real-looking handbooks: every sentence it would remove.

A handbook holds no injection, so every sentence :func:`coachgen.untrusted.instruction_like` flags in
one is a false positive. Sentences are counted as the detector sees them: the chunk texts, heading
paths and titles of every document a folder yields (markdown, YAML, CRM deal notes), split the way
:func:`coachgen.untrusted.neutralise` splits them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from coachgen.errors import InputError
from coachgen.ingest.chunking import chunk_document
from coachgen.ingest.loader import discover, load_file
from coachgen.untrusted import instruction_like

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "knowledge"
#: The handbooks written unlike the sample (static site, exported wiki, Docusaurus): every one in tests/corpora.
CORPORA = sorted((ROOT / "tests" / "corpora").glob("*/handbook"))
NORTHWIND = ROOT / "tests" / "corpora" / "northwind" / "handbook"
TRICKY = ROOT / "tests" / "fixtures" / "hygiene_handbook"
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


@dataclass
class Measurement:
    """Sentences read and those the detector flagged, with the file each came from."""

    corpus: str
    sentences: int = 0
    flagged: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Share of sentences flagged."""
        return len(self.flagged) / self.sentences if self.sentences else 0.0


def measure(folder: Path, name: str | None = None) -> Measurement:
    """Count the sentences of every document under ``folder`` and those the detector would remove."""
    result = Measurement(name or folder.name)
    files, _ = discover([folder])
    for file in files:
        try:
            loaded = load_file(file, 10_000_000)
        except InputError:
            continue
        for document in loaded.documents:
            texts = {document.title}
            for chunk in chunk_document(document, 1200):
                texts.add(chunk.section)
                texts.add(chunk.text)
            for text in texts:
                for sentence in _SENTENCE.findall(text):
                    if len(sentence.split()) < 2:
                        continue
                    result.sentences += 1
                    if instruction_like(sentence):
                        result.flagged.append((file.source, " ".join(sentence.split())))
    return result
