"""The agent console's API: label tables, shopper context, presence and the chat limit,
canned replies and transfers (the browser side is in tests/test_web_console.py)."""

from __future__ import annotations

from tests.conftest import ADMIN_TOKEN, shop_with_agent  # noqa: F401


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
