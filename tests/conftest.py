"""Shared fixtures: a temporary COACHGEN_HOME per test, one real embedder, one sample index, no network."""

from __future__ import annotations

import ipaddress
import shutil
import socket
from pathlib import Path

import pytest

from coachgen.index.embeddings import OnnxMiniLM
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
KNOWLEDGE = ROOT / "knowledge"
_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address):  # type: ignore[no-untyped-def]
    """Refuse any connection that leaves the machine: the suite must pass offline."""
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            allowed = ipaddress.ip_address(host).is_loopback
        except ValueError:
            allowed = host == "localhost"
        if not allowed:
            raise OSError(f"network access to {host} blocked in tests")
    return _real_connect(self, address)


socket.socket.connect = _loopback_only  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("COACHGEN_"):
            monkeypatch.delenv(name)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("COACHGEN_HOME", str(tmp_path / "home"))


def _opened(home: Path, embedder: OnnxMiniLM):
    """A knowledge base at ``home`` for one test, closed afterwards."""
    base = KnowledgeBase(load_settings(home=home), embedder=embedder)
    yield base
    base.close()


@pytest.fixture(scope="session")
def embedder() -> OnnxMiniLM:
    """The real embedded MiniLM, loaded once."""
    return OnnxMiniLM()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def kb(home: Path, embedder: OnnxMiniLM) -> KnowledgeBase:
    """An empty knowledge base in this test's home."""
    yield from _opened(home, embedder)


@pytest.fixture(scope="session")
def sample_home(tmp_path_factory: pytest.TempPathFactory, embedder: OnnxMiniLM) -> Path:
    """A home with the bundled sample ingested once per session; copy it before writing."""
    home = tmp_path_factory.mktemp("sample") / "home"
    base = KnowledgeBase(load_settings(home=home, environ={}), embedder=embedder)
    report = base.ingest([KNOWLEDGE])
    assert not report.errors, report.errors
    base.close()
    return home


@pytest.fixture(scope="session")
def northwind_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home with the second corpus's handbook ingested and its HubSpot export imported, once per session, through
    the CLI as a user would; read-only by convention."""
    from typer.testing import CliRunner

    from coachgen.cli import app

    corpus = ROOT / "tests" / "corpora" / "northwind"
    home = tmp_path_factory.mktemp("northwind") / "home"
    for args in (["kb", "ingest", corpus / "handbook"], ["deals", "import", corpus / "crm" / "opportunities.csv", "--preset", "hubspot"]):
        result = CliRunner().invoke(app, ["--home", str(home), *map(str, args)])
        assert result.exit_code == 0, result.output
    return home


@pytest.fixture
def sample_kb(sample_home: Path, embedder: OnnxMiniLM) -> KnowledgeBase:
    """The sample index, read-only by convention."""
    yield from _opened(sample_home, embedder)


@pytest.fixture
def sample_copy(sample_home: Path, home: Path) -> Path:
    """A private copy of the sample home that a test may change."""
    shutil.copytree(sample_home, home)
    return home


@pytest.fixture
def copy_kb(sample_copy: Path, embedder: OnnxMiniLM) -> KnowledgeBase:
    """A knowledge base on a private copy of the sample, which a test may change."""
    yield from _opened(sample_copy, embedder)


def write(path: Path, text: str) -> Path:
    """Write a file, creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def json_server():
    """Start loopback HTTP servers whose POST answers come from ``reply(path, body) -> (status, payload[, headers])``.

    A ``bytes`` payload is sent as it is (for broken bodies); anything else as JSON.
    """
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    servers = []

    def start(reply):
        seen: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
                status, payload, *extra = reply(self.path, body)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeouts are part of the tests)

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/v1", seen

    yield start
    for server in servers:
        server.shutdown()
