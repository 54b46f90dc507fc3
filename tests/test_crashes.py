"""kill -9 in the middle of writes: the index stays whole, a clean re-run finishes it exactly."""

import os
import signal
import subprocess
import sys
import time

from conftest import write

from coachgen.ingest.chunking import chunk_document
from coachgen.ingest.loader import discover, load_file
from coachgen.knowledge_base import KnowledgeBase
from coachgen.maintenance import reindex
from coachgen.settings import load_settings


def corpus(folder, files=120):
    for n in range(files):
        sections = "\n\n".join(f"## Section {s}\n\nPlaybook {n}, section {s}: how the team handles objection number {n * 7 + s}." for s in range(4))
        write(folder / f"doc-{n:03d}.md", f"# Playbook {n}\n\n{sections}\n")


def expected_chunk_ids(folder, settings):
    ids = []
    for file in discover([folder])[0]:
        for document in load_file(file, settings.max_file_bytes).documents:
            ids += [chunk.id for chunk in chunk_document(document, settings.chunk_chars)]
    return ids


def test_three_kills_then_one_clean_run(tmp_path, home, embedder):
    folder = tmp_path / "kb"
    corpus(folder)
    env = {**os.environ, "COACHGEN_HOME": str(home)}
    for delay in (1.5, 2.5, 3.5):
        process = subprocess.Popen([sys.executable, "-m", "coachgen", "kb", "ingest", str(folder)], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
    settings = load_settings(home=home)
    kb = KnowledgeBase(settings, embedder=embedder)
    before = kb.catalog.counts()["chunks"]
    report = kb.ingest([folder])
    expected = expected_chunk_ids(folder, settings)
    catalog_ids = [row["id"] for row in kb.db.execute("SELECT id FROM chunks")]
    assert sorted(catalog_ids) == sorted(expected) and len(set(catalog_ids)) == len(catalog_ids) == 480
    assert kb.vectors.count() == 480 and kb.vectors.all_ids() == set(expected)
    assert report.chunks_added == 480 - before
    assert report.chunks_embedded <= report.chunks_added  # vectors a killed run already wrote are reused, never embedded twice
    fts = kb.db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
    assert fts == 480
    assert kb.search("how the team handles objection number 703", k=1)[0].source == "doc-100.md"


def test_a_killed_reindex_leaves_the_previous_index_serving(tmp_path, home, embedder):
    folder = tmp_path / "kb"
    corpus(folder, files=300)  # ~10 s of re-embedding, so the kill at 3 s lands mid-way on a quiet machine too
    settings = load_settings(home=home)
    kb = KnowledgeBase(settings, embedder=embedder)
    kb.ingest([folder])
    before = kb.catalog.get_meta("collection")
    env = {**os.environ, "COACHGEN_HOME": str(home)}
    process = subprocess.Popen([sys.executable, "-m", "coachgen", "kb", "reindex"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(3.0)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL  # killed, not finished
    fresh = KnowledgeBase(settings, embedder=embedder)
    assert fresh.catalog.get_meta("collection") == before
    assert fresh.vectors.count() == 1200
    assert fresh.search("how the team handles objection number 1213", k=1)[0].source == "doc-173.md"
    assert reindex(fresh) == 1200 and fresh.search("how the team handles objection number 1213", k=1)[0].source == "doc-173.md"
