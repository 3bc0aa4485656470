"""The embedded store's vectors held in memory (retrieval/dense_matrix.py): the same hits
as the Chroma query they replace, and never stale after a knowledge change."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge import repository
from knowledge.service import KnowledgeService
from retrieval.dense_matrix import DenseMatrix, DenseMatrixCache
from xiaoer.db import session_scope

FAQ = ("faq.csv", "question,answer\n"
       "Do you gift wrap?,Yes, gift wrap is free.\n"
       "How long does delivery take?,Orders arrive in 3 to 5 days.\n"
       "Can I return an item?,Returns are accepted within 7 days.\n"
       "Do you ship abroad?,We ship to Canada and Japan.\n"
       "What payment methods do you take?,Cards and Alipay.\n".encode())
SAME_SIZE = ("faq.csv", FAQ[1].replace(b"Yes, gift wrap is free.", b"No, gift wrap is gone."))


def version_of(merchant_id: str) -> int:
    with session_scope() as s:
        return repository.kb_version(s, merchant_id)


def test_the_matrix_ranks_as_the_embedded_chroma_query_does(assistant, merchant_id):
    kb = KnowledgeService(assistant.retriever)
    kb.ensure_merchant(merchant_id)
    kb.ingest_files(merchant_id, [FAQ])
    retriever = assistant.retriever
    retriever.search(merchant_id, "gift wrapping?")  # the check that loads the matrix
    matrix = retriever.matrices.get(merchant_id, (version_of(merchant_id), retriever.vectors.generation))
    assert matrix is not None and len(matrix) == 5
    for question in ("gift wrapping?", "when will my parcel arrive", "refund", "Alipay"):
        vector = retriever.embedder.embed([question])[0]
        ours = matrix.query(vector, 5)
        chroma = retriever.vectors.query(merchant_id, retriever.embedder.name, vector, 5)
        assert [h.chunk_id for h in ours] == [h.chunk_id for h in chroma]
        assert np.allclose([h.similarity for h in ours], [h.similarity for h in chroma], atol=1e-5)


def test_a_replaced_document_is_searched_in_a_new_matrix(assistant, merchant_id):
    kb = KnowledgeService(assistant.retriever)
    kb.ensure_merchant(merchant_id)
    kb.ingest_files(merchant_id, [FAQ])
    before = assistant.retriever.search(merchant_id, "gift wrapping?").hits[0].chunk_id
    kb.ingest_files(merchant_id, [SAME_SIZE])
    hit = assistant.retriever.search(merchant_id, "gift wrapping?").hits[0]
    with session_scope() as s:
        chunk, _ = repository.chunks_with_documents(s, merchant_id, [hit.chunk_id])[hit.chunk_id]
        ids = repository.chunk_ids(s, merchant_id)
    assert hit.chunk_id != before and hit.dense_rank == 1 and "gift wrap is gone" in chunk.text
    matrix = assistant.retriever.matrices.get(merchant_id, (version_of(merchant_id), assistant.retriever.vectors.generation))
    assert set(matrix.ids.tolist()) == ids  # SQL's chunks only: the replaced ones are gone


def test_the_cache_keeps_at_most_its_budget_and_drops_the_least_recent():
    cache = DenseMatrixCache(max_vectors=4)
    rows = lambda n: DenseMatrix(list(range(n)), np.eye(n, 8, dtype=np.float32))  # noqa: E731
    cache.put("a", (1, 0), rows(2))
    cache.put("b", (1, 0), rows(2))
    assert cache.get("a", (1, 0)) is not None  # a is now the most recent
    cache.put("c", (1, 0), rows(2))
    assert cache.get("b", (1, 0)) is None and cache.get("a", (1, 0)) is not None
    assert cache.get("a", (2, 0)) is None  # another knowledge version: not this matrix
    cache.put("big", (1, 0), rows(5))  # over the budget alone: searched in the store
    assert cache.held("big", (1, 0)) and cache.get("big", (1, 0)) is None


@pytest.mark.parametrize("k", [1, 3, 10])
def test_ties_and_short_collections(k):
    matrix = DenseMatrix([7, 3, 5], np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32))
    hits = matrix.query(np.array([2.0, 0.0], dtype=np.float32), k)
    assert [h.chunk_id for h in hits] == [3, 7, 5][:k]
    assert [round(h.similarity, 6) for h in hits] == [1.0, 1.0, 0.0][:k]


def test_the_chunk_holding_the_questions_rare_words_stays_a_candidate(assistant, merchant_id):
    # Every FAQ row says 咖啡, and dense similarity favours them; only the policy's promotion
    # passage holds 咖啡节 and 满减. Fused ranks alone would leave it out of a short list.
    rows = "".join(f"咖啡豆问题{i}？,咖啡豆第{i}条回答：咖啡豆的保存和冲煮建议{i}。\n" for i in range(12))
    kb = KnowledgeService(assistant.retriever)
    kb.ensure_merchant(merchant_id)
    kb.ingest_files(merchant_id, [("faq_zh.csv", f"问题,答案\n{rows}".encode()),
                                  ("policy_zh.md", "# 政策\n\n## 秋日咖啡节活动\n\n- 全店满减：满199元减30元。\n".encode())])
    result = assistant.retriever.search(merchant_id, "咖啡节满减是多少", k=3)
    assert any("满199元减30元" in text for text in _texts(merchant_id, [h.chunk_id for h in result.hits]))


def _texts(merchant_id: str, chunk_ids: list[int]) -> list[str]:
    with session_scope() as s:
        return list(repository.embed_texts(s, merchant_id, chunk_ids).values())
