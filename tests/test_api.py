"""The /v1 API in process (FastAPI's TestClient): every route's happy path, its not-found
and its wrong-credentials answer. The real-HTTP run is in test_api_e2e.py."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.app import create_app
from tests.conftest import ADMIN_TOKEN as ADMIN, FAQ, make_merchant, upload
from xiaoer.settings import Settings, get_settings



def test_merchant_creation_needs_the_admin_token(client, merchant_id):
    assert client.post("/v1/merchants", json={"id": merchant_id, "name": "S"}).status_code == 401
    wrong = client.post("/v1/merchants", json={"id": merchant_id, "name": "S"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "admin token" in wrong.json()["detail"]
    make_merchant(client, merchant_id)
    again = client.post("/v1/merchants", json={"id": merchant_id, "name": "S"}, headers={"Authorization": f"Bearer {ADMIN}"})
    assert again.status_code == 409
    bad = client.post("/v1/merchants", json={"id": "../etc", "name": "S"}, headers={"Authorization": f"Bearer {ADMIN}"})
    assert bad.status_code == 422 and "id" in bad.json()["detail"]


def test_merchant_creation_is_off_without_a_configured_token(assistant, merchant_id):
    app = create_app(assistant)
    app.dependency_overrides[get_settings] = lambda: Settings(home=get_settings().home, admin_token=None)
    with TestClient(app) as c:
        r = c.post("/v1/merchants", json={"id": merchant_id, "name": "S"}, headers={"Authorization": "Bearer x"})
    assert r.status_code == 403 and "XIAOER_ADMIN_TOKEN" in r.json()["detail"]


def test_knowledge_upload_list_delete_and_chat_uses_it(client, merchant_id):
    key = make_merchant(client, merchant_id)
    r = upload(client, merchant_id, key, FAQ)
    assert r.status_code == 201 and r.json()["files"][0]["status"] == "added"
    assert [d["name"] for d in client.get(f"/v1/merchants/{merchant_id}/documents", headers=key).json()] == ["faq.csv"]

    chat = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you gift wrap?"}).json()
    assert chat["reply"] == "Yes, gift wrap is free." and chat["citations"][0]["document"] == "faq.csv"
    near_miss = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you gift wrap with a ribbon and a wax seal?"}).json()
    assert near_miss["handoff"] and "withheld" not in near_miss and "gift wrap is free" not in str(near_miss)  # held back, never sent

    assert client.delete(f"/v1/merchants/{merchant_id}/documents/faq.csv", headers=key).status_code == 204
    assert client.delete(f"/v1/merchants/{merchant_id}/documents/faq.csv", headers=key).status_code == 404


def test_bad_uploads_are_4xx_and_change_nothing(client, merchant_id, monkeypatch):
    key = make_merchant(client, merchant_id)
    upload(client, merchant_id, key, FAQ)
    r = upload(client, merchant_id, key, ("a.csv", b"\x00\x01\x02binary", "text/csv"), ("b.json", b"{", "application/json"))
    assert r.status_code == 422
    assert {e["file"] for e in r.json()["errors"]} == {"a.csv", "b.json"}
    settings = client.app.dependency_overrides[get_settings]()
    monkeypatch.setattr(settings, "max_upload_bytes", 100)
    big = upload(client, merchant_id, key, ("big.csv", b"question,answer\n" + b"q,a\n" * 100, "text/csv"))
    assert big.status_code == 413 and "limit" in big.json()["detail"]
    assert [d["name"] for d in client.get(f"/v1/merchants/{merchant_id}/documents", headers=key).json()] == ["faq.csv"]


def test_every_merchant_route_refuses_a_missing_wrong_or_foreign_key(client, merchant_id):
    key = make_merchant(client, merchant_id)
    other = f"{merchant_id}-b"
    other_key = make_merchant(client, other)
    routes = [
        ("get", "documents", {}), ("post", "documents", {"files": [("files", FAQ)]}), ("delete", "documents/faq.csv", {}),
        ("get", "policy", {}), ("put", "policy", {"json": {}}), ("post", "orders", {"files": {"file": ("o.json", b"[]")}}),
        ("post", "agents", {"json": {"id": "x", "name": "X"}}), ("get", "metrics", {}), ("get", "gaps", {}),
    ]
    for method, path, kwargs in routes:
        url = f"/v1/merchants/{merchant_id}/{path}"
        for headers in ({}, {"X-Api-Key": "xk_wrong"}, other_key):
            r = getattr(client, method)(url, headers=headers, **kwargs)
            assert r.status_code == 401, (method, path, headers, r.text)
    assert client.get(f"/v1/merchants/{merchant_id}/policy", headers=key).status_code == 200


def test_policy_and_orders_drive_the_offer(client, merchant_id):
    key = make_merchant(client, merchant_id)
    policy = client.get(f"/v1/merchants/{merchant_id}/policy", headers=key).json()
    policy["reasons"]["late_delivery"] = {"kind": "coupon", "amount": 12}
    bad = client.put(f"/v1/merchants/{merchant_id}/policy", headers=key, json={**policy, "daily_budget": -1})
    assert bad.status_code == 422 and "daily_budget" in bad.json()["detail"]
    assert client.put(f"/v1/merchants/{merchant_id}/policy", headers=key, json=policy).status_code == 200

    orders = client.post(f"/v1/merchants/{merchant_id}/orders", headers=key,
                         files={"file": ("orders.json", b'[{"order_id": "Z9", "amount": 3000}]')})
    assert orders.json() == {"imported": 1}
    bad_orders = client.post(f"/v1/merchants/{merchant_id}/orders", headers=key, files={"file": ("o.json", b"{oops")})
    assert bad_orders.status_code == 422 and "malformed JSON" in bad_orders.json()["detail"]

    offer = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "it arrived late, refund please"}).json()
    assert offer["offer"]["amount"] == 12.0
    declined = client.post(f"/v1/conversations/{offer['conversation_id']}/offer",
                           json={"merchant_id": merchant_id, "decision": "decline"}).json()
    assert declined["offer"]["status"] == "declined" and declined["route"] == "offer_response"
    big = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "refund please", "order_id": "Z9"}).json()
    assert big["handoff"]["reason"] == "high_value"


def test_chat_errors_are_clear_4xx(client, merchant_id, demo_merchant):
    make_merchant(client, merchant_id)
    assert client.post("/v1/chat", json={"merchant_id": "nobody", "message": "hi"}).status_code == 404
    assert client.post("/v1/chat", json={"merchant_id": merchant_id, "message": ""}).status_code == 422
    assert client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "x" * 100_000}).status_code == 422
    assert client.post("/v1/chat", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    theirs = client.post("/v1/chat", json={"merchant_id": demo_merchant, "message": "你好"}).json()["conversation_id"]
    hijack = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "hi", "conversation_id": theirs})
    assert hijack.status_code == 404
    assert client.get(f"/v1/conversations/{theirs}/messages", params={"merchant_id": merchant_id}).status_code == 404
    assert client.post(f"/v1/conversations/{theirs}/rating", json={"merchant_id": demo_merchant, "rating": 6}).status_code == 422


def test_agent_flow_over_the_api(client, merchant_id, demo_merchant):
    key = make_merchant(client, merchant_id)
    upload(client, merchant_id, key, FAQ)
    a = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-a", "name": "Ann"}).json()
    b = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-b", "name": "Ben"}).json()
    ann, ben = {"X-Agent-Key": a["api_key"]}, {"X-Agent-Key": b["api_key"]}
    assert client.get("/v1/agent/queue").status_code == 401
    assert client.get("/v1/agent/queue", headers={"X-Agent-Key": "xa_nope"}).status_code == 401

    turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "I want to talk to a human"}).json()
    conv, ticket = turn["conversation_id"], turn["handoff"]["ticket_id"]
    queue = client.get("/v1/agent/queue", headers=ann).json()
    assert [t["id"] for t in queue] == [ticket] and queue[0]["reason"] == "explicit_request"

    claimed = client.post(f"/v1/agent/tickets/{ticket}/claim", headers=ann)
    assert claimed.status_code == 200 and claimed.json()["messages"][0]["text"] == "I want to talk to a human"
    assert claimed.json()["summary"]
    assert client.post(f"/v1/agent/tickets/{ticket}/claim", headers=ben).status_code == 409
    assert client.post(f"/v1/agent/tickets/{ticket}/messages", headers=ben, json={"text": "me"}).status_code == 409

    silent = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "hello?", "conversation_id": conv}).json()
    assert silent["reply"] == "" and silent["owner"] == "human"
    sent = client.post(f"/v1/agent/tickets/{ticket}/messages", headers=ann, json={"text": "Hi, Ann here."})
    assert sent.status_code == 201
    seen = client.get(f"/v1/conversations/{conv}/messages", params={"merchant_id": merchant_id, "after": silent_id(client, conv, merchant_id)})
    assert [m["text"] for m in seen.json()][-1] == "Hi, Ann here."

    assert client.post(f"/v1/agent/tickets/{ticket}/resolve", headers=ann).json()["status"] == "resolved"
    assert client.post(f"/v1/conversations/{conv}/rating", json={"merchant_id": merchant_id, "rating": 5}).status_code == 204
    metrics = client.get(f"/v1/merchants/{merchant_id}/metrics", headers=key).json()
    assert metrics["resolved"] >= 1 and 0 <= metrics["service_score"]["score"] <= 5

    # An agent of another merchant sees none of it.
    demo_agent = client.post(f"/v1/merchants/{merchant_id}-x/agents", headers=key, json={"id": "y", "name": "Y"})
    assert demo_agent.status_code == 401
    assert client.get(f"/v1/agent/tickets/{ticket + 10_000}", headers=ann).status_code == 404


def silent_id(client, conv, merchant_id) -> int:
    """The id of the shopper's last message before the agent spoke."""
    messages = client.get(f"/v1/conversations/{conv}/messages", params={"merchant_id": merchant_id}).json()
    return [m["id"] for m in messages if m["role"] == "shopper"][-1]


