"""kb tune: a map fitted on the knowledge base's own headings changes search only while it is saved and matches the index."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import write
from typer.testing import CliRunner

from coachgen.cli import app
from coachgen.index import adapter, record_vectors
from coachgen.ingest.documents import Document
from coachgen.knowledge_base import KnowledgeBase
from coachgen.retrieval import Filters, search_many
from coachgen.settings import load_settings

QUERIES = ["they said we cost way more than the other guys", "who signs the contract", "what does champion mean", "volume tiers"]


def run(home: Path, *args) -> object:
    return CliRunner().invoke(app, ["--home", str(home), *map(str, args)])


def ranked(kb: KnowledgeBase) -> list[list[tuple[str, float]]]:
    kb.forget_searches()
    return [[(hit.id, hit.score) for hit in hits] for hits in search_many(kb, QUERIES, k=5)]


def leftovers(home: Path) -> list[str]:
    """Temporary files a tune would leave behind if it stopped half-way."""
    return sorted(path.name for path in home.glob(".adapter-*"))


@pytest.fixture(scope="module")
def tuned_home(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample, tuned once through the CLI; copy it before changing it."""
    home = tmp_path_factory.mktemp("tuned") / "home"
    shutil.copytree(sample_home, home)
    result = run(home, "kb", "tune", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["pairs"] == 165 and report["change"] > 0
    return home


@pytest.fixture
def tuned_kb(tuned_home: Path, home: Path, embedder) -> KnowledgeBase:
    shutil.copytree(tuned_home, home)
    base = KnowledgeBase(load_settings(home=home, environ={}), embedder=embedder)
    yield base
    base.close()


def test_tuning_changes_ranking_only_through_the_saved_adapter(tuned_kb, sample_kb):
    assert adapter.state(tuned_kb) == "current"
    plain, tuned = ranked(sample_kb), ranked(tuned_kb)
    assert tuned != plain
    (hit,) = tuned_kb.search(QUERIES[2], k=1, explain=True)  # the store's answer, rescaled, is the cosine after the map
    weights = adapter.load(tuned_kb).weights
    chunks = tuned_kb.vectors.vectors(tuned_kb.catalog.chunk_ids_of_documents([hit.doc_key])[hit.doc_key])
    query = np.asarray(tuned_kb.embedder.embed_batch([QUERIES[2]])[0]) @ weights.T
    best = max(float(query @ (np.asarray(vector) @ weights.T) / np.linalg.norm(query) / np.linalg.norm(np.asarray(vector) @ weights.T))
               for vector in chunks.values())
    assert hit.explain.dense == pytest.approx(max(best, hit.explain.record), abs=1e-5)
    ids = sorted(tuned_kb.catalog.all_chunk_ids())
    assert ids == sorted(sample_kb.catalog.all_chunk_ids())
    before, after = sample_kb.vectors.vectors(ids), tuned_kb.vectors.vectors(ids)
    assert all((before[chunk_id] == after[chunk_id]).all() for chunk_id in ids)  # the index itself is untouched
    name = sample_kb.catalog.get_meta("embedder")
    assert (record_vectors.load(sample_kb.db, name)[1] == record_vectors.load(tuned_kb.db, name)[1]).all()
    assert adapter.remove(tuned_kb)
    assert adapter.state(tuned_kb) == "none" and not adapter.path(tuned_kb).exists()
    assert ranked(tuned_kb) == plain  # without the file, search is exactly what it was
    assert not adapter.remove(tuned_kb)


def test_a_stale_adapter_is_ignored_with_a_note(tuned_kb, tmp_path):
    tuned = ranked(tuned_kb)
    log = Document(key="deal-log:D-9", source="deal-log/D-9", kind="deal_note", title="D-9 (log)",
                   body="## 2026-01-05 call-notes\n\nThe buyer asked for a longer pilot.", deal_id="D-9")
    tuned_kb.index_documents("deal-log/D-9", [log])
    assert adapter.state(tuned_kb) == "current"  # deal logs coachgen writes itself do not change what it was fitted on
    query = "they want a longer pilot"
    (hit,) = tuned_kb.search(query, k=1, filters=Filters(deal=("D-9",)), explain=True)
    weights = adapter.load(tuned_kb).weights
    mapped = [np.asarray(vector) @ weights.T for vector in (tuned_kb.embedder.embed_batch([query])[0], tuned_kb.vectors.vectors([hit.id])[hit.id])]
    assert hit.explain.dense == pytest.approx(float(mapped[0] @ mapped[1] / np.linalg.norm(mapped[0]) / np.linalg.norm(mapped[1])), abs=1e-5)
    folder = write(tmp_path / "more" / "renewals.md", "---\nkind: playbook\n---\n# Renewals\n\nStart the renewal talk 90 days out.\n").parent
    result = run(tuned_kb.settings.home, "kb", "ingest", folder)
    assert result.exit_code == 0, result.output
    assert "search ignores its adapter" in result.stderr
    assert adapter.state(tuned_kb) == "stale" and adapter.path(tuned_kb).is_file()
    stale = ranked(tuned_kb)
    result = run(tuned_kb.settings.home, "kb", "search", QUERIES[0], "--json")
    assert result.exit_code == 0 and "run 'coachgen kb tune' again" in result.stderr
    assert "stale" in run(tuned_kb.settings.home, "kb", "tune", "--status", "--json").stdout
    adapter.remove(tuned_kb)
    assert stale == ranked(tuned_kb) and stale != tuned


def test_status_and_undo_through_the_cli(tuned_kb):
    home = tuned_kb.settings.home
    status = run(home, "kb", "tune", "--status", "--json")
    assert status.exit_code == 0 and json.loads(status.stdout)["state"] == "current"
    assert "adapter in use" in run(home, "kb", "tune", "--status").stdout
    undo = run(home, "kb", "tune", "--undo")
    assert undo.exit_code == 0 and "adapter removed" in undo.stdout
    assert "no adapter to remove" in run(home, "kb", "tune", "--undo").stdout
    assert json.loads(run(home, "kb", "tune", "--status", "--json").stdout)["state"] == "none"


def test_bad_input_is_one_line_and_leaves_nothing(home, tuned_kb, tmp_path):
    empty = tmp_path / "empty"
    result = run(empty, "kb", "tune")
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: the knowledge base is empty; run 'coachgen kb ingest' first, then 'coachgen kb tune'"
    assert not (empty / adapter.ADAPTER_FILE).exists() and not leftovers(empty)
    both = run(home, "kb", "tune", "--undo", "--status")
    assert both.exit_code == 1 and both.stderr.strip() == "error: give --undo or --status, not both"
    adapter.path(tuned_kb).write_bytes(b"not an adapter")
    broken = run(home, "kb", "search", QUERIES[0])
    assert broken.exit_code == 1 and len(broken.stderr.strip().splitlines()) == 1
    assert "is not a coachgen adapter" in broken.stderr and "Traceback" not in broken.stderr
    assert run(home, "kb", "tune", "--undo").exit_code == 0
    assert run(home, "kb", "search", QUERIES[0]).exit_code == 0


def test_a_failed_save_leaves_no_half_written_adapter(home, tuned_kb, sample_kb):
    adapter.path(tuned_kb).unlink()
    adapter.path(tuned_kb).mkdir()  # the rename over it fails after the fit
    result = run(home, "kb", "tune")
    assert result.exit_code == 1 and "cannot write the adapter" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not leftovers(home)
    assert adapter.state(tuned_kb) == "none"
    assert ranked(tuned_kb) == ranked(sample_kb)
