"""The agent console's API: label tables, shopper context, presence and the chat limit,
canned replies and transfers (the browser side is in tests/test_web_console.py)."""

from __future__ import annotations

from tests.conftest import shop_with_agent


def test_labels_are_served_in_each_language_and_name_internal_codes(client):
    zh = client.get("/v1/labels", params={"lang": "zh"})
    en = client.get("/v1/labels", params={"lang": "en"})
    assert zh.status_code == en.status_code == 200
    zh, en = zh.json(), en.json()
    assert zh["offer_kinds"]["partial_compensation"] == "部分补偿"
    assert en["offer_kinds"]["partial_compensation"] == "Partial compensation"
    assert zh["intents"]["presale"] == "售前咨询" and en["intents"]["presale"] == "Pre-sale question"
    assert zh["escalation_reasons"]["explicit_request"] == "顾客要求转人工"
    assert en["ticket_statuses"]["handed_back"] == "Handed back"
    assert set(zh) == set(en) and all(set(zh[table]) == set(en[table]) for table in zh)
    assert client.get("/v1/labels", params={"lang": "fr"}).status_code == 422


def add_agent(client, merchant_id, key, agent_id, name) -> dict[str, str]:
    r = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": agent_id, "name": name})
    assert r.status_code == 201, r.text
    return {"X-Agent-Key": r.json()["api_key"]}


def escalate(client, merchant_id, **extra) -> dict:
    turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "转人工", **extra})
    assert turn.status_code == 200, turn.text
    return turn.json()


def test_the_ticket_shows_the_shoppers_page_language_verified_id_and_past_conversations(client, merchant_id):
    from bot.order_access import sign_shopper

    key, agent = shop_with_agent(client, merchant_id)
    secret = client.get(f"/v1/merchants/{merchant_id}/identity", headers=key).json()["secret"]
    signed = {"shopper_id": "erin", "shopper_hmac": sign_shopper(secret, "erin")}
    earlier = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "羽绒服怎么洗", **signed}).json()
    forged = escalate(client, merchant_id, shopper_id="erin", shopper_hmac="0" * 64, page="https://shop.example/p/2")
    turn = escalate(client, merchant_id, page="https://shop.example/p/1?ref=ad", **signed)

    detail = client.get(f"/v1/agent/tickets/{turn['handoff']['ticket_id']}", headers=agent).json()
    shopper = detail["shopper"]
    assert (shopper["shopper_id"], shopper["page_url"], shopper["lang"]) == ("erin", "https://shop.example/p/1?ref=ad", "zh")
    assert [p["conversation_id"] for p in shopper["past"]] == [earlier["conversation_id"]]  # not the forged one
    assert shopper["past"][0]["first_message"] == "羽绒服怎么洗" and shopper["past"][0]["messages"] == 2

    anonymous = client.get(f"/v1/agent/tickets/{forged['handoff']['ticket_id']}", headers=agent).json()["shopper"]
    assert (anonymous["shopper_id"], anonymous["page_url"], anonymous["past"]) == (None, "https://shop.example/p/2", [])

    too_long = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "hi", "page": "https://x/" + "a" * 2000})
    assert too_long.status_code == 422 and "page" in too_long.json()["detail"]


def test_the_websocket_accepts_the_page_too(client, merchant_id):
    _key, agent = shop_with_agent(client, merchant_id)
    with client.websocket_connect(f"/v1/ws/chat?merchant_id={merchant_id}") as ws:
        ws.send_json({"type": "message", "message": "转人工", "page": "https://shop.example/cart"})
        while (frame := ws.receive_json())["type"] != "result":
            pass
    ticket = frame["result"]["handoff"]["ticket_id"]
    assert client.get(f"/v1/agent/tickets/{ticket}", headers=agent).json()["shopper"]["page_url"] == "https://shop.example/cart"


