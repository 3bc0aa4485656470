"""The live-push cursor never skips a message whose id committed after a larger one."""

from __future__ import annotations

from datetime import timedelta

from api.routes.chat import MessageOut
from api.routes.live import SETTLE_SECONDS, PushCursor, _new_agent_messages
from bot.conversations import open_conversation
from bot.models import Message
from knowledge import repository
from tests.conftest import use_database
from xiaoer.db import session_scope, utcnow


def row(message_id: int, age_seconds: float = 0.0) -> MessageOut:
    return MessageOut(id=message_id, role="agent", text=f"m{message_id}", created_at=utcnow() - timedelta(seconds=age_seconds))


def test_a_smaller_id_seen_after_a_larger_one_is_still_pushed():
    cursor = PushCursor()
    assert [m.id for m in cursor.take([row(11)], utcnow())] == [11]
    assert [m.id for m in cursor.take([row(10), row(11)], utcnow())] == [10]
    assert cursor.take([row(10), row(11)], utcnow()) == []


def test_the_cursor_moves_past_settled_messages_and_forgets_them():
    cursor = PushCursor()
    old = SETTLE_SECONDS + 1
    cursor.take([row(3, old), row(5, old), row(8)], utcnow())
    assert (cursor.floor, cursor.sent) == (5, {8})  # 8 is recent: a smaller id may still commit


def test_out_of_order_commits_on_postgres_reach_the_socket(postgres_server, merchant_id):
    use_database(postgres_server.url)
    try:
        with session_scope() as s:
            repository.get_or_create_merchant(s, merchant_id)
            conversation_id = open_conversation(s, merchant_id, None, lang="en").id
        cursor = PushCursor()

        def agent_message(session, text: str) -> int:
            message = Message(conversation_id=conversation_id, merchant_id=merchant_id, role="agent", text=text)
            session.add(message)
            session.flush()  # the id is handed out here, visible to others only at commit
            return message.id

        with session_scope() as slow:
            first = agent_message(slow, "first")
            with session_scope() as quick:
                second = agent_message(quick, "second")
            assert second > first
            pushed = [m.id for m in _new_agent_messages(merchant_id, conversation_id, cursor)]
            assert pushed == [second]
        pushed = [m.id for m in _new_agent_messages(merchant_id, conversation_id, cursor)]
        assert pushed == [first]
        assert _new_agent_messages(merchant_id, conversation_id, cursor) == []
    finally:
        use_database(None)
