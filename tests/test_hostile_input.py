"""Hostile and broken input: every bad upload or chat message gets a clear 4xx or a polite
reply, fast and in bounded memory, and the knowledge base and the conversations are exactly
as they were. (Simpler cases are in test_api.py and test_parsers.py.)"""

from __future__ import annotations

import gzip
import io
import json
import socket
import time
import tracemalloc
import zipfile
import zlib

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject
from sqlalchemy import func, select

from api.app import create_app
from bot import replies
from bot.models import Conversation, Message
from bot.turn import MAX_MESSAGE_CHARS
from knowledge.models import Chunk
from knowledge.parsers import MAX_PDF_STREAM_BYTES, IngestError, parse_document
from tests.conftest import ADMIN_TOKEN, FAQ, make_merchant, upload
from xiaoer.db import session_scope
from xiaoer.settings import Settings, get_settings

BOMB_BYTES = 256 * 1024 * 1024  # what the bombs below inflate to
SHOP_FAQ = (
    "faq.csv",
    b"question,answer\nDo you gift wrap?,Yes, gift wrap is free.\nDo you ship abroad?,Only within mainland China.\n",
    "text/csv",
)


def deflated_spaces(size: int, *, wbits: int = zlib.MAX_WBITS) -> bytes:
    """``size`` spaces, deflated (about 1000:1); wbits=31 gives gzip."""
    piece = b" " * (1024 * 1024)
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join(compressor.compress(piece) for _ in range(size // len(piece))) + compressor.flush()


@pytest.fixture(scope="module")
def pdf_bomb() -> bytes:
    """A ~1 KB PDF whose one page's text stream (Flate twice) inflates to 256 MB."""
    writer = PdfWriter()
    page = writer.add_blank_page(72, 72)
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    # With a font the page can hold text, so extracting it decodes the stream.
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    page.replace_contents(StreamObject.initialize_from_dictionary({
        NameObject("/Filter"): ArrayObject([NameObject("/FlateDecode")] * 2),
        "__streamdata__": zlib.compress(deflated_spaces(BOMB_BYTES), 9),
    }))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def zipped(*names: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in names:
            z.writestr(name, b"0" * 10_000_000)  # a small zip bomb, in case anything opened it
    return out.getvalue()


def knowledge(client, assistant, merchant_id: str, key: dict) -> tuple:
    """Everything an upload could change: the document list, SQL chunks, vectors."""
    docs = client.get(f"/v1/merchants/{merchant_id}/documents", headers=key).json()
    with session_scope() as session:
        chunks = session.scalar(select(func.count()).select_from(Chunk).where(Chunk.merchant_id == merchant_id))
    return docs, chunks, assistant.retriever.vectors.count(merchant_id, assistant.retriever.embedder.name)


def conversations(merchant_id: str) -> tuple[int, int]:
    with session_scope() as session:
        count = session.scalar(select(func.count()).select_from(Conversation).where(Conversation.merchant_id == merchant_id))
        messages = session.scalar(select(func.count()).select_from(Message).where(Message.merchant_id == merchant_id))
    return count, messages


def transcript(client, merchant_id: str, conversation_id: str) -> list[dict]:
    r = client.get(f"/v1/conversations/{conversation_id}/messages", params={"merchant_id": merchant_id})
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture
def shop(client, merchant_id) -> tuple[str, dict]:
    key = make_merchant(client, merchant_id)
    assert upload(client, merchant_id, key, SHOP_FAQ).status_code == 201
    return merchant_id, key


@pytest.fixture
def chat(client, shop) -> tuple[str, str, list[dict]]:
    """A conversation with one answered turn: merchant, conversation id, its transcript."""
    merchant_id, _ = shop
    turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you gift wrap?"}).json()
    assert turn["reply"] == "Yes, gift wrap is free."
    return merchant_id, turn["conversation_id"], transcript(client, merchant_id, turn["conversation_id"])


def turn_over_socket(ws, frame: dict | str | bytes) -> dict:
    """Send one frame; the turn's result or the error frame."""
    if isinstance(frame, dict):
        ws.send_text(json.dumps(frame))  # json.dumps keeps lone surrogates as \\ud800 escapes
    elif isinstance(frame, bytes):
        ws.send_bytes(frame)
    else:
        ws.send_text(frame)
    while (reply := ws.receive_json())["type"] == "token":
        pass
    return reply


# --- uploads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "raw", "status", "reason"),
    [
        ("empty.csv", b"", 422, "file is empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), 422, "binary"),
        ("catalog.json", b'[{"sku": "A1", "title": "Tee", "price": 9', 422, "malformed JSON"),
        ("faq.zip", zipped("faq.csv"), 422, "unsupported file type .zip"),
        ("faq.docx", zipped("word/document.xml"), 422, "unsupported file type .docx"),
        ("faq.xlsx", zipped("xl/worksheets/sheet1.xml"), 422, "unsupported file type .xlsx"),
        ("../", FAQ[1], 422, "missing file name"),
    ],
    ids=["empty", "png-named-csv", "truncated-json", "zip", "docx", "xlsx", "no-name-left"],
)
def test_bad_uploads_are_refused_and_change_nothing(client, assistant, shop, name, raw, status, reason):
    merchant_id, key = shop
    before = knowledge(client, assistant, merchant_id, key)
    r = upload(client, merchant_id, key, (name, raw, "application/octet-stream"))
    assert r.status_code == status and reason in r.json()["detail"], r.text
    assert knowledge(client, assistant, merchant_id, key) == before


def test_two_uploads_racing_to_create_one_file_give_one_document_and_a_retryable_error(
    client, assistant, shop, monkeypatch
):
    """Both uploads look the file up before either inserts it (a barrier forces that
    interleaving); the loser must be a clear 409/503, never a 500, and one copy must remain."""
    import threading

    from knowledge import service

    merchant_id, key = shop
    lookups, barrier, real_find = threading.local(), threading.Barrier(2, timeout=10), service.repository.find_document

    def find_then_wait(session, merchant, name):
        found = real_find(session, merchant, name)
        lookups.n = getattr(lookups, "n", 0) + 1
        if name == "race.csv" and lookups.n == 2:  # the look-up inside the writing transaction
            barrier.wait()
        return found

    monkeypatch.setattr(service.repository, "find_document", find_then_wait)
    statuses: list[int] = []
    faq = ("race.csv", "question,answer\nDo you engrave?,Yes, for ¥20.\n".encode(), "text/csv")
    threads = [threading.Thread(target=lambda: statuses.append(upload(client, merchant_id, key, faq).status_code)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(statuses)[0] == 201 and sorted(statuses)[1] in (409, 503), statuses
    docs = client.get(f"/v1/merchants/{merchant_id}/documents", headers=key).json()
    assert [d["name"] for d in docs].count("race.csv") == 1
    reply = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you engrave?"}).json()["reply"]
    assert "¥20" in reply


def test_a_pdf_decompression_bomb_is_refused_fast_in_bounded_memory(pdf_bomb):
    assert len(pdf_bomb) < 4096
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(IngestError, match="safety limit") as err:
            parse_document("manual.pdf", pdf_bomb, max_bytes=20_000_000)
        elapsed, (_, peak) = time.perf_counter() - started, tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert f"{MAX_PDF_STREAM_BYTES:,}" in err.value.reason
    # pypdf stops at our limit: memory is a small multiple of it, not of the 256 MB inside.
    assert elapsed < 2 and peak < 3 * MAX_PDF_STREAM_BYTES, (elapsed, peak)


def test_a_pdf_bomb_upload_is_413_and_changes_nothing(client, assistant, shop, pdf_bomb):
    merchant_id, key = shop
    before = knowledge(client, assistant, merchant_id, key)
    # With a good file beside it: all or nothing.
    r = upload(client, merchant_id, key, ("manual.pdf", pdf_bomb, "application/pdf"),
               ("more.csv", b"question,answer\nGift card?,Yes.\n", "text/csv"))
    assert r.status_code == 413 and "safety limit" in r.json()["detail"]
    assert [e["file"] for e in r.json()["errors"]] == ["manual.pdf"]
    assert knowledge(client, assistant, merchant_id, key) == before


def test_a_gbk_csv_is_read_as_chinese_not_mojibake(client, shop):
    merchant_id, key = shop
    r = upload(client, merchant_id, key, ("常见问题.csv", "问题,答案\n可以开发票吗？,可以，下单时填写抬头即可。\n".encode("gbk"), "text/csv"))
    assert r.status_code == 201 and r.json()["files"][0]["status"] == "added"
    turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "可以开发票吗？"}).json()
    assert turn["reply"] == "可以，下单时填写抬头即可。"


def test_path_traversal_names_are_stored_as_the_bare_file_name(client, shop):
    merchant_id, key = shop
    r = upload(client, merchant_id, key, ("../../../etc/cron.d/faq2.csv", FAQ[1].replace(b"gift wrap", b"ship"), "text/csv"),
               ("..\\..\\windows\\faq3.csv", FAQ[1].replace(b"gift wrap", b"engrave"), "text/csv"))
    assert r.status_code == 201, r.text
    names = [d["name"] for d in client.get(f"/v1/merchants/{merchant_id}/documents", headers=key).json()]
    assert sorted(names) == ["faq.csv", "faq2.csv", "faq3.csv"]


def test_gzip_request_bodies_are_opaque_bytes_never_inflated(client, assistant, shop):
    """Neither uvicorn nor Starlette decodes Content-Encoding on requests: a gzip bomb is
    its compressed bytes, refused like any body that is not JSON or multipart."""
    merchant_id, key = shop
    encoded = {"content-encoding": "gzip"}
    before = knowledge(client, assistant, merchant_id, key), conversations(merchant_id)
    valid = gzip.compress(json.dumps({"merchant_id": merchant_id, "message": "Do you gift wrap?"}).encode())
    assert client.post("/v1/chat", content=valid, headers={**encoded, "content-type": "application/json"}).status_code == 400

    bomb = deflated_spaces(BOMB_BYTES // 4, wbits=31)  # 64 MB inside
    started = time.perf_counter()
    chat = client.post("/v1/chat", content=bomb, headers={**encoded, "content-type": "application/json"})
    files = client.post(f"/v1/merchants/{merchant_id}/documents", content=bomb,
                        headers={**encoded, **key, "content-type": "multipart/form-data; boundary=x"})
    assert (chat.status_code, files.status_code) == (400, 400) and time.perf_counter() - started < 1
    assert (knowledge(client, assistant, merchant_id, key), conversations(merchant_id)) == before


def test_uploads_over_the_request_limit_are_refused_before_they_are_read(assistant, merchant_id):
    settings = Settings(home=get_settings().home, admin_token=ADMIN_TOKEN, max_upload_bytes=1000, max_upload_files=2)
    app = create_app(assistant, settings=settings)
    app.dependency_overrides[get_settings] = lambda: settings
    with TestClient(app) as small:
        key = make_merchant(small, merchant_id)
        too_many = upload(small, merchant_id, key, FAQ, FAQ, FAQ)
        assert too_many.status_code == 400 and "Maximum number of files is 2" in too_many.json()["detail"]
        too_big = upload(small, merchant_id, key, ("faq.csv", b"question,answer\n" + b"q,a\n" * 50_000, "text/csv"))
        # Starlette's body limit answered, not the route's per-file check after the form was spooled.
        assert too_big.status_code == 413
        assert too_big.json()["detail"] == f"request body too large: the limit is {settings.max_upload_request_bytes:,} bytes"
        assert small.get(f"/v1/merchants/{merchant_id}/documents", headers=key).json() == []


@pytest.mark.parametrize("path", ["/v1/chat", "/v1/merchants/demo/documents"])
def test_a_body_declared_too_big_is_refused_before_it_is_sent(live_server, path):
    """Over real HTTP: the 413 comes back while the (unsent) body is still owed."""
    host, port = live_server.base.removeprefix("http://").split(":")
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nX-Api-Key: {live_server.merchant_key}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {10**12}\r\n\r\n")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(head.encode())
        response = s.recv(4096)
    assert response.startswith(b"HTTP/1.1 413 "), response


# --- chat messages ---------------------------------------------------------------------

BLANK = ["", "   ", "\n\t \u3000", "\x00\x1b\u202e \u200b"]  # the last: only invisible characters


@pytest.mark.parametrize("message", BLANK)
def test_blank_messages_are_422_and_store_nothing(client, chat, message):
    merchant_id, conversation_id, earlier = chat
    before = conversations(merchant_id)
    for conv in (conversation_id, None):
        r = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": message, "conversation_id": conv})
        assert r.status_code == 422 and "message: String should have at least 1 character" in r.json()["detail"]
    assert conversations(merchant_id) == before and transcript(client, merchant_id, conversation_id) == earlier


def test_a_100_kb_message_is_refused_naming_the_limit(client, chat):
    merchant_id, conversation_id, earlier = chat
    before = conversations(merchant_id)
    r = client.post("/v1/chat", json={"merchant_id": merchant_id, "conversation_id": conversation_id, "message": "退" * 100_000})
    assert r.status_code == 422 and f"at most {MAX_MESSAGE_CHARS} characters" in r.json()["detail"]
    huge = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "x" * 2_000_000})
    assert huge.status_code == 413  # over the request body limit: not even parsed
    assert huge.json()["detail"] == "request body too large: the limit is 1,048,576 bytes"
    assert conversations(merchant_id) == before and transcript(client, merchant_id, conversation_id) == earlier


def test_lone_surrogates_are_422_not_a_database_error(client, chat):
    merchant_id, conversation_id, earlier = chat
    body = json.dumps({"merchant_id": merchant_id, "conversation_id": conversation_id, "message": "refund \ud800 please"})
    assert "\\ud800" in body  # the JSON escape a broken client sends: not encodable as UTF-8
    r = client.post("/v1/chat", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422 and "message: Input should be a valid string" in r.json()["detail"]
    assert transcript(client, merchant_id, conversation_id) == earlier


def test_control_characters_are_stripped_before_the_turn(client, chat):
    merchant_id, conversation_id, earlier = chat
    message = "\u202eDo you\x00 ship\x1b abroad?\x07\u200b"
    r = client.post("/v1/chat", json={"merchant_id": merchant_id, "conversation_id": conversation_id, "message": message})
    assert r.status_code == 200 and r.json()["reply"] == "Only within mainland China."
    now = transcript(client, merchant_id, conversation_id)
    assert now[: len(earlier)] == earlier
    assert [m["text"] for m in now[len(earlier):]] == ["Do you ship abroad?", "Only within mainland China."]


def test_emoji_only_messages_get_a_polite_reply_and_an_intent(client, shop):
    merchant_id, _ = shop
    thumbs = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "👍"}).json()
    assert thumbs["route"] == "chitchat" and thumbs["reply"] == replies.THANKS["en"]
    angry = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "😡😡😡"}).json()
    assert angry["route"] == "escalate" and angry["handoff"]["reason"] == "anger"
    assert angry["reply"].startswith(replies.HOLDING["en"].split("{")[0])
    for turn, text in ((thumbs, "👍"), (angry, "😡😡😡")):
        shopper = transcript(client, merchant_id, turn["conversation_id"])[0]
        assert shopper["text"] == text and turn["intent"]
        with session_scope() as session:
            assert session.get(Message, shopper["id"]).intent == turn["intent"]