def test_claims_stop_at_the_agents_chat_limit_and_away_agents_are_offered_nothing(client, merchant_id):
    key, amy = shop_with_agent(client, merchant_id)
    me = client.get("/v1/agent/me", headers=amy).json()
    assert (me["presence"], me["max_chats"], me["chats"]) == ("online", 5, 0)
    limited = client.patch(f"/v1/merchants/{merchant_id}/agents/{me['id']}", headers=key, json={"max_chats": 2})
    assert limited.status_code == 200 and limited.json()["max_chats"] == 2
    tickets = [escalate(client, merchant_id)["handoff"]["ticket_id"] for _ in range(3)]

    assert client.post(f"/v1/agent/tickets/{tickets[0]}/claim", headers=amy).status_code == 200
    assert client.post(f"/v1/agent/tickets/{tickets[1]}/claim", headers=amy).status_code == 200
    refused = client.post(f"/v1/agent/tickets/{tickets[2]}/claim", headers=amy)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "you are at your chat limit (2 of 2 open chats): resolve or hand one back first"
    assert client.get(f"/v1/agent/tickets/{tickets[2]}", headers=amy).json()["status"] == "queued"

    assert client.post(f"/v1/agent/tickets/{tickets[0]}/resolve", headers=amy).status_code == 200
    away = client.put("/v1/agent/me/presence", headers=amy, json={"presence": "away"})
    assert away.status_code == 200 and (away.json()["presence"], away.json()["chats"]) == ("away", 1)
    offered = {t["id"]: t["status"] for t in client.get("/v1/agent/queue", headers=amy).json()}
    assert offered == {tickets[1]: "claimed"}  # the waiting ticket is not offered to an away agent
    refused = client.post(f"/v1/agent/tickets/{tickets[2]}/claim", headers=amy)
    assert refused.status_code == 409 and refused.json()["detail"].startswith("you are away")

    assert client.put("/v1/agent/me/presence", headers=amy, json={"presence": "online"}).status_code == 200
    assert tickets[2] in {t["id"] for t in client.get("/v1/agent/queue", headers=amy).json()}
    assert client.post(f"/v1/agent/tickets/{tickets[2]}/claim", headers=amy).status_code == 200

    assert client.put("/v1/agent/me/presence", headers=amy, json={"presence": "busy"}).status_code == 422
    for bad in (0, 51, "x"):
        assert client.patch(f"/v1/merchants/{merchant_id}/agents/{me['id']}", headers=key, json={"max_chats": bad}).status_code == 422
    assert client.patch(f"/v1/merchants/{merchant_id}/agents/nobody", headers=key, json={"max_chats": 3}).status_code == 404
    assert client.patch(f"/v1/merchants/{merchant_id}/agents/{me['id']}", json={"max_chats": 3}).status_code == 401


def test_a_transfer_moves_the_ticket_with_its_note_once(client, merchant_id):
    key, amy = shop_with_agent(client, merchant_id)
    bo = add_agent(client, merchant_id, key, f"{merchant_id}-bo", "Bo")
    cy = add_agent(client, merchant_id, key, f"{merchant_id}-cy", "Cy")
    ticket = escalate(client, merchant_id)["handoff"]["ticket_id"]
    assert client.post(f"/v1/agent/tickets/{ticket}/claim", headers=amy).status_code == 200
    colleagues = client.get("/v1/agent/colleagues", headers=amy).json()
    assert [(c["name"], c["presence"], c["chats"]) for c in colleagues] == [("Bo", "online", 0), ("Cy", "online", 0)]

    assert client.put("/v1/agent/me/presence", headers=cy, json={"presence": "away"}).status_code == 200
    refused = client.post(f"/v1/agent/tickets/{ticket}/transfer", headers=amy, json={"to_agent_id": f"{merchant_id}-cy"})
    assert refused.status_code == 409 and refused.json()["detail"].startswith("Cy is away")

    note = "顾客要换 L 码，已核对库存"
    moved = client.post(f"/v1/agent/tickets/{ticket}/transfer", headers=amy, json={"to_agent_id": f"{merchant_id}-bo", "note": note})
    assert moved.status_code == 200, moved.text
    held = client.get(f"/v1/agent/tickets/{ticket}", headers=bo).json()
    assert (held["status"], held["agent_name"], held["transferred_by_name"], held["transfer_note"]) == ("claimed", "Bo", "Amy", note)

    # Amy no longer holds it: a second transfer, a reply or a resolve of hers is a 409.
    again = client.post(f"/v1/agent/tickets/{ticket}/transfer", headers=amy, json={"to_agent_id": f"{merchant_id}-bo"})
    assert again.status_code == 409
    assert client.post(f"/v1/agent/tickets/{ticket}/messages", headers=amy, json={"text": "hi"}).status_code == 409
    assert client.post(f"/v1/agent/tickets/{ticket}/messages", headers=bo, json={"text": "您好，我是 Bo"}).status_code == 201

    mine = client.post(f"/v1/agent/tickets/{ticket}/transfer", headers=bo, json={"to_agent_id": f"{merchant_id}-bo"})
    assert mine.status_code == 400
    assert client.post(f"/v1/agent/tickets/{ticket}/transfer", headers=bo, json={"to_agent_id": "nobody"}).status_code == 404


