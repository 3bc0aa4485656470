"""A merchant's canned replies: ready-made answers agents insert by shortcut. Every
function is filtered by merchant, so one shop never sees or edits another's."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from handoff.models import CannedReply
from handoff.service import Conflict, NotFound

# Letters (any script), digits, '-' and '_': typed after "/" in the reply box.
_SHORTCUT = re.compile(r"^[\w-]{1,32}$")
MAX_TEXT = 2000


def _checked(session: Session, merchant_id: str, shortcut: str, text: str, *, other_than: int | None = None) -> tuple[str, str]:
    shortcut, text = shortcut.strip().lstrip("/"), text.strip()
    if not _SHORTCUT.match(shortcut):
        raise ValueError("shortcut: 1-32 letters, digits, '-' or '_' (no spaces)")
    if not text or len(text) > MAX_TEXT:
        raise ValueError(f"text: 1-{MAX_TEXT} characters")
    taken = session.scalar(select(CannedReply.id).where(CannedReply.merchant_id == merchant_id, CannedReply.shortcut == shortcut))
    if taken is not None and taken != other_than:
        raise Conflict(f"the shortcut /{shortcut} is already used by another canned reply")
    return shortcut, text


def list_replies(session: Session, merchant_id: str) -> list[CannedReply]:
    return list(session.scalars(select(CannedReply).where(CannedReply.merchant_id == merchant_id).order_by(CannedReply.shortcut)))


def get_reply(session: Session, merchant_id: str, reply_id: int) -> CannedReply:
    reply = session.get(CannedReply, reply_id)
    if reply is None or reply.merchant_id != merchant_id:
        raise NotFound(f"no canned reply {reply_id} for this merchant")
    return reply


def create_reply(session: Session, merchant_id: str, shortcut: str, text: str) -> CannedReply:
    shortcut, text = _checked(session, merchant_id, shortcut, text)
    reply = CannedReply(merchant_id=merchant_id, shortcut=shortcut, text=text)
    session.add(reply)
    session.flush()
    return reply


def update_reply(session: Session, merchant_id: str, reply_id: int, shortcut: str, text: str) -> CannedReply:
    reply = get_reply(session, merchant_id, reply_id)
    reply.shortcut, reply.text = _checked(session, merchant_id, shortcut, text, other_than=reply.id)
    session.flush()
    return reply


def delete_reply(session: Session, merchant_id: str, reply_id: int) -> None:
    session.delete(get_reply(session, merchant_id, reply_id))