def test_websocket_streams_the_reply_and_pushes_agent_messages(client, merchant_id):
    key = make_merchant(client, merchant_id)
    upload(client, merchant_id, key, FAQ)
    agent = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-w", "name": "W"}).json()
    with client.websocket_connect(f"/v1/ws/chat?merchant_id={merchant_id}") as ws:
        ws.send_json({"type": "message", "message": "Do you gift wrap?"})
        tokens = []
        while (frame := ws.receive_json())["type"] == "token":
            tokens.append(frame["text"])
        assert frame["type"] == "result" and len(tokens) > 1
        assert "".join(tokens) == frame["result"]["reply"] == "Yes, gift wrap is free."

        ws.send_json({"type": "message", "message": ""})
        error = ws.receive_json()
        assert (error["type"], error["status"]) == ("error", 422) and "message" in error["detail"]
        ws.send_json({"type": "message", "message": "talk to a human please"})
        while (frame := ws.receive_json())["type"] != "result":
            pass
        ticket = frame["result"]["handoff"]["ticket_id"]
        headers = {"X-Agent-Key": agent["api_key"]}
        client.post(f"/v1/agent/tickets/{ticket}/claim", headers=headers)
        joined = ws.receive_json()  # the claim is told at once, by the agent's display name
        assert joined["message"]["role"] == "system" and joined["message"]["text"] == "W has joined the chat"
        client.post(f"/v1/agent/tickets/{ticket}/messages", headers=headers, json={"text": "Hello from a person"})
        pushed = ws.receive_json()
        assert pushed["type"] == "agent_message" and pushed["message"]["text"] == "Hello from a person"
        client.post(f"/v1/agent/tickets/{ticket}/resolve", headers=headers)
        notice = ws.receive_json()
        assert notice["type"] == "agent_message" and notice["message"]["role"] == "system"
        assert "resolved" in notice["message"]["text"]

    with client.websocket_connect("/v1/ws/chat?merchant_id=nobody") as ws:
        assert ws.receive_json()["status"] == 404


