"""Mined objections as retrieval units: a query worded like the buyer finds the page whose answer buries the wording.

Real embedder and index. The handbook below hides one objection under a long response about something
else, beside a page that talks about the same subject in general; the objection's own vector is what
lets the buyer's wording win. The vectors follow the records through removal, export/import and reindex.
"""

from pathlib import Path

from conftest import write

from coachgen.index import record_vectors
from coachgen.knowledge_base import KnowledgeBase
from coachgen.maintenance import export_jsonl, import_jsonl, reindex
from coachgen.retrieval import search
from coachgen.settings import load_settings

RESPONSE = " ".join(
    ["Walk them through the implementation plan week by week, name the project lead, show the migration checklist,"
     " and offer the reference customer in the same segment who went live in six weeks."] * 4
)


def handbook(root: Path) -> Path:
    write(root / "playbook" / "pushback.md", f"""# Pushback we hear

## Timing

**"We can't take on another system while we're short-staffed in accounts."**

{RESPONSE}

## Contracts

**"Legal will never sign a three-year term."**

Offer the annual option with a price hold, and show the exit clause.
""")
    write(root / "playbook" / "staffing.md", """# Working with small finance teams

Small accounts teams are often short of staff. Plan the rollout around their month-end close,
keep training sessions short, and make sure the controller has a named contact for questions.
""")
    return root


def stored(kb: KnowledgeBase) -> int:
    return kb.db.execute("SELECT COUNT(*) FROM record_vectors").fetchone()[0]


def test_the_objection_vector_finds_the_page_and_explain_says_so(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.ingest([handbook(tmp_path / "kb")])
    assert stored(kb) == 2
    hits = search(kb, "we're too short-staffed in accounts to take on a new system right now", k=2, explain=True)
    assert hits[0].source.endswith("pushback.md")
    assert hits[0].explain.record > 0.5
    assert hits[0].explain.dense >= hits[0].explain.record
    assert hits[0].score - hits[1].score > 0.2  # without the record's vector the two pages are within 0.02


def test_vectors_follow_the_records(kb: KnowledgeBase, home: Path, embedder, tmp_path: Path) -> None:
    folder = handbook(tmp_path / "kb")
    kb.ingest([folder])
    ids, matrix = record_vectors.load(kb.db, embedder.name)
    assert len(ids) == 2 and matrix.shape == (2, len(embedder.embed_batch(["x"])[0]))
    exported = tmp_path / "kb.jsonl"
    export_jsonl(kb, exported)
    other = KnowledgeBase(load_settings(home=tmp_path / "other"), embedder=embedder)
    import_jsonl(other, exported)
    assert stored(other) == 2
    assert reindex(other) > 0 and stored(other) == 2
    (folder / "playbook" / "pushback.md").unlink()
    kb.ingest([folder], prune=True)
    assert stored(kb) == 0


def test_a_home_without_record_vectors_still_searches(kb: KnowledgeBase, tmp_path: Path) -> None:
    kb.ingest([handbook(tmp_path / "kb")])
    kb.db.execute("DELETE FROM record_vectors")
    kb.forget_searches()
    assert search(kb, "legal won't sign three years", k=1)[0].source.endswith("pushback.md")
