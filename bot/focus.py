"""Conversation focus: the product (or question) last discussed, so follow-ups such as
"还有库存吗", "重量呢" or "is it waterproof?" resolve against it.

The focus is not stored on its own: each bot reply records what it was about in its
message data, and the focus is read back from the latest one. A product the shopper is
looking at (a product card in the widget, ``TurnRequest.product``) takes precedence.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Message


@dataclass
class Focus:
    product: str | None = None  # SKU of the product last discussed
    question: str | None = None  # the last question the bot answered from knowledge

    def as_data(self) -> dict:
        return {"product": self.product, "question": self.question}


FOCUS_SCAN = 5  # the latest bot replies looked at


def read_focus(session: Session, conversation_id: str) -> Focus:
    rows = session.scalars(
        select(Message.data).where(Message.conversation_id == conversation_id, Message.role == "bot")
        .order_by(Message.id.desc()).limit(FOCUS_SCAN)
    )
    return _first_focus(rows) or Focus()


def focus_of(recent: list[Message], whole: bool) -> Focus | None:
    """read_focus from the conversation's latest messages (in order) when they settle it:
    they hold a focus, FOCUS_SCAN bot replies, or (``whole``) the whole conversation.
    None: look further back with read_focus."""
    replies = [m.data for m in reversed(recent) if m.role == "bot"][:FOCUS_SCAN]
    found = _first_focus(replies)
    if found is None and (whole or len(replies) == FOCUS_SCAN):
        return Focus()
    return found


def _first_focus(rows) -> Focus | None:
    for data in rows:
        if data and data.get("focus"):
            return Focus(**{k: data["focus"].get(k) for k in ("product", "question")})
    return None
