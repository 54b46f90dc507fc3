"""Ingest against the real embedder, Chroma and SQLite: idempotence, replacement, pruning, bad input."""

import sqlite3

import pytest
from conftest import write

from coachgen.errors import (
    EmbedderMismatchError,
    EmbeddingError,
    IndexBusyError,
    SchemaVersionError,
)
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings

PLAYBOOK = """---
kind: playbook
owner: Enablement
reviewed: 2026-01-01
---
# Cold calling

## Opening line
Say who you are and why you called in one sentence.

## Handling a hang-up
Call back once, the next day, with a sharper reason.
"""


def counts(kb):
    return kb.catalog.counts()["chunks"], kb.vectors.count()


def test_ingest_then_reingest_is_idempotent(kb, tmp_path):
    write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    first = kb.ingest([tmp_path / "kb"])
    assert (first.files_ingested, first.chunks_added, first.errors) == (1, 2, [])
    second = kb.ingest([tmp_path / "kb"])
    assert (second.files_ingested, second.files_unchanged, second.chunks_added, second.chunks_unchanged) == (0, 1, 0, 2)
    assert counts(kb) == (2, 2)


def test_changed_file_replaces_only_its_changed_chunks(kb, tmp_path):
    path = write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    kb.ingest([tmp_path / "kb"])
    path.write_text(PLAYBOOK.replace("next day", "next morning"))
    report = kb.ingest([tmp_path / "kb"])
    assert (report.chunks_added, report.chunks_unchanged, report.chunks_removed, report.chunks_embedded) == (1, 1, 1, 1)
    assert counts(kb) == (2, 2)
    hit = kb.search("call back after they hang up", k=1)[0]
    assert "next morning" in hit.text


def test_prune_drops_files_that_are_gone(kb, tmp_path):
    write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    gone = write(tmp_path / "kb" / "old.md", "# Old\n\nAn outdated pricing sheet.\n")
    kb.ingest([tmp_path / "kb"])
    gone.unlink()
    assert kb.ingest([tmp_path / "kb"]).files_removed == 0
    report = kb.ingest([tmp_path / "kb"], prune=True)
    assert (report.files_removed, report.chunks_removed) == (1, 1)
    assert counts(kb) == (2, 2)
    assert [row.source for row in kb.catalog.files()] == ["cold.md"]


def test_bad_files_are_reported_and_the_rest_ingested(kb, tmp_path):
    folder = tmp_path / "kb"
    write(folder / "good.md", PLAYBOOK)
    (folder / "binary.md").write_bytes(b"\x89PNG\x00\x00 not text")
    (folder / "latin1.md").write_bytes("caf\xe9".encode("latin-1"))
    write(folder / "empty.md", "   \n")
    write(folder / "front.md", "---\nkind: [\n---\n# x\ny\n")
    write(folder / "deals.csv", 'id,account,stage\nD1,"Acme,Open\n')
    write(folder / "big.md", "# Big\n\n" + "x" * 3000)
    write(folder / "skip.pdf", "ignored: unsupported types inside folders are skipped")
    small = KnowledgeBase(load_settings(home=kb.settings.home, max_file_bytes=2000), embedder=kb._embedder)
    report = small.ingest([folder, tmp_path / "missing.md"])
    assert report.files_ingested == 1
    messages = sorted(report.errors)
    assert len(messages) == 7
    expectations = ["big.md: file is", "binary.md: binary file", "deals.csv: malformed CSV", "empty.md: file is empty",
                    "front.md: invalid YAML front matter", "latin1.md: not UTF-8", "missing.md: no such file"]
    for expected in expectations:
        assert any(expected in message for message in messages), expected
    assert all("\n" not in message for message in messages)
    assert [row.source for row in small.catalog.files()] == ["good.md"]


def test_failed_embedding_leaves_the_index_as_it_was(kb, tmp_path, embedder):
    write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    kb.ingest([tmp_path / "kb"])
    write(tmp_path / "kb" / "new.md", "# New\n\nA brand new discovery guide.\n")
    write(tmp_path / "kb" / "cold.md", PLAYBOOK.replace("one sentence", "two sentences"))

    class Broken:
        name, dim = embedder.name, embedder.dim

        def embed_batch(self, texts):
            raise EmbeddingError("endpoint down")

    broken = KnowledgeBase(kb.settings, embedder=Broken())
    with pytest.raises(EmbeddingError):
        broken.ingest([tmp_path / "kb"])
    assert [row.source for row in kb.catalog.files()] == ["cold.md"]
    assert counts(kb) == (2, 2)
    assert "one sentence" in kb.search("opening line", k=1)[0].text
    report = kb.ingest([tmp_path / "kb"])
    assert report.files_ingested == 2 and counts(kb) == (3, 3)


def test_stray_vectors_from_a_crash_are_reused_then_swept(kb, tmp_path):
    write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    kb.ingest([tmp_path / "kb"])
    kb.vectors.upsert(["stray-id"], [[0.0] * 383 + [1.0]], [{"kind": "playbook"}])
    assert kb.vectors.count() == 3
    kb.ingest([tmp_path / "kb"])
    assert counts(kb) == (2, 2)