def test_an_emoji_reply_keeps_the_conversations_language(client, shop):
    merchant_id, _ = shop
    first = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "你好"}).json()
    thumbs = client.post(
        "/v1/chat", json={"merchant_id": merchant_id, "conversation_id": first["conversation_id"], "message": "👍"}
    ).json()
    assert thumbs["lang"] == "zh" and thumbs["reply"] == replies.THANKS["zh"]


def test_the_websocket_answers_bad_frames_with_errors_and_stays_usable(client, chat):
    merchant_id, conversation_id, earlier = chat
    with client.websocket_connect(f"/v1/ws/chat?merchant_id={merchant_id}&conversation_id={conversation_id}") as ws:
        bad = [
            ({"type": "message", "message": "   "}, 422, "at least 1 character"),
            ({"type": "message", "message": "\x00\u202e"}, 422, "at least 1 character"),
            ({"type": "message", "message": "x" * 100_000}, 422, f"at most {MAX_MESSAGE_CHARS} characters"),
            ({"type": "message", "message": "\ud800"}, 422, "valid string"),
            ({"type": "message", "message": 42}, 422, "valid string"),
            ("not json", 400, "JSON"),
            ("[1, 2]", 400, "expected"),
            (b"\x00\x01binary", 400, "JSON"),
        ]
        for frame, status, detail in bad:
            error = turn_over_socket(ws, frame)
            assert (error["type"], error["status"]) == ("error", status) and detail in error["detail"], (frame, error)
        assert transcript(client, merchant_id, conversation_id) == earlier

        clean = turn_over_socket(ws, {"type": "message", "message": "Do you\x00 ship abroad?\u202e"})
        assert clean["type"] == "result" and clean["result"]["reply"] == "Only within mainland China."
        thumbs = turn_over_socket(ws, {"type": "message", "message": "👍"})
        assert thumbs["result"]["route"] == "chitchat" and thumbs["result"]["intent"] == "chitchat"
    texts = [m["text"] for m in transcript(client, merchant_id, conversation_id)]
    assert texts[: len(earlier)] == [m["text"] for m in earlier]
    assert texts[len(earlier):] == ["Do you ship abroad?", "Only within mainland China.", "👍", replies.THANKS["en"]]


def test_an_oversized_websocket_frame_closes_only_that_socket(live_server):
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    url = live_server.base.replace("http://", "ws://") + "/v1/ws/chat?merchant_id=demo"
    with connect(url) as ws:
        ws.send(json.dumps({"type": "message", "message": "x" * 2_000_000}))  # over the 1 MiB frame limit
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd.code == 1009  # "message too big"
    with connect(url) as ws:
        ws.send(json.dumps({"type": "message", "message": "退货运费谁出？"}))
        while (frame := json.loads(ws.recv(timeout=10)))["type"] == "token":
            pass
    assert frame["type"] == "result" and "买家承担" in frame["result"]["reply"]
