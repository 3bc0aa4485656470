"""Photos: a shopper sends one (it goes to a person), the shopper sees their own, and the
merchant's agents see their merchant's. Checking, re-encoding and storing are in
handoff/photos.py."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from api.deps import AgentDep, SessionDep
from api.ratelimit import enforce
from api.routes.chat import MessageOut
from bot.conversations import get_conversation, open_conversation
from handoff.models import Photo
from handoff.photos import (
    MAX_PHOTO_BYTES,
    PhotoRejected,
    clean_photo,
    photo_path,
    receive_photo,
    save_photo,
)
from knowledge import repository

router = APIRouter(tags=["shoppers"])
# The route's body limit: the photo and the multipart framing around it. A bigger body is
# refused as it arrives (413); one just over MAX_PHOTO_BYTES gets the photo's own message.
MAX_PHOTO_REQUEST_BYTES = MAX_PHOTO_BYTES + 64 * 1024


class PhotoTurnOut(BaseModel):
    conversation_id: str
    owner: str
    message: MessageOut
    reply: MessageOut | None = None
    handoff: dict | None = None


@router.post("/v1/chat/photo", response_model=PhotoTurnOut, status_code=201)
def send_photo(
    session: SessionDep,
    http: Request,
    merchant_id: Annotated[str, Form()],
    file: Annotated[UploadFile, File(description="JPEG, PNG or WebP, at most 5 MB.")],
    conversation_id: Annotated[str | None, Form(max_length=64)] = None,
    lang: Annotated[Literal["zh", "en"], Form(description="For a conversation this photo starts.")] = "zh",
) -> PhotoTurnOut:
    """A photo from the shopper: checked by its content (not its name or type), re-encoded
    without EXIF, and attached to the conversation's ticket; with no ticket open, the
    conversation goes to a person and the bot says one will look at it. 413 over 5 MB, 415
    for anything that is not a JPEG, PNG or WebP image."""
    enforce(http, conversation_id)
    raw = file.file.read(MAX_PHOTO_BYTES + 1)
    try:
        clean = clean_photo(raw)
    except PhotoRejected as exc:
        raise HTTPException(exc.status, str(exc)) from None
    if repository.get_merchant(session, merchant_id) is None:
        raise HTTPException(404, f"unknown merchant {merchant_id!r}")
    conversation = open_conversation(session, merchant_id, conversation_id, lang=lang)
    photo = save_photo(session, conversation, clean)
    turn = receive_photo(session, conversation, photo)
    handoff = (turn.reply.data or {}).get("handoff") if turn.reply is not None else None
    return PhotoTurnOut(
        conversation_id=conversation.id, owner=conversation.owner,
        message=MessageOut.model_validate(turn.message, from_attributes=True),
        reply=MessageOut.model_validate(turn.reply, from_attributes=True) if turn.reply is not None else None,
        handoff=handoff,
    )


def _file(photo: Photo | None) -> FileResponse:
    if photo is None or not photo_path(photo).is_file():
        raise HTTPException(404, "no such photo")
    # nosniff: the bytes are served as the image type we wrote, never guessed as HTML.
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return FileResponse(photo_path(photo), media_type=photo.content_type, headers=headers)


@router.get("/v1/conversations/{conversation_id}/photos/{photo_id}", response_class=FileResponse)
def shopper_photo(
    conversation_id: str, photo_id: str, session: SessionDep, merchant_id: Annotated[str, Query()]
) -> FileResponse:
    """A photo the shopper sent in this conversation (its id is the shopper's token)."""
    if get_conversation(session, merchant_id, conversation_id) is None:
        raise HTTPException(404, f"unknown conversation {conversation_id!r}")
    photo = session.get(Photo, photo_id)
    return _file(photo if photo is not None and photo.conversation_id == conversation_id else None)


@router.get("/v1/agent/photos/{photo_id}", response_class=FileResponse, tags=["agents"])
def agent_photo(photo_id: str, agent: AgentDep, session: SessionDep) -> FileResponse:
    """A photo sent to the agent's merchant (another merchant's photo is not found)."""
    photo = session.get(Photo, photo_id)
    return _file(photo if photo is not None and photo.merchant_id == agent.merchant_id else None)