class Renamed:
    """The real embedder under another name, as if the index had been built by another one."""

    dim = 384

    def __init__(self, embedder, name):
        self.embedder, self.name = embedder, name

    def embed_batch(self, texts):
        return self.embedder.embed_batch(texts)


def test_querying_with_another_embedder_says_to_reindex(kb, tmp_path, embedder):
    write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    kb.ingest([tmp_path / "kb"])
    other = KnowledgeBase(kb.settings, embedder=Renamed(embedder, "openai:text-embedding-3-small"))
    with pytest.raises(EmbedderMismatchError, match="kb reindex"):
        other.search("cold calling")


def test_reindex_switches_embedder_and_keeps_results(kb, tmp_path, embedder):
    from coachgen.maintenance import reindex

    write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    kb.ingest([tmp_path / "kb"])
    other = KnowledgeBase(kb.settings, embedder=Renamed(embedder, "onnx:renamed"))
    assert reindex(other) == 2
    assert other.catalog.get_meta("embedder") == "onnx:renamed"
    assert other.catalog.get_meta("collection") == "coachgen-chunks-2"
    assert "hang-up" in other.search("they hung up on me", k=1)[0].section.lower()


def test_index_from_another_schema_version_is_refused(kb, home):
    kb.catalog.set_meta("schema_version", "999")
    with pytest.raises(SchemaVersionError, match="kb export"):
        KnowledgeBase(load_settings(home=home))


def test_second_writer_gets_index_busy(kb, tmp_path):
    from filelock import FileLock

    write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    impatient = KnowledgeBase(load_settings(home=kb.settings.home, lock_timeout=0.2), embedder=kb._embedder)
    waited = []
    with FileLock(str(kb.settings.lock_path)):
        with pytest.raises(IndexBusyError, match="index busy"):
            impatient.ingest([tmp_path / "kb"], on_wait=waited.append)
    assert waited and "waiting" in waited[0]
    assert impatient.ingest([tmp_path / "kb"]).files_ingested == 1


def test_crm_export_becomes_records_and_indexed_notes(kb, tmp_path):
    write(tmp_path / "crm" / "deals.csv", "id,account,rep,stage,amount,notes\nD9,Acme,Ann,Demo,900,Procurement demanded a 20% discount\nD10,Beta,Bob,Closed Lost,5,\n")
    write(tmp_path / "crm" / "team.csv", "rep,manager,region,quota\nAnn,Sue,East,800000\n")
    report = kb.ingest([tmp_path / "crm"])
    assert (report.deals, report.reps, report.chunks_added) == (2, 1, 1)
    assert kb.records.deal("D9")["amount"] == 900.0
    assert kb.records.reps()[0]["quota"] == 800000.0
    hit = kb.search("discount demand", k=1)[0]
    assert (hit.deal_id, hit.rep, hit.kind) == ("D9", "Ann", "deal_note")


def test_catalog_and_lexical_index_stay_in_step(kb, tmp_path):
    write(tmp_path / "kb" / "cold.md", PLAYBOOK)
    kb.ingest([tmp_path / "kb"])
    kb.remove("cold.md")
    db = sqlite3.connect(kb.settings.db_path)
    assert [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("chunks", "chunks_fts", "documents", "documents_fts", "files")] == [0] * 5
    assert kb.vectors.count() == 0


def test_static_site_folders_ingest_with_notes_for_what_is_left_out(kb, tmp_path):
    folder = tmp_path / "site"
    write(folder / "content" / "sales" / "_index.md", "---\ntitle: Sales\nweight: 10\n---\n")
    write(folder / "content" / "sales" / "pricing.md", "---\ntitle: Pricing\nlastmod: 2025-02-01\nsidebar: true\nshowTitle: true\n---\n"
                                                       "# Pricing\n\n{{< note >}}Ask what they compare it with.{{< /note >}}\n")
    write(folder / "content" / "sales" / "demo.mdx", "import X from 'y';\n\n# Demo\n\nShow their own yard first.\n")
    write(folder / "content" / "sales" / "launch.md", "---\ntitle: Launch\ndraft: true\n---\n# Launch\n\nNot yet.\n")
    write(folder / "mkdocs.yml", "site_name: Handbook\nmarkdown_extensions:\n  - pymdownx.emoji:\n      emoji_index: !!python/name:material.extensions.emoji.twemoji\n")
    write(folder / "_data" / "menu.yaml", "- name: Sales\n  url: /sales/\n")
    report = kb.ingest([folder])
    assert (report.errors, report.warnings, report.files_ingested) == ([], [], 2)
    assert sorted(note.split(":")[0] for note in report.notes) == [
        "_data/menu.yaml", "content/sales/_index.md", "content/sales/launch.md", "mkdocs.yml"]
    assert all(": skipped: " in note for note in report.notes)
    hit = kb.search("compare it with", k=1)[0]
    assert (hit.source, hit.text) == ("content/sales/pricing.md", "Ask what they compare it with.")
    write(folder / "content" / "sales" / "pricing.md", "---\ntitle: Pricing\ndraft: true\n---\n# Pricing\n\nWork in progress.\n")
    again = kb.ingest([folder])
    assert (again.files_removed, again.chunks_removed) == (1, 1)
    assert [row.source for row in kb.catalog.files()] == ["content/sales/demo.mdx"]
