"""Photos a shopper sends: checked by content, re-encoded, stored per merchant, attached
to the conversation's ticket.

A photo is accepted only if Pillow opens and verifies it as JPEG, PNG or WebP, whatever
its name or declared type says. It is then decoded and written anew (turned upright by
its EXIF orientation first), so EXIF, GPS, comments and anything appended after the image
data are gone. The file lives at ``$XIAOER_HOME/photos/<merchant>/<random id>.<ext>``;
the id is 128 random bits, and every route that serves one checks the merchant (agents)
or the conversation (the shopper who sent it) first.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from bot.conversations import add_message
from bot.models import Conversation, Message
from bot.replies import PHOTO_MESSAGE, PHOTO_RECEIVED
from handoff.models import Photo
from handoff.service import escalate_with_summary, open_ticket, reopen_if_closed
from xiaoer.settings import get_settings

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
MAX_SIDE = 2560  # stored no larger: enough to read a label or see a seam
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
EXTENSIONS = dict(FORMATS.values())  # content type → file extension


class PhotoRejected(ValueError):
    """A file that is not a photo we take; ``status`` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def clean_photo(raw: bytes) -> CleanPhoto:
    """The photo re-encoded from its pixels alone, or :class:`PhotoRejected`."""
    if len(raw) > MAX_PHOTO_BYTES:
        raise PhotoRejected(413, f"the photo is larger than {MAX_PHOTO_BYTES // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            kind = probe.format
            if kind not in FORMATS:
                raise PhotoRejected(415, "only JPEG, PNG or WebP photos can be sent")
            if probe.width * probe.height > MAX_PIXELS:
                raise PhotoRejected(413, "the photo has too many pixels")
            probe.verify()
        with Image.open(io.BytesIO(raw)) as image:  # verify() leaves the image unusable
            image.load()
            upright = ImageOps.exif_transpose(image)
    except PhotoRejected:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise PhotoRejected(415, "the file is not a JPEG, PNG or WebP image") from None
    upright.thumbnail((MAX_SIDE, MAX_SIDE))
    content_type, extension = FORMATS[kind]
    if kind == "JPEG" and upright.mode != "RGB":
        upright = upright.convert("RGB")
    elif kind != "JPEG" and upright.mode not in ("RGB", "RGBA", "L", "LA"):
        upright = upright.convert("RGBA")
    out = io.BytesIO()
    # No exif=, no icc_profile=, no pnginfo=: only pixels are written.
    upright.save(out, format=kind, **({"quality": 88} if kind in ("JPEG", "WEBP") else {}))
    return CleanPhoto(out.getvalue(), content_type, extension, upright.width, upright.height)


def photo_path(photo: Photo) -> Path:
    return get_settings().home / "photos" / photo.merchant_id / f"{photo.id}.{EXTENSIONS[photo.content_type]}"



def save_photo(session: Session, conversation: Conversation, clean: CleanPhoto) -> Photo:
    """Write the file, then its row (a rolled-back row leaves an orphan file, never a row
    without its file)."""
    photo = Photo(
        id=secrets.token_hex(16), merchant_id=conversation.merchant_id, conversation_id=conversation.id,
        content_type=clean.content_type, width=clean.width, height=clean.height, size_bytes=len(clean.data),
    )
    path = photo_path(photo)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(clean.data)
    session.add(photo)
    return photo


@dataclass
class PhotoTurn:
    message: Message  # the shopper's photo in the transcript
    reply: Message | None  # the bot's "a person will look at it", when this photo opened the ticket


def receive_photo(session: Session, conversation: Conversation, photo: Photo) -> PhotoTurn:
    """The photo as the shopper's message, attached to the conversation's open ticket; with
    none, the bot hands the conversation to a person and says a person will look at it."""
    lang = conversation.lang if conversation.lang in PHOTO_MESSAGE else "en"
    data = {"photo": {"id": photo.id, "width": photo.width, "height": photo.height}}
    message = add_message(session, conversation, "shopper", PHOTO_MESSAGE[lang], data=data)
    reply = None
    ticket = open_ticket(session, conversation.id)
    if ticket is None:
        reopen_if_closed(conversation)
        ticket = escalate_with_summary(session, conversation, "photo", [])
        handoff = {"reason": ticket.reason, "ticket_id": ticket.id, "status": ticket.status, "priority": "normal"}
        # A holding message: the photo still waits for a person's reply (response time runs on).
        reply = add_message(session, conversation, "bot", PHOTO_RECEIVED[lang], data={"route": "escalate", "handoff": handoff})
    photo.ticket_id = ticket.id
    return PhotoTurn(message=message, reply=reply)
