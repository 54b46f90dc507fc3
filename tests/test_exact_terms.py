"""Exact terms win: a query made of one rare token finds the note that holds it, also among 5,000 deal notes.

300 notes with the same wording, each holding one unique token (a hyphenated code, a two-word code, an
alphanumeric id, an invented name), are ingested by two writer processes at once; the deal notes beside
them are full of tokens of the same shapes. Real embedder and index throughout; the deal notes are
short (embedding them is most of the test's time: about 100 s on a busy 2-core machine).
"""

import csv
import json
import os
import random
import subprocess
import sys
import time

from conftest import write

from coachgen.knowledge_base import KnowledgeBase
from coachgen.retrieval import Filters, search, search_many
from coachgen.settings import load_settings

NOTES = 300
DEALS = 5000
SYLLABLES = "ka lo ver ny bre sto qua mir den tal vo rin esh par gu lem zo bri fen ath".split()


def tokens(rng: random.Random, count: int) -> list[str]:
    """Unique tokens of four shapes, in turn."""
    found: dict[str, None] = {}
    shapes = [
        lambda: f"QM-{rng.choice('TRXP')}{rng.randrange(1000, 9999)}",
        lambda: f"PO {rng.randrange(100000, 999999)}",
        lambda: f"{rng.choice('BCDFGHJKLMNPRSTVWXZ')}{rng.randrange(10, 99)}{rng.choice('ABCDEFGHJKLMNPQRSTVWXYZ')}{rng.randrange(100, 999)}",
        lambda: "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize(),
    ]
    while len(found) < count:
        found.setdefault(shapes[len(found) % len(shapes)]())
    return list(found)


SENTENCES = [
    "The buyer asked again about {token} during the rollout review.",
    "Finance wants {token} priced before the quarter closes.",
    "Legal flagged {token} in the redlines; the rollout review moves to Friday.",
    "Their IT lead compared {token} with the incumbent's offer.",
    "We promised a short demo of {token} to the operations team.",
    "Procurement listed {token} as a must-have in the tender.",
]
FILLER = [
    "Champion is engaged, economic buyer not met yet.",
    "Next step: send the security summary and book the CFO call.",
    "They run twelve entities and close takes nine days.",
    "Budget is approved for this year; timing depends on the audit.",
    "Competitor pricing came up twice on the call.",
    "The team is small and worried about change management.",
]


def note(token: str, rng: random.Random) -> str:
    """A short call note about ``token``, worded differently from its neighbours."""
    return f"# Call note\n\n{rng.choice(SENTENCES).format(token=token)} {rng.choice(FILLER)} {rng.choice(FILLER)}\n"


def top3(hits_per_query, expected) -> int:
    return sum(want in [hit.source for hit in hits[:3]] for hits, want in zip(hits_per_query, expected))


def test_a_unique_token_finds_its_note_among_thousands_of_documents(tmp_path, home, embedder):
    started = time.perf_counter()
    rng = random.Random(12)
    every = tokens(rng, NOTES + 2 * DEALS)
    unique, other = every[:NOTES], every[NOTES:]
    sources = []
    for number, token in enumerate(unique):
        side = ("east", "west")[number % 2]
        write(tmp_path / side / f"{side}-{number}.md", note(token, rng))
        sources.append(f"{side}-{number}.md")
    env = {**os.environ, "COACHGEN_HOME": str(home)}
    writers = [subprocess.Popen([sys.executable, "-m", "coachgen", "kb", "ingest", str(tmp_path / side), "--json"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for side in ("east", "west")]
    outputs = [writer.communicate(timeout=600) for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0], [err[-2500:] for _, err in outputs]
    assert sum(json.loads(out)["chunks_added"] for out, _ in outputs) == NOTES

    kb = KnowledgeBase(load_settings(home=home), embedder=embedder)
    assert kb.catalog.counts()["documents"] == NOTES
    assert top3(search_many(kb, unique, k=3), sources) == NOTES

    deals = tmp_path / "crm" / "deals.csv"
    deals.parent.mkdir()
    with deals.open("w", newline="", encoding="utf-8") as handle:
        table = csv.writer(handle)
        table.writerow(["Deal ID", "Rep", "Stage", "Notes"])
        for number in range(DEALS):
            rep, topic = ("Ada Quist", ": rollout review") if number % 1000 == 0 else (f"Rep {number % 40}", "")
            table.writerow([f"D-{number}", rep, "Discovery", f"{other[2 * number]}, {other[2 * number + 1]}{topic}"])
    report = kb.ingest([deals])
    assert not report.errors and kb.catalog.counts()["documents"] == NOTES + DEALS
    assert top3(search_many(kb, unique, k=3), sources) == NOTES

    # the same lookups inside a filter, and a filtered search keeps its keyword signal
    notes_only = search_many(kb, unique[:40], k=3, filters=Filters(kind=("playbook",)))
    assert top3(notes_only, sources[:40]) == 40
    deal_hits = search_many(kb, other[:40:2], k=1, filters=Filters(kind=("deal_note",)))
    assert [hits[0].deal_id for hits in deal_hits] == [f"D-{number}" for number in range(20)]
    rollout = search(kb, "rollout review", k=5, filters=Filters(rep=("Ada Quist",)))
    assert sorted(hit.deal_id for hit in rollout) == sorted(f"D-{number}" for number in range(0, DEALS, 1000))
    kb.close()
    assert time.perf_counter() - started < 300, "much slower than the ~2 minutes measured on a busy 2-core machine"
