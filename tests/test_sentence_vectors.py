"""Sentence vectors are embedded at ingest and stored with their chunk: a turn on new
knowledge embeds only the question, old knowledge without stored vectors still answers
(and stores them then), a stored row for other texts is never used, and deleting the
document deletes its vectors."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select, update

from bot.extractive import ExtractiveAnswerer, split_sentences
from knowledge.models import Chunk, ChunkSentenceVectors
from retrieval.sentences import SentenceVectors, load
from xiaoer.db import session_scope

FAQ = (
    "question,answer\n"
    "How long does delivery take?,Orders arrive in 3 to 5 days. Remote islands take up to two weeks.\n"
    "Can I return a tent?,Tents can be returned within 30 days. They must be dry and unused.\n"
).encode()
POLICY = (
    "# Warranty\n\nEvery tent has a two year warranty. Poles are covered for five years. "
    "Tears from misuse are not covered.\n"
).encode()


@pytest.fixture
def shop(assistant, merchant_id):
    assistant.knowledge.ensure_merchant(merchant_id)
    assistant.knowledge.ingest_files(merchant_id, [("faq.csv", FAQ), ("warranty.md", POLICY)])
    assistant.sentences.wait()
    return merchant_id


def rows(merchant_id: str, embedder: str) -> dict[int, list[str]]:
    with session_scope() as session:
        return dict(session.execute(select(ChunkSentenceVectors.chunk_id, ChunkSentenceVectors.texts).where(
            ChunkSentenceVectors.merchant_id == merchant_id, ChunkSentenceVectors.embedder == embedder)).all())


def chunks(merchant_id: str) -> list[Chunk]:
    with session_scope() as session:
        return list(session.scalars(select(Chunk).where(Chunk.merchant_id == merchant_id).order_by(Chunk.id)))


def test_ingest_stores_each_chunks_sentence_vectors(assistant, shop):
    stored = rows(shop, assistant.retriever.embedder.name)
    faq, passage = [c for c in chunks(shop) if c.kind == "faq"], [c for c in chunks(shop) if c.kind == "passage"]
    assert faq and passage
    for chunk in faq:
        assert stored[chunk.id] == split_sentences(chunk.answer)
    assert stored[passage[0].id] == split_sentences(passage[0].text)
    with session_scope() as session:
        texts, vectors = load(session, shop, assistant.retriever.embedder.name, [faq[0].id])[faq[0].id]
    np.testing.assert_allclose(vectors, assistant.retriever.embedder.embed(texts), atol=1e-5)
    if assistant.extractive.english_embedder is not None:  # the English model's, after the upload
        english = rows(shop, assistant.extractive.english_embedder.name)
        assert english[faq[0].id] == [faq[0].embed_text] + split_sentences(faq[0].answer)


def test_a_turn_on_new_knowledge_embeds_only_the_question(assistant, shop, monkeypatch):
    embedded: list[str] = []
    for embedder in {assistant.retriever.embedder, assistant.extractive.english_embedder} - {None}:
        real = embedder.embed
        monkeypatch.setattr(embedder, "embed", lambda texts, real=real: embedded.extend(texts) or real(texts))
    answer = assistant.answer(shop, "How many days until the delivery arrives?", "en")
    assert "3 to 5 days" in answer.reply
    sentences = {s for c in chunks(shop) for s in split_sentences(c.answer or c.text)}
    assert embedded and not sentences & set(embedded)


def test_knowledge_without_stored_vectors_is_embedded_once_and_stored(assistant, shop):
    name = assistant.retriever.embedder.name
    before = rows(shop, name)
    with session_scope() as session:  # as knowledge ingested before the table existed
        session.query(ChunkSentenceVectors).filter_by(merchant_id=shop).delete()
    answerer = ExtractiveAnswerer(assistant.retriever.embedder, assistant.settings.answer_threshold)
    store = SentenceVectors(answerer.sentence_sources())
    store.prime(shop, chunks(shop), "en")
    assert rows(shop, name) == before
    assert all(answerer._sentences.holds(texts) for texts in before.values())


def test_a_row_for_other_texts_is_recomputed_not_used(assistant, shop):
    name = assistant.retriever.embedder.name
    faq = next(c for c in chunks(shop) if c.kind == "faq")
    with session_scope() as session:  # as if the sentence splitting had changed since the upload
        session.execute(update(ChunkSentenceVectors).where(ChunkSentenceVectors.chunk_id == faq.id,
                                                           ChunkSentenceVectors.embedder == name).values(texts=["Something else."]))
    answerer = ExtractiveAnswerer(assistant.retriever.embedder, assistant.settings.answer_threshold)
    SentenceVectors(answerer.sentence_sources()).prime(shop, [faq], "en")
    assert rows(shop, name)[faq.id] == split_sentences(faq.answer)
    assert not answerer._sentences.holds(["Something else."])


def test_stored_vectors_change_no_answer(assistant, shop):
    """The same replies and confidences as an answerer that embeds every sentence itself."""
    plain = ExtractiveAnswerer(assistant.retriever.embedder, assistant.settings.answer_threshold,
                               assistant.extractive.english_embedder)
    for question in ("How long does delivery take to remote islands?", "Is there a warranty on the poles?",
                     "Can I send back a wet tent?"):
        evidence, tokens = assistant.evidence(shop, question)
        assistant.sentences.prime(shop, [ev.chunk for ev in evidence], "en")
        ours = assistant.extractive.answer(question, "en", evidence, tokens)
        theirs = plain.answer(question, "en", evidence, tokens)
        assert (ours.reply, ours.handoff) == (theirs.reply, theirs.handoff)
        assert ours.confidence == pytest.approx(theirs.confidence, abs=2e-3)


def test_deleting_a_document_deletes_its_vectors(assistant, shop):
    assert rows(shop, assistant.retriever.embedder.name)
    assistant.knowledge.delete_document(shop, "faq.csv")
    assistant.knowledge.delete_document(shop, "warranty.md")
    assert rows(shop, assistant.retriever.embedder.name) == {}