def test_merchant_profile_names_the_shop_and_its_agents_and_tickets_name_their_holder(client, merchant_id):
    key = make_merchant(client, merchant_id)
    for headers in ({}, {"X-Api-Key": "xk_wrong"}, make_merchant(client, f"{merchant_id}-other")):
        assert client.get(f"/v1/merchants/{merchant_id}", headers=headers).status_code == 401
    a = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-p", "name": "Pat 小帕"}).json()
    profile = client.get(f"/v1/merchants/{merchant_id}", headers=key)
    assert profile.status_code == 200
    assert profile.json()["id"] == merchant_id and profile.json()["name"] == "Shop"
    assert profile.json()["agents"] == [{"id": f"{merchant_id}-p", "name": "Pat 小帕"}]

    pat = {"X-Agent-Key": a["api_key"]}
    ticket = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "I want to talk to a human"}).json()["handoff"]["ticket_id"]
    assert client.get("/v1/agent/queue", headers=pat).json()[0]["agent_name"] is None
    assert client.post(f"/v1/agent/tickets/{ticket}/claim", headers=pat).json()["agent_name"] == "Pat 小帕"
    assert client.get("/v1/agent/queue", headers=pat).json()[0]["agent_name"] == "Pat 小帕"


def test_cors_lets_a_shop_page_call_the_shopper_api_but_not_the_merchant_api(client):
    preflight = client.options("/v1/chat", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] in ("*", "https://shop.example")
    merchant = client.options("/v1/merchants/demo/documents", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "x-api-key"})
    assert merchant.status_code == 400  # the key header is not allowed cross-origin


