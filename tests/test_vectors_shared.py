"""Vectors shared by several processes: each HybridRetriever here stands for one process
(its own Chroma client and cached collection handles) over the one SQL database."""

from __future__ import annotations

import threading

import pytest
from typer.testing import CliRunner

from knowledge import repository
from knowledge.service import KnowledgeService
from retrieval.retriever import HybridRetriever
from tests.test_failures import ChromaServer, _free_port
from xiaoer.db import session_scope
from xiaoer.settings import Settings, get_settings

FAQ = ("faq.csv", b"question,answer\nDo you gift wrap?,Yes, gift wrap is free.\n")
SAME_SIZE = ("faq.csv", b"question,answer\nDo you gift wrap?,No, gift wrap is gone.\n")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shared-chroma")
    server = ChromaServer(folder / "chroma", _free_port(), folder / "chroma.log")
    server.start()
    yield server
    server.kill()


def process(assistant, **overrides) -> KnowledgeService:
    """One more "process": a retriever with a Chroma client of its own."""
    settings = Settings(**{"home": get_settings().home, **overrides})
    return KnowledgeService(HybridRetriever(embedder=assistant.retriever.embedder, settings=settings))


def on_server(assistant, chroma_server, prefix="xiaoer") -> KnowledgeService:
    return process(assistant, chroma_host="127.0.0.1", chroma_port=chroma_server.port, chroma_prefix=prefix)


def top(kb: KnowledgeService, merchant_id: str, question: str):
    """The best hit's chunk text and whether dense retrieval found it."""
    hit = kb.retriever.search(merchant_id, question).hits[0]
    with session_scope() as s:
        chunk, _ = repository.chunks_with_documents(s, merchant_id, [hit.chunk_id])[hit.chunk_id]
    return chunk.text, hit.dense_rank is not None


def collections(chroma_server, merchant_id: str) -> list[str]:
    import chromadb

    client = chromadb.HttpClient(host="127.0.0.1", port=chroma_server.port,
                                 settings=chromadb.Settings(anonymized_telemetry=False))
    return sorted(c.name for c in client.list_collections() if f"-{merchant_id}-" in c.name)


def test_a_rebuild_elsewhere_leaves_no_stale_handle_and_switches_all_at_once(assistant, chroma_server, merchant_id):
    a, b = on_server(assistant, chroma_server), on_server(assistant, chroma_server)
    a.ensure_merchant(merchant_id)
    a.ingest_files(merchant_id, [FAQ])
    assert top(b, merchant_id, "gift wrapping?") == ("Do you gift wrap?\nYes, gift wrap is free.", True)
    a.retriever.rebuild(merchant_id)  # fills v1, makes it live in SQL, drops v0 under b's handle
    assert top(b, merchant_id, "gift wrapping?") == ("Do you gift wrap?\nYes, gift wrap is free.", True)
    name = assistant.retriever.embedder.name
    assert collections(chroma_server, merchant_id) == [f"xiaoer-{merchant_id}-{name}-v1"]


def test_a_stale_handle_to_a_dropped_collection_is_retried_not_an_error(assistant, chroma_server, merchant_id):
    a, b = on_server(assistant, chroma_server), on_server(assistant, chroma_server)
    a.ensure_merchant(merchant_id)
    a.ingest_files(merchant_id, [FAQ])
    top(b, merchant_id, "gift wrapping?")  # b holds a handle to the live collection
    a.retriever.rebuild(merchant_id)
    # b's next call goes straight to the store, before any version check could notice.
    vector = b.retriever.embedder.embed(["gift wrapping?"])[0]
    hits = b.retriever.vectors.query(merchant_id, b.retriever.embedder.name, vector, 3)
    assert len(hits) == 1 and b.retriever.vectors.generation == 1


def test_concurrent_rebuilds_run_one_at_a_time(assistant, chroma_server, merchant_id):
    a, b = on_server(assistant, chroma_server), on_server(assistant, chroma_server)
    a.ensure_merchant(merchant_id)
    a.ingest_files(merchant_id, [FAQ])
    errors: list[BaseException] = []

    def rebuild(kb) -> None:
        try:
            kb.retriever.rebuild(merchant_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=rebuild, args=(kb,)) for kb in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    with session_scope() as s:
        assert repository.live_vector_version(s, merchant_id, a.retriever.embedder.name) == 2
    assert len(collections(chroma_server, merchant_id)) == 1
    assert top(b, merchant_id, "gift wrapping?")[1]


def test_deployments_with_their_own_prefix_share_a_chroma_server_apart(assistant, chroma_server, merchant_id):
    shop = on_server(assistant, chroma_server, prefix="staging")
    shop.ensure_merchant(merchant_id)
    shop.ingest_files(merchant_id, [FAQ])
    assert [n.split("-")[0] for n in collections(chroma_server, merchant_id)] == ["staging"]


def test_a_same_size_replacement_on_another_host_is_never_answered_from_the_old_text(assistant, merchant_id, tmp_path):
    """Two hosts with an embedded store each over one database: the second notices the
    replaced chunk by its id, where a count would have matched."""
    a = process(assistant)
    b = process(assistant, home=tmp_path / "host-b", database_url=get_settings().sqlalchemy_url)
    a.ensure_merchant(merchant_id)
    a.ingest_files(merchant_id, [FAQ])
    assert top(b, merchant_id, "gift wrapping?") == ("Do you gift wrap?\nYes, gift wrap is free.", True)
    a.ingest_files(merchant_id, [SAME_SIZE])
    assert top(b, merchant_id, "gift wrapping?") == ("Do you gift wrap?\nNo, gift wrap is gone.", True)
    with session_scope() as s:
        assert b.retriever.vectors.ids(merchant_id, b.retriever.embedder.name) == repository.chunk_ids(s, merchant_id)


def test_serve_refuses_several_workers_on_the_embedded_store(monkeypatch):
    from xiaoer.cli import app
    from xiaoer.settings import reset_settings

    monkeypatch.delenv("CHROMA_HOST", raising=False)
    reset_settings()
    result = CliRunner().invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2 and "CHROMA_HOST" in result.output
