"""The OpenAI-compatible embeddings backend against a real HTTP server on loopback."""

import pytest
from conftest import write

from coachgen.errors import EmbedderMismatchError, EmbeddingError
from coachgen.index.embeddings import OpenAIEmbedder, make_embedder
from coachgen.knowledge_base import KnowledgeBase
from coachgen.settings import load_settings


@pytest.fixture
def endpoint(embedder, json_server):
    """A loopback /v1/embeddings server that answers with the embedded model's vectors, scaled and shuffled."""

    def reply(path, body):
        if body["input"] == ["fail please"]:
            return 400, {"error": {"message": "bad input", "type": "invalid_request_error"}}
        vectors = embedder.embed_batch(body["input"])
        data = [{"object": "embedding", "index": i, "embedding": [3 * x for x in v]} for i, v in enumerate(vectors)]
        return 200, {"object": "list", "data": list(reversed(data)), "model": body["model"],
                     "usage": {"prompt_tokens": 1, "total_tokens": 1}}

    return json_server(reply)


def test_embeddings_come_from_the_endpoint_normalised_and_in_order(endpoint):
    url, seen = endpoint
    remote = OpenAIEmbedder(url, "test-embed", "sk-test", timeout=10)
    vectors = remote.embed_batch(["first text", "second text"])
    assert remote.name == "openai:test-embed" and remote.dim == 384
    assert all(abs(sum(x * x for x in v) - 1) < 1e-6 for v in vectors)
    assert seen[0]["path"] == "/v1/embeddings" and seen[0]["auth"] == "Bearer sk-test"
    assert seen[0]["input"] == ["first text", "second text"]


def test_ingest_and_search_through_the_endpoint(endpoint, home, tmp_path, embedder):
    url, seen = endpoint
    settings = load_settings(home=home, embedder="openai", embed_base_url=url, embed_model="test-embed", embed_batch_size=2)
    kb = KnowledgeBase(settings)
    write(tmp_path / "kb" / "a.md", "# Pricing\n\n## Too expensive\nAsk what they compare the price with.\n\n## Timing\nAsk what changes next quarter.\n\n## Legal\nSend the MSA early.\n")
    assert kb.ingest([tmp_path / "kb"]).chunks_added == 3
    assert max(len(request["input"]) for request in seen) <= 2
    assert kb.search("the buyer thinks it costs too much", k=1)[0].section == "Pricing > Too expensive"
    local = KnowledgeBase(load_settings(home=home), embedder=embedder)
    with pytest.raises(EmbedderMismatchError, match="openai:test-embed"):
        local.search("price")


def test_endpoint_errors_become_one_line(endpoint):
    url, _ = endpoint
    with pytest.raises(EmbeddingError, match="embeddings endpoint failed: BadRequestError"):
        OpenAIEmbedder(url, "test-embed", None, timeout=10).embed_batch(["fail please"])


def test_openai_embedder_needs_an_endpoint_or_key(home):
    from coachgen.errors import ConfigError

    with pytest.raises(ConfigError, match="COACHGEN_EMBED_BASE_URL"):
        make_embedder(load_settings(home=home, embedder="openai"))
