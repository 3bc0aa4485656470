"""Chunk rows kept per knowledge version (knowledge/chunk_rows.py): read from SQL once a
version, never served for another version."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from knowledge import repository
from knowledge.chunk_rows import ChunkRows
from knowledge.service import KnowledgeService
from xiaoer.db import get_engine, session_scope

FAQ = ("faq.csv", b"question,answer\nDo you gift wrap?,Yes, gift wrap is free.\nDo you ship abroad?,Yes, to Japan.\n")
REPLACED = ("faq.csv", b"question,answer\nDo you gift wrap?,No, gift wrap is gone.\nDo you ship abroad?,Yes, to Japan.\n")


@contextmanager
def statements():
    seen: list[str] = []
    listener = lambda _c, _cur, statement, *_r: seen.append(statement)  # noqa: E731
    event.listen(get_engine(), "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(get_engine(), "before_cursor_execute", listener)


def knowledge(merchant_id: str) -> tuple[int, list[int]]:
    with session_scope() as s:
        return repository.kb_version(s, merchant_id), sorted(repository.chunk_ids(s, merchant_id))


def test_rows_are_read_once_a_version_and_a_new_version_reads_sql_again(assistant, merchant_id):
    kb = KnowledgeService(assistant.retriever)
    kb.ensure_merchant(merchant_id)
    kb.ingest_files(merchant_id, [FAQ])
    version, ids = knowledge(merchant_id)
    rows = ChunkRows()
    with statements() as seen:
        first = rows.get(merchant_id, version, ids)
        again = rows.get(merchant_id, version, ids)
    assert [s for s in seen if "FROM chunks" in s] == [seen[0]] and len(seen) == 1  # one read for both
    assert again == first and {name for _, name in first.values()} == {"faq.csv"}

    kb.ingest_files(merchant_id, [REPLACED])  # another "process" would see the same new version
    new_version, new_ids = knowledge(merchant_id)
    assert new_version > version and not set(new_ids) & set(ids)
    assert rows.get(merchant_id, new_version, ids) == {}  # the old chunks are gone from SQL
    texts = [chunk.text for chunk, _ in rows.get(merchant_id, new_version, new_ids).values()]
    assert any("gift wrap is gone" in t for t in texts) and not any("gift wrap is free" in t for t in texts)


def test_the_budget_drops_the_least_recently_used_merchant(assistant, merchant_id):
    kb = KnowledgeService(assistant.retriever)
    for shop in (f"{merchant_id}-a", f"{merchant_id}-b"):
        kb.ensure_merchant(shop)
        kb.ingest_files(shop, [FAQ])
    rows = ChunkRows(max_rows=3)
    a, b = knowledge(f"{merchant_id}-a"), knowledge(f"{merchant_id}-b")
    rows.get(f"{merchant_id}-a", *a)
    rows.get(f"{merchant_id}-b", *b)  # 4 rows > 3: a's go
    with statements() as seen:
        rows.get(f"{merchant_id}-b", *b)
        assert seen == []
        rows.get(f"{merchant_id}-a", *a)
        assert len(seen) == 1