def test_transfers_respect_the_receivers_chat_limit(client, merchant_id):
    key, amy = shop_with_agent(client, merchant_id)
    bo = add_agent(client, merchant_id, key, f"{merchant_id}-bo", "Bo")
    client.patch(f"/v1/merchants/{merchant_id}/agents/{merchant_id}-bo", headers=key, json={"max_chats": 1})
    first, second = (escalate(client, merchant_id)["handoff"]["ticket_id"] for _ in range(2))
    assert client.post(f"/v1/agent/tickets/{first}/claim", headers=bo).status_code == 200
    assert client.post(f"/v1/agent/tickets/{second}/claim", headers=amy).status_code == 200
    refused = client.post(f"/v1/agent/tickets/{second}/transfer", headers=amy, json={"to_agent_id": f"{merchant_id}-bo"})
    assert refused.status_code == 409 and refused.json()["detail"].startswith("Bo is at their chat limit (1 of 1")
    assert client.get(f"/v1/agent/tickets/{second}", headers=amy).json()["agent_name"] == "Amy"


def test_canned_replies_are_managed_per_merchant_and_read_by_its_agents(client, merchant_id):
    key, agent = shop_with_agent(client, merchant_id)
    other_key, other_agent = shop_with_agent(client, merchant_id + "x")
    base = f"/v1/merchants/{merchant_id}/canned-replies"
    made = client.post(base, headers=key, json={"shortcut": "/欢迎", "text": "您好，我是店铺客服，很高兴为您服务～"})
    assert made.status_code == 201, made.text
    reply = made.json()
    assert reply["shortcut"] == "欢迎"
    client.post(base, headers=key, json={"shortcut": "size", "text": "建议按平时尺码选择"})
    assert client.post(base, headers=key, json={"shortcut": "size", "text": "again"}).status_code == 409
    assert client.post(base, headers=key, json={"shortcut": "two words", "text": "x"}).status_code == 400
    assert client.post(base, headers=key, json={"shortcut": "x", "text": ""}).status_code == 422

    assert [r["shortcut"] for r in client.get("/v1/agent/canned-replies", headers=agent).json()] == ["size", "欢迎"]
    assert client.get("/v1/agent/canned-replies", headers=other_agent).json() == []

    changed = client.put(f"{base}/{reply['id']}", headers=key, json={"shortcut": "hi", "text": "您好～"})
    assert changed.status_code == 200 and changed.json()["shortcut"] == "hi"
    assert client.put(f"{base}/{reply['id']}", headers=key, json={"shortcut": "size", "text": "x"}).status_code == 409
    other_base = f"/v1/merchants/{merchant_id}x/canned-replies"
    assert client.put(f"{other_base}/{reply['id']}", headers=other_key, json={"shortcut": "z", "text": "z"}).status_code == 404
    assert client.delete(f"{other_base}/{reply['id']}", headers=other_key).status_code == 404
    assert client.get(base, headers=other_key).status_code == 401
    assert client.delete(f"{base}/{reply['id']}", headers=key).status_code == 204
    assert [r["shortcut"] for r in client.get(base, headers=key).json()] == ["size"]
    assert client.delete(f"{base}/{reply['id']}", headers=key).status_code == 404
