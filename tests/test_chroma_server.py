"""Server mode: a real `chroma run` on loopback, reached through COACHGEN_CHROMA_URL."""

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import KNOWLEDGE

from coachgen.errors import IndexError_
from coachgen.knowledge_base import KnowledgeBase
from coachgen.maintenance import index_stats
from coachgen.settings import load_settings

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    executable = Path(sys.executable).with_name("chroma")
    if not executable.exists():
        executable = Path(shutil.which("chroma") or "chroma")
    port = _free_port()
    data = tmp_path_factory.mktemp("chroma-server")
    server = subprocess.Popen(
        [str(executable), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"chroma run exited with {server.returncode}")
            time.sleep(0.2)
    else:
        server.kill()
        pytest.fail("chroma run did not start listening within 60 s")
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


def test_ingest_and_search_against_a_chroma_server(chroma_url, tmp_path, embedder):
    settings = load_settings(home=tmp_path / "home", chroma_url=chroma_url)
    kb = KnowledgeBase(settings, embedder=embedder)
    report = kb.ingest([KNOWLEDGE])
    assert not report.errors
    assert not (tmp_path / "home" / "chroma").exists()
    stats = index_stats(kb)
    assert stats["vectors"] == stats["chunks"] == report.chunks_added
    assert stats["vector_store"] == chroma_url
    assert kb.search("we lost to quorvel after discounting too early", k=3)[0].source in {"crm/deals.csv", "battlecards/quorvel.md"}
    again = kb.ingest([KNOWLEDGE])
    assert again.files_unchanged == 19 and kb.vectors.count() == stats["chunks"]


def test_unreachable_server_is_a_clear_error(tmp_path, embedder):
    settings = load_settings(home=tmp_path / "home", chroma_url=f"http://127.0.0.1:{_free_port()}")
    kb = KnowledgeBase(settings, embedder=embedder)
    with pytest.raises(IndexError_, match="cannot reach the Chroma server"):
        kb.vectors.count()
