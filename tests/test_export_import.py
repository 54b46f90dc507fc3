"""kb export then kb import into an empty home restores a searchable index."""

import json

import pytest

from coachgen.errors import InputError
from coachgen.knowledge_base import KnowledgeBase
from coachgen.maintenance import export_jsonl, import_jsonl
from coachgen.retrieval import search_many
from coachgen.settings import load_settings


def findable_share(kb: KnowledgeBase) -> float:
    """Share of documents whose own first chunk, as a query, finds them in the top 5."""
    firsts = {}
    for chunk in kb.catalog.iter_chunks():
        firsts.setdefault(chunk.doc_key, chunk.text[:300])
    keys = list(firsts)
    results = search_many(kb, [firsts[key] for key in keys], k=5, include_expired=True)
    return sum(key in {hit.doc_key for hit in hits} for key, hits in zip(keys, results)) / len(keys)


def test_round_trip_into_an_empty_home(copy_kb, tmp_path, embedder):
    sample_kb = copy_kb
    with sample_kb.catalog.transaction():
        sample_kb.records.add_attempt({"rep": "Dana Whitfield", "created_at": "2026-11-20T10:00:00+00:00", "objection_key": "k", "objection": "o",
                                       "rubric_id": "objection-handling", "rubric_version": "1.0", "rubric_sha": "abc", "mode": "interactive",
                                       "score": 3.5, "passed": 1, "scorecard": "{}", "transcript": "[]"})
    path = tmp_path / "backup.jsonl"
    counts = export_jsonl(sample_kb, path)
    assert counts == {"files": 19, "chunks": sample_kb.catalog.counts()["chunks"]}
    assert path.stat().st_mode & 0o777 == 0o600  # customer data: owner only
    header = json.loads(path.read_text().splitlines()[0])
    assert header["format"] == "coachgen-kb" and header["embedder"] == embedder.name
    restored = KnowledgeBase(load_settings(home=tmp_path / "restored"), embedder=embedder)
    result = import_jsonl(restored, path)
    assert result["embedded"] == 0  # same embedder: stored vectors reused
    assert restored.catalog.counts() == sample_kb.catalog.counts()
    assert restored.vectors.count() == counts["chunks"]
    assert len(restored.records.deals()) == 44 and len(restored.records.reps()) == 6
    assert restored.records.rubric("objection-handling") == sample_kb.records.rubric("objection-handling")
    assert restored.records.attempts() == sample_kb.records.attempts()
    assert findable_share(restored) >= 0.999
    again = import_jsonl(restored, path)
    assert again["chunks"] == counts["chunks"] and restored.vectors.count() == counts["chunks"]
    assert len(restored.records.attempts()) == 1


def test_import_refuses_files_that_are_not_exports(kb, tmp_path):
    bad = tmp_path / "not-export.jsonl"
    bad.write_text('{"type": "chunk", "id": "x"}\n')
    with pytest.raises(InputError, match="not a coachgen export"):
        import_jsonl(kb, bad)
    bad.write_text("not json\n")
    with pytest.raises(InputError, match="line 1"):
        import_jsonl(kb, bad)
    assert kb.catalog.counts()["chunks"] == 0


def test_export_never_leaves_a_partial_file(sample_kb, tmp_path, monkeypatch):
    path = tmp_path / "backup.jsonl"
    path.write_text("previous backup\n")

    def explode(**filters):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sample_kb.records, "deals", explode)  # fails after chunks were written
    with pytest.raises(RuntimeError):
        export_jsonl(sample_kb, path)
    assert path.read_text() == "previous backup\n"
    assert [p.name for p in tmp_path.iterdir()] == ["backup.jsonl"]


def test_vectors_record_how_chunks_were_embedded_and_reindex_brings_old_ones_up(copy_kb):
    from coachgen.ingest.documents import EMBEDDING_FORMAT
    from coachgen.maintenance import index_stats, reindex

    assert index_stats(copy_kb)["embedding_format"] == EMBEDDING_FORMAT == 2
    copy_kb.db.execute("DELETE FROM meta WHERE key = 'embedding_format'")  # an index built before formats were recorded
    assert index_stats(copy_kb)["embedding_format"] == 1
    assert reindex(copy_kb) == copy_kb.catalog.counts()["chunks"]
    assert index_stats(copy_kb)["embedding_format"] == 2 and findable_share(copy_kb) >= 0.999
