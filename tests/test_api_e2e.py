"""End to end: `xiaoer demo` ingests the shop, uvicorn serves it on 127.0.0.1, and we
talk to it over real HTTP."""

import httpx
import pytest


@pytest.fixture(scope="module")
def server(live_server):
    return live_server.base


def test_chat_answers_with_citations(server):
    response = httpx.post(f"{server}/v1/chat", json={"merchant_id": "demo", "message": "退货运费谁出？"}, timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert "买家承担" in body["reply"]
    assert body["citations"][0]["document"] == "faq_zh.csv"
    assert body["handoff"] is None


def test_unknown_merchant_is_a_404_with_a_message(server):
    response = httpx.post(f"{server}/v1/chat", json={"merchant_id": "nobody", "message": "hi"}, timeout=30)
    assert response.status_code == 404
    assert "unknown merchant" in response.json()["detail"]


@pytest.mark.parametrize("body", [{"merchant_id": "demo", "message": ""}, {"merchant_id": "demo"}, {"message": "hi"}])
def test_malformed_bodies_are_422_not_500(server, body):
    assert httpx.post(f"{server}/v1/chat", json=body, timeout=30).status_code == 422


def test_openapi_docs_are_served(server):
    assert httpx.get(f"{server}/docs", timeout=30).status_code == 200
    assert "/v1/chat" in httpx.get(f"{server}/openapi.json", timeout=30).json()["paths"]
