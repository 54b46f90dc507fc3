"""Precision and recall of the record miners against hand-labelled corpora, per record type.

Each corpus under ``tests/corpora/NAME`` has ``handbook/`` and ``labels/records.yaml`` (written by
reading the pages, not the code). A mined record matches a label of the same type in the same file
when their texts mean the same words (token overlap >= 0.6 of the shorter, or one contains the other).

    python benchmarks/miner_quality.py [CORPUS ...]     # default: every corpus with labels
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from coachgen.ingest.loader import discover, load_file  # noqa: E402
from coachgen.knowledge.miners import mine_document  # noqa: E402
from coachgen.knowledge.records import RECORD_TYPES  # noqa: E402

CORPORA = ROOT / "tests" / "corpora"


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower().replace("’", "'")))


def same_text(a: str, b: str) -> bool:
    """Two record texts that say the same thing."""
    left, right = _tokens(a), _tokens(b)
    if not left or not right:
        return False
    if " ".join(sorted(left)) == " ".join(sorted(right)):
        return True
    na, nb = " ".join(re.findall(r"[a-z0-9]+", a.lower())), " ".join(re.findall(r"[a-z0-9]+", b.lower()))
    if na in nb or nb in na:
        return True
    return len(left & right) / min(len(left), len(right)) >= 0.6


def mined(handbook: Path) -> list[dict[str, str]]:
    """Every record the miners find in a handbook folder, as type / file / text."""
    files, _ = discover([handbook])
    found = []
    for file in files:
        try:
            loaded = load_file(file, 5_000_000)
        except Exception:  # noqa: BLE001 - an unreadable page mines nothing; ingest reports it
            continue
        for document in loaded.documents:
            for record in mine_document(document):
                found.append({"type": record.type, "file": record.provenance.file, "text": record.text})
    return found


def score(labels: list[dict[str, str]], found: list[dict[str, str]]) -> dict[str, dict[str, float]]:
    """Precision, recall and counts per record type (greedy one-to-one matching)."""
    result = {}
    for record_type in RECORD_TYPES:
        wanted = [label for label in labels if label["type"] == record_type]
        got = [item for item in found if item["type"] == record_type]
        if not wanted and not got:
            continue
        used: set[int] = set()
        hits = 0
        for item in got:
            match = next((i for i, label in enumerate(wanted) if i not in used and label["file"] == item["file"]
                          and same_text(str(label["text"]), item["text"])), None)
            if match is not None:
                used.add(match)
                hits += 1
        result[record_type] = {"labelled": len(wanted), "mined": len(got), "matched": hits,
                               "precision": hits / len(got) if got else 0.0, "recall": hits / len(wanted) if wanted else 0.0}
    return result


def misses(labels: list[dict[str, str]], found: list[dict[str, str]]) -> tuple[list[str], list[str]]:
    """Labels never found and mined records matching no label, for reading."""
    missed = [f"{l['type']}: {l['file']}: {l['text']}" for l in labels
              if not any(f["type"] == l["type"] and f["file"] == l["file"] and same_text(str(l["text"]), f["text"]) for f in found)]
    extra = [f"{f['type']}: {f['file']}: {f['text']}" for f in found
             if not any(f["type"] == l["type"] and f["file"] == l["file"] and same_text(str(l["text"]), f["text"]) for l in labels)]
    return missed, extra


def load_labels(corpus: Path) -> list[dict[str, str]]:
    """The labelled records of a corpus (a list, or the ``records`` list of a mapping)."""
    data = yaml.safe_load((corpus / "labels" / "records.yaml").read_text(encoding="utf-8"))
    items = data.get("records", []) if isinstance(data, dict) else data
    return [dict(item) for item in items if isinstance(item, dict) and "type" in item]


def main(names: list[str]) -> None:
    names = names or sorted(p.name for p in CORPORA.iterdir() if (p / "labels" / "records.yaml").is_file())
    verbose = "-v" in sys.argv
    for name in [n for n in names if n != "-v"]:
        corpus = CORPORA / name
        labels = load_labels(corpus)
        found = mined(corpus / "handbook")
        print(f"\n{name}: {len(labels)} labelled records, {len(found)} mined")
        print(f"{'type':<20} {'labelled':>8} {'mined':>6} {'matched':>7} {'precision':>9} {'recall':>7}")
        totals = defaultdict(int)
        for record_type, row in score(labels, found).items():
            print(f"{record_type:<20} {row['labelled']:>8} {row['mined']:>6} {row['matched']:>7} {row['precision']:>9.2f} {row['recall']:>7.2f}")
            for key in ("labelled", "mined", "matched"):
                totals[key] += int(row[key])
        print(f"{'all':<20} {totals['labelled']:>8} {totals['mined']:>6} {totals['matched']:>7} "
              f"{totals['matched'] / max(totals['mined'], 1):>9.2f} {totals['matched'] / max(totals['labelled'], 1):>7.2f}")
        if verbose:
            missed, extra = misses(labels, found)
            print("\nmissed:\n  " + "\n  ".join(missed[:80]))
            print("\nextra:\n  " + "\n  ".join(extra[:80]))


if __name__ == "__main__":
    main(sys.argv[1:])