def test_unknown_conversation_ids_are_not_created(client, merchant_id):
    make_merchant(client, merchant_id)
    r = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "hi", "conversation_id": "made-up-id"})
    assert r.status_code == 404 and "unknown conversation" in r.json()["detail"]


def test_agent_replies_record_which_suggestion_they_started_from(client, merchant_id):
    key = make_merchant(client, merchant_id)
    upload(client, merchant_id, key, FAQ)
    a = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-s", "name": "Sue"}).json()
    sue = {"X-Agent-Key": a["api_key"]}
    conv = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "Do you gift wrap?"}).json()["conversation_id"]
    turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "I want to talk to a human", "conversation_id": conv}).json()
    ticket = client.post(f"/v1/agent/tickets/{turn['handoff']['ticket_id']}/claim", headers=sue).json()
    suggestion = ticket["suggestions"][0]
    assert suggestion["text"] == "Yes, gift wrap is free."  # from the shopper's question, not "talk to a human"

    def reply(text, suggestion_id=None):
        return client.post(f"/v1/agent/tickets/{ticket['id']}/messages", headers=sue, json={"text": text, "suggestion_id": suggestion_id})

    assert reply(suggestion["text"], suggestion["chunk"]).status_code == 201  # sent unchanged
    assert reply("Hi! Yes, gift wrap is free, and we add a card.", suggestion["chunk"]).status_code == 201  # edited
    assert reply("Anything else I can do?").status_code == 201  # typed
    assert reply("Let me check with the warehouse.", suggestion["chunk"]).status_code == 201  # inserted, then written over
    bad = reply("Yes.", 987654321)
    assert bad.status_code == 400 and "no suggested reply" in bad.json()["detail"]

    metrics = client.get(f"/v1/merchants/{merchant_id}/metrics", headers=key).json()
    assert metrics["adoption"] == {"replies": 4, "from_suggestion": 2, "edited": 1, "adoption_rate": 2 / 4}
    row = next(x for x in metrics["agents"] if x["agent_id"] == f"{merchant_id}-s")
    assert (row["replies"], row["replies_from_suggestion"], row["adoption_rate"]) == (4, 2, 0.5)
