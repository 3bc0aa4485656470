"""The API behind the shopper widget's issue-15 features, in process: the greeting from
the merchant's profile, readable citation sources, "agent joined" and other hand-over
notices, typing indicators both ways, and photos (checked by content, re-encoded,
stored per merchant, shown to that merchant's agents and the shopper who sent them)."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from handoff.models import Photo
from handoff.photos import MAX_PHOTO_BYTES, photo_path
from tests.conftest import FAQ, make_merchant, shop_with_agent, upload
from xiaoer.db import session_scope


def jpeg_with_exif_and_a_trailer() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x0131] = "secret-software"  # Software
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue() + b"PK\x03\x04hidden-zip-after-the-image"


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, format="PNG")
    return out.getvalue()


def send_photo(client, merchant_id, content: bytes, *, name="photo.jpg", kind="image/jpeg", conversation_id=None, lang="en"):
    data = {"merchant_id": merchant_id, "lang": lang}
    if conversation_id:
        data["conversation_id"] = conversation_id
    return client.post("/v1/chat/photo", data=data, files={"file": (name, content, kind)})


def claim_ticket(client, agent, conversation_id) -> int:
    queued = [t for t in client.get("/v1/agent/queue", headers=agent).json() if t["conversation_id"] == conversation_id]
    assert queued, "no ticket for the conversation"
    claimed = client.post(f"/v1/agent/tickets/{queued[0]['id']}/claim", headers=agent)
    assert claimed.status_code == 200, claimed.text
    return queued[0]["id"]


# ---------------------------------------------------------------------------- greeting


def test_greeting_comes_from_the_shop_name_and_its_category(client, merchant_id):
    key = make_merchant(client, merchant_id)  # named "Shop", general category
    en = client.get(f"/v1/merchants/{merchant_id}/greeting", params={"lang": "en"}).json()
    assert en["shop_name"] == "Shop" and "welcome to Shop" in en["greeting"]
    assert "How do returns work?" in en["suggestions"]
    policy = client.get(f"/v1/merchants/{merchant_id}/policy", headers=key).json()
    policy["category"] = "beauty"
    assert client.put(f"/v1/merchants/{merchant_id}/policy", headers=key, json=policy).status_code == 200
    zh = client.get(f"/v1/merchants/{merchant_id}/greeting", params={"lang": "zh"}).json()
    assert "欢迎光临Shop" in zh["greeting"] and "色号" in zh["greeting"]
    assert "敏感肌能用吗？" in zh["suggestions"]
    policy["suggestions"] = {"zh": ["有小样吗？"], "en": ["Any samples?"]}
    assert client.put(f"/v1/merchants/{merchant_id}/policy", headers=key, json=policy).status_code == 200
    assert client.get(f"/v1/merchants/{merchant_id}/greeting", params={"lang": "en"}).json()["suggestions"] == ["Any samples?"]


SHIPPING_FAQ = ("faq.csv", (
    "question,answer\n"
    "How many days until my parcel arrives?,Most parcels arrive in 3-5 days; remote areas take 5-7 days.\n"
    "When do you dispatch orders?,In-stock orders leave our warehouse within 48 hours of payment.\n"
    "Can I return an item?,Yes: unused items within 7 days of delivery; the buyer pays return postage.\n"
).encode(), "text/csv")


def test_every_greeting_chip_is_a_question_the_shop_answers(client, merchant_id):
    key = make_merchant(client, merchant_id)
    chips = client.get(f"/v1/merchants/{merchant_id}/greeting", params={"lang": "en"}).json()["suggestions"]
    assert "How much is shipping?" in chips  # no knowledge yet: the preset as it is
    assert upload(client, merchant_id, key, SHIPPING_FAQ).status_code == 201
    chips = client.get(f"/v1/merchants/{merchant_id}/greeting", params={"lang": "en"}).json()["suggestions"]
    assert chips and "How much is shipping?" not in chips  # the shop never wrote about its fee
    for chip in chips:  # what a shopper gets by tapping each one
        reply = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": chip}).json()
        assert reply["handoff"] is None and reply["route"] == "answer", (chip, reply["reply"])


def test_greeting_of_an_unknown_shop_or_language_is_a_4xx(client):
    r = client.get("/v1/merchants/nobody-here/greeting")
    assert r.status_code == 404 and "unknown merchant" in r.json()["detail"]
    assert client.get("/v1/merchants/nobody-here/greeting", params={"lang": "fr"}).status_code == 422


# ---------------------------------------------------------------------------- citations


POLICY_MD = (
    "policy_en.md",
    b"# Returns and delivery\n\n## Gift cards\n\nGift cards never expire and can be used on any order in our shop.\n",
    "text/markdown",
)


def test_citations_name_a_readable_source_never_a_file(client, merchant_id):
    key = make_merchant(client, merchant_id)
    assert upload(client, merchant_id, key, FAQ, POLICY_MD).status_code == 201
    faq = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you gift wrap?"}).json()
    top = faq["citations"][0]
    assert top["document"] == "faq.csv"  # kept for the merchant's tools
    assert (top["source"], top["section"]) == ("FAQ", "Do you gift wrap?")
    cards = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do gift cards expire?"}).json()
    passage = next(c for c in cards["citations"] if c["document"] == "policy_en.md")
    assert (passage["source"], passage["section"]) == ("Returns and delivery", "Gift cards")
    for c in faq["citations"] + cards["citations"]:
        assert "." not in c["source"], c


def test_readable_names_for_documents_without_headings():
    from knowledge.sources import readable_name, source_title

    assert readable_name("return_policy_en.pdf") == "Return policy"
    assert readable_name("发货说明.txt") == "发货说明"
    assert source_title("faq", "几天发货？", "faq_zh.csv", "zh") == "常见问题"
    assert source_title("product", "冲锋衣", "catalog.json", "zh") == "商品目录"
    assert source_title("passage", "", "shipping-notes.md", "en") == "Shipping notes"


# ---------------------------------------------------------------------------- hand-over notices


def test_claim_says_who_joined_by_display_name_and_resolve_asks_for_a_rating(client, merchant_id):
    _key, agent = shop_with_agent(client, merchant_id)  # agent "<merchant>-amy", display name "Amy"
    turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "I'd like to talk to a person"}).json()
    cid = turn["conversation_id"]
    ticket = claim_ticket(client, agent, cid)
    client.post(f"/v1/agent/tickets/{ticket}/messages", headers=agent, json={"text": "Hi, Amy here"}).raise_for_status()
    client.post(f"/v1/agent/tickets/{ticket}/resolve", headers=agent).raise_for_status()
    messages = client.get(f"/v1/conversations/{cid}/messages", params={"merchant_id": merchant_id}).json()
    joined, reply, resolved = messages[-3:]
    assert joined["role"] == "system" and joined["text"] == "Amy has joined the chat"
    assert joined["data"] == {"event": "joined", "agent_name": "Amy"}
    assert reply["role"] == "agent" and reply["data"]["agent_name"] == "Amy"
    assert resolved["role"] == "system" and resolved["data"] == {"event": "resolved"}
    # after=: a second tab fetches only what it has not got
    newer = client.get(f"/v1/conversations/{cid}/messages", params={"merchant_id": merchant_id, "after": joined["id"]}).json()
    assert [m["id"] for m in newer] == [reply["id"], resolved["id"]]


def test_the_joined_notice_is_in_the_conversation_language(client, merchant_id):
    _key, agent = shop_with_agent(client, merchant_id)
    cid = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "转人工"}).json()["conversation_id"]
    claim_ticket(client, agent, cid)
    last = client.get(f"/v1/conversations/{cid}/messages", params={"merchant_id": merchant_id}).json()[-1]
    assert last["text"] == "客服 Amy 已加入，为您服务"


# ---------------------------------------------------------------------------- typing


def test_typing_shows_both_ways(client, merchant_id):
    _key, agent = shop_with_agent(client, merchant_id)
    with client.websocket_connect(f"/v1/ws/chat?merchant_id={merchant_id}") as ws:
        ws.send_json({"type": "message", "message": "I'd like to talk to a person"})
        while (frame := ws.receive_json())["type"] != "result":
            pass
        cid = frame["result"]["conversation_id"]
        ticket = claim_ticket(client, agent, cid)
        assert ws.receive_json()["message"]["data"]["event"] == "joined"
        detail = client.get(f"/v1/agent/tickets/{ticket}", headers=agent).json()
        assert detail["shopper_typing"] is False
        ws.send_json({"type": "typing"})
        deadline = time.monotonic() + 10
        while not client.get(f"/v1/agent/tickets/{ticket}", headers=agent).json()["shopper_typing"]:
            assert time.monotonic() < deadline, "the console never saw the shopper typing"
            time.sleep(0.1)
        assert client.post(f"/v1/agent/tickets/{ticket}/typing", headers=agent).status_code == 204
        assert ws.receive_json() == {"type": "typing", "who": "agent"}


def test_only_the_holding_agent_can_say_they_are_typing(client, merchant_id):
    _key, agent = shop_with_agent(client, merchant_id)
    ticket = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "转人工"}).json()["handoff"]["ticket_id"]
    assert client.post(f"/v1/agent/tickets/{ticket}/typing", headers=agent).status_code == 409  # not claimed
    assert client.post(f"/v1/agent/tickets/{ticket}/typing").status_code == 401
    assert client.post("/v1/agent/tickets/999999/typing", headers=agent).status_code == 404


# ---------------------------------------------------------------------------- photos


def test_a_photo_is_re_encoded_stored_per_merchant_and_goes_to_a_person(client, merchant_id):
    _key, agent = shop_with_agent(client, merchant_id)
    raw = jpeg_with_exif_and_a_trailer()
    r = send_photo(client, merchant_id, raw, name="IMG_0001.jpg")
    assert r.status_code == 201, r.text
    body = r.json()
    cid, photo = body["conversation_id"], body["message"]["data"]["photo"]
    assert body["owner"] == "queued" and body["handoff"]["reason"] == "photo"
    assert body["message"]["role"] == "shopper" and body["message"]["text"] == "[photo]"
    assert "a colleague to look at it" in body["reply"]["text"]  # the bot says a person will look

    with session_scope() as session:
        row = session.get(Photo, photo["id"])
        path = photo_path(row)
        assert row.merchant_id == merchant_id and row.ticket_id == body["handoff"]["ticket_id"]
    assert path.parent.name == merchant_id and len(photo["id"]) == 32
    stored = path.read_bytes()
    assert b"SpyCam" not in stored and b"secret-software" not in stored and b"hidden-zip" not in stored
    with Image.open(io.BytesIO(stored)) as again:
        assert again.format == "JPEG" and again.size == (64, 48) and not again.getexif()

    # The ticket's agent sees it, with its summary naming the photo; the shopper sees their own.
    ticket = claim_ticket(client, agent, cid)
    detail = client.get(f"/v1/agent/tickets/{ticket}", headers=agent).json()
    assert "shopper sent a photo" in detail["summary"]
    assert any((m["data"] or {}).get("photo", {}).get("id") == photo["id"] for m in detail["messages"])
    seen = client.get(f"/v1/agent/photos/{photo['id']}", headers=agent)
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/jpeg" and seen.content == stored
    assert seen.headers["x-content-type-options"] == "nosniff"
    own = client.get(f"/v1/conversations/{cid}/photos/{photo['id']}", params={"merchant_id": merchant_id})
    assert own.status_code == 200 and own.content == stored

    # A second photo joins the same ticket without another bot message.
    second = send_photo(client, merchant_id, png_bytes(), name="x.png", kind="image/png", conversation_id=cid).json()
    assert second["reply"] is None and second["owner"] == "human"


def test_photos_are_private_to_their_merchant_and_conversation(client, merchant_id):
    _key, agent = shop_with_agent(client, merchant_id)
    _other_key, other_agent = shop_with_agent(client, merchant_id + "-b")
    body = send_photo(client, merchant_id, png_bytes(), name="a.png", kind="image/png").json()
    photo_id, cid = body["message"]["data"]["photo"]["id"], body["conversation_id"]
    assert client.get(f"/v1/agent/photos/{photo_id}", headers=other_agent).status_code == 404
    assert client.get(f"/v1/agent/photos/{photo_id}").status_code == 401
    other_cid = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "hello"}).json()["conversation_id"]
    assert client.get(f"/v1/conversations/{other_cid}/photos/{photo_id}", params={"merchant_id": merchant_id}).status_code == 404
    assert client.get(f"/v1/conversations/{cid}/photos/{photo_id}", params={"merchant_id": merchant_id + "-b"}).status_code == 404
    assert client.get(f"/v1/agent/photos/{'0' * 32}", headers=agent).status_code == 404


@pytest.mark.parametrize(
    ("content", "name", "kind"),
    [
        (b"just text, named like a photo", "photo.jpg", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "broken.png", "image/png"),  # a PNG header and nothing valid
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "anim.gif", "image/gif"),  # an image, not one we take
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "x.jpg", "image/jpeg"),
    ],
)
def test_a_file_that_is_not_a_jpeg_png_or_webp_is_a_415(client, merchant_id, content, name, kind):
    make_merchant(client, merchant_id)
    r = send_photo(client, merchant_id, content, name=name, kind=kind)
    assert r.status_code == 415 and "JPEG, PNG or WebP" in r.json()["detail"]


def test_a_photo_over_5_mb_is_a_413_with_a_message(client, merchant_id):
    make_merchant(client, merchant_id)
    just_over = jpeg_with_exif_and_a_trailer() + b"\x00" * (MAX_PHOTO_BYTES)
    r = send_photo(client, merchant_id, just_over[: MAX_PHOTO_BYTES + 10])
    assert r.status_code == 413 and "5 MB" in r.json()["detail"]
    far_over = send_photo(client, merchant_id, b"\xff" * (MAX_PHOTO_BYTES + 200_000))
    assert far_over.status_code == 413 and "too large" in far_over.json()["detail"]


def test_a_photo_for_an_unknown_shop_or_conversation_is_a_404(client, merchant_id):
    make_merchant(client, merchant_id)
    assert send_photo(client, "nobody-here", png_bytes(), kind="image/png").status_code == 404
    r = send_photo(client, merchant_id, png_bytes(), kind="image/png", conversation_id="f" * 32)
    assert r.status_code == 404 and "unknown conversation" in r.json()["detail"]


def test_the_retention_purge_deletes_photos_with_their_conversation(client, merchant_id):
    from datetime import timedelta

    from bot.models import Conversation
    from xiaoer.db import utcnow
    from xiaoer.privacy import purge

    make_merchant(client, merchant_id)
    body = send_photo(client, merchant_id, png_bytes(), kind="image/png").json()
    with session_scope() as session:
        path = photo_path(session.get(Photo, body["message"]["data"]["photo"]["id"]))
        session.get(Conversation, body["conversation_id"]).updated_at = utcnow() - timedelta(days=40)
    assert path.is_file()
    report = purge(30, merchant_id=merchant_id)
    assert (report.conversations, report.photos) == (1, 1)
    assert not path.exists()
    with session_scope() as session:
        assert session.get(Photo, body["message"]["data"]["photo"]["id"]) is None
