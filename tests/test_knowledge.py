import pytest
from sqlalchemy import select

from knowledge.models import Chunk
from knowledge.service import IngestBatchError
from xiaoer.db import session_scope

FAQ_V1 = "question,answer\nHow long does shipping take?,Parcels arrive in 3 days.\nDo you gift wrap?,Yes, for free.\n"
FAQ_V2 = "question,answer\nHow long does shipping take?,Parcels arrive in 5 days.\n"


def reply(assistant, merchant, question):
    from bot.turn import TurnRequest

    return assistant.handle(TurnRequest(merchant_id=merchant, message=question))


def chunk_ids(merchant):
    with session_scope() as s:
        return set(s.scalars(select(Chunk.id).where(Chunk.merchant_id == merchant)))


def test_reingesting_a_changed_file_replaces_its_chunks(assistant, merchant_id):
    kb = assistant.knowledge
    first = kb.ingest_files(merchant_id, [("faq.csv", FAQ_V1.encode())])
    assert [f.status for f in first.files] == ["added"]
    old_ids = chunk_ids(merchant_id)
    assert "3 days" in reply(assistant, merchant_id, "how long does shipping take").reply

    second = kb.ingest_files(merchant_id, [("faq.csv", FAQ_V2.encode())])
    assert [f.status for f in second.files] == ["replaced"]
    new_ids = chunk_ids(merchant_id)
    assert not (old_ids & new_ids)
    assert kb.retriever.vectors.count(merchant_id, kb.retriever.embedder.name) == len(new_ids) == 1
    answer = reply(assistant, merchant_id, "how long does shipping take").reply
    assert "5 days" in answer and "3 days" not in answer


def test_unchanged_file_is_skipped(assistant, merchant_id):
    kb = assistant.knowledge
    kb.ingest_files(merchant_id, [("faq.csv", FAQ_V1.encode())])
    again = kb.ingest_files(merchant_id, [("faq.csv", FAQ_V1.encode())])
    assert [f.status for f in again.files] == ["unchanged"]
    assert again.chunks_added == 0


def test_delete_removes_the_document_from_every_index(assistant, merchant_id):
    kb = assistant.knowledge
    kb.ingest_files(merchant_id, [("faq.csv", FAQ_V1.encode())])
    assert kb.delete_document(merchant_id, "faq.csv")
    assert chunk_ids(merchant_id) == set()
    assert kb.retriever.vectors.count(merchant_id, kb.retriever.embedder.name) == 0
    result = reply(assistant, merchant_id, "how long does shipping take")
    assert result.handoff is not None and result.citations == []
    assert not kb.delete_document(merchant_id, "faq.csv")


def test_one_bad_file_leaves_the_knowledge_base_unchanged(assistant, merchant_id):
    kb = assistant.knowledge
    kb.ingest_files(merchant_id, [("faq.csv", FAQ_V1.encode())])
    before = chunk_ids(merchant_id)
    with pytest.raises(IngestBatchError) as err:
        kb.ingest_files(merchant_id, [("faq.csv", FAQ_V2.encode()), ("broken.pdf", b"not a pdf"), ("e.md", b"")])
    assert {e.name for e in err.value.errors} == {"broken.pdf", "e.md"}
    assert chunk_ids(merchant_id) == before
    assert "3 days" in reply(assistant, merchant_id, "how long does shipping take").reply


def test_merchants_never_see_each_others_chunks(assistant, merchant_id):
    other = merchant_id + "-other"
    kb = assistant.knowledge
    kb.ingest_files(merchant_id, [("faq.csv", b"question,answer\nWhat is the secret code?,The code is PANDA-42.\n")])
    kb.ingest_files(other, [("faq.csv", b"question,answer\nDo you sell hats?,Yes we sell hats.\n")])
    leaked = reply(assistant, other, "What is the secret code?")
    assert "PANDA-42" not in leaked.reply
    assert all(c.document == "faq.csv" and "PANDA" not in c.snippet for c in leaked.citations)
    evidence, _ = assistant.evidence(other, "secret code PANDA-42")
    assert all(ev.chunk.merchant_id == other for ev in evidence)


def test_invalid_merchant_id_is_refused(assistant):
    with pytest.raises(ValueError, match="invalid merchant id"):
        assistant.knowledge.ingest_files("../evil", [("faq.csv", FAQ_V1.encode())])


def test_vector_index_is_rebuilt_from_sql_when_missing(assistant, merchant_id):
    kb = assistant.knowledge
    kb.ingest_files(merchant_id, [("faq.csv", FAQ_V1.encode())])
    retriever = kb.retriever
    retriever.vectors.drop_merchant(merchant_id, retriever.embedder.name)
    retriever._checked.pop(merchant_id, None)
    assert "3 days" in reply(assistant, merchant_id, "how long does shipping take").reply
    assert retriever.vectors.count(merchant_id, retriever.embedder.name) == 2


def test_reindex_recomputes_the_stored_search_words(assistant, merchant_id):
    # Knowledge stored by an older tokenizer (here: its words blanked) is searched with the
    # current one's words after `xiaoer reindex`.
    from sqlalchemy import update

    kb = assistant.knowledge
    kb.ingest_files(merchant_id, [("faq.csv", FAQ_V1.encode())])
    with session_scope() as s:
        current = dict(s.execute(select(Chunk.id, Chunk.search_tokens).where(Chunk.merchant_id == merchant_id)).all())
        s.execute(update(Chunk).where(Chunk.merchant_id == merchant_id).values(search_tokens=""))
    assert kb.retriever.rebuild(merchant_id) == 2
    with session_scope() as s:
        after = dict(s.execute(select(Chunk.id, Chunk.search_tokens).where(Chunk.merchant_id == merchant_id)).all())
    assert after == current and all(after.values())
    assert "3 days" in reply(assistant, merchant_id, "how long does shipping take").reply
