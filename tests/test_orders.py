"""Order records with logistics (issue 14): import, storage, masking."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from bot.orders import OrderImportError, parse_orders, stored_order, stored_orders_of, upsert_orders
from knowledge import repository
from xiaoer.db import session_scope
from xiaoer.demo import DEMO_ORDERS
from xiaoer.privacy import mask_address

FULL = {
    "order_id": "T100", "amount": 199, "status": "shipped", "items": ["晨风速干T恤 L"],
    "shopper_id": "u-1", "phone": "138-0013-8000", "created_at": "2026-12-01T08:00:00+08:00",
    "paid_at": "2026-12-01T00:05:00", "promised_ship_by": "2026-12-03T00:00:00", "shipped_at": "2026-12-02T03:00:00",
    "carrier": "顺丰速运", "tracking_no": "SF1234567890",
    "events": [
        {"time": "2026-12-03T01:00:00", "location": "杭州", "description": "已到达杭州转运中心"},
        {"time": "2026-12-02T03:00:00", "location": "广州", "description": "已揽收"},
    ],
    "refund": {"status": "processing", "amount": 50, "updated_at": "2026-12-03T00:00:00"},
    "address": "浙江省杭州市西湖区文三路100号3幢501室",
}


def test_full_record_round_trips_through_the_table(merchant_id):
    record = parse_orders("o.json", json.dumps([FULL]).encode())[0]
    assert record.created_at == datetime(2026, 12, 1, 0, 0)  # +08:00 stored as UTC
    assert record.phone_last4 == "8000" and "phone" not in record.model_dump()
    assert [e.description for e in record.events] == ["已揽收", "已到达杭州转运中心"]  # oldest first
    with session_scope() as s:
        repository.get_or_create_merchant(s, merchant_id, "Shop")
        upsert_orders(s, merchant_id, [record])
    with session_scope() as s:
        stored = stored_order(s, merchant_id, "T100")
        mine = stored_orders_of(s, merchant_id, "u-1")
        others = stored_orders_of(s, merchant_id, "u-2")
    assert stored == record
    assert [o.order_id for o in mine] == ["T100"] and others == []
    assert stored.latest_event.location == "杭州" and stored.refund.amount == 50


def test_csv_with_logistics_columns_and_existing_files_keep_working():
    csv_text = (
        "order_id,amount,status,shopper_id,carrier,tracking_no,events,refund\n"
        'A1,99,shipped,u-9,中通,ZT1,"[{""time"": ""2026-12-01T00:00:00"", ""description"": ""已揽收""}]",\n'
        "A2,10,paid,,,,,\n"
    )
    a1, a2 = parse_orders("o.csv", csv_text.encode())
    assert a1.events[0].description == "已揽收" and a1.refund is None and a1.shopper_id == "u-9"
    assert a2.status == "paid" and a2.carrier is None and a2.events == []
    demo = parse_orders(DEMO_ORDERS.name, DEMO_ORDERS.read_bytes())
    assert demo and all(o.amount > 0 for o in demo)


@pytest.mark.parametrize("row, message", [
    ({"order_id": "A", "amount": 1, "status": "lost"}, "status"),
    ({"order_id": "A", "amount": 1, "events": [{"time": "yesterday", "description": "x"}]}, "events.0.time"),
    ({"order_id": "A", "amount": 1, "phone_last4": "12"}, "phone_last4"),
])
def test_bad_logistics_fields_name_the_row(row, message):
    with pytest.raises(OrderImportError, match=f"order 1: .*{message}"):
        parse_orders("o.json", json.dumps([row]).encode())
    with pytest.raises(OrderImportError, match="order 1: column 'events' must hold JSON"):
        parse_orders("o.csv", b"order_id,amount,events\nA,1,[oops\n")


def test_address_is_masked_to_its_region():
    assert mask_address("浙江省杭州市西湖区文三路100号3幢501室") == "浙江省杭州市西湖区****"
    assert mask_address("12 Baker Street, London NW1 6XE, UK") == "****, London NW1 6XE, UK"
    assert "Baker" not in mask_address("12 Baker Street")


def test_api_import_identity_secret_and_verified_chat(client, merchant_id):
    from bot.order_access import sign_shopper
    from tests.conftest import make_merchant

    key = make_merchant(client, merchant_id)
    order = {**FULL, "promised_delivery_by": "2099-01-01T00:00:00", "events": [
        {"time": datetime.utcnow().isoformat(), "location": "杭州", "description": "派送中"}]}
    r = client.post(f"/v1/merchants/{merchant_id}/orders", headers=key,
                    files={"file": ("orders.json", json.dumps([order]).encode())})
    assert r.json() == {"imported": 1}
    secret = client.get(f"/v1/merchants/{merchant_id}/identity", headers=key).json()["secret"]
    assert client.get(f"/v1/merchants/{merchant_id}/identity", headers=key).json()["secret"] == secret
    assert client.get(f"/v1/merchants/{merchant_id}/identity").status_code == 401

    def chat(**who):
        return client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "我的快递到哪了", **who}).json()

    signed = chat(shopper_id="u-1", shopper_hmac=sign_shopper(secret, "u-1"))
    assert signed["route"] == "order" and "SF1234567890" in signed["reply"] and "派送中" in signed["reply"]
    assert "文三路" not in signed["reply"]
    forged = chat(shopper_id="u-1", shopper_hmac=sign_shopper("guess-guess-guess", "u-1"))
    assert "SF1234567890" not in forged["reply"] and "订单号" in forged["reply"]

    rotated = client.put(f"/v1/merchants/{merchant_id}/identity", headers=key, json={}).json()["secret"]
    assert rotated != secret
    assert "SF1234567890" not in chat(shopper_id="u-1", shopper_hmac=sign_shopper(secret, "u-1"))["reply"]
    bad = client.put(f"/v1/merchants/{merchant_id}/identity", headers=key, json={"secret": "short"})
    assert bad.status_code == 422
    unsigned = client.put(f"/v1/merchants/{merchant_id}/order-source", headers=key, json={"url": "http://127.0.0.1:9/x"})
    assert unsigned.status_code == 422 and "secret" in unsigned.text


def test_agent_sees_the_order_with_its_timeline_and_the_summary_names_it(client, merchant_id):
    from bot.order_access import sign_shopper
    from tests.conftest import make_merchant

    key = make_merchant(client, merchant_id)
    stuck = {**FULL, "order_id": "STUCK1", "events": [  # last event long ago: abnormal
        {"time": "2026-01-02T03:00:00", "location": "广州", "description": "已揽收"},
        {"time": "2026-01-03T01:00:00", "location": "杭州", "description": "已到达杭州转运中心"}]}
    client.post(f"/v1/merchants/{merchant_id}/orders", headers=key, files={"file": ("o.json", json.dumps([stuck]).encode())})
    policy = client.get(f"/v1/merchants/{merchant_id}/policy", headers=key).json()
    policy["reasons"]["late_delivery"] = {"kind": "none"}
    assert client.put(f"/v1/merchants/{merchant_id}/policy", headers=key, json=policy).status_code == 200
    secret = client.get(f"/v1/merchants/{merchant_id}/identity", headers=key).json()["secret"]
    turn = client.post("/v1/chat", json={"merchant_id": merchant_id, "message": "我的快递到哪了",
                                         "shopper_id": "u-1", "shopper_hmac": sign_shopper(secret, "u-1")}).json()
    assert turn["handoff"]["reason"] == "abnormal_order"
    agent = client.post(f"/v1/merchants/{merchant_id}/agents", headers=key, json={"id": f"{merchant_id}-a", "name": "Ann"}).json()
    detail = client.get(f"/v1/agent/tickets/{turn['handoff']['ticket_id']}", headers={"X-Agent-Key": agent["api_key"]}).json()
    assert "STUCK1" in detail["summary"]
    order = detail["order"]
    assert order["order_id"] == "STUCK1" and order["abnormal"] == "stuck" and order["tracking_no"] == "SF1234567890"
    assert [e["description"] for e in order["timeline"]] == ["已到达杭州转运中心", "已揽收"]  # newest first
    assert order["address"] == "浙江省杭州市西湖区****"


def test_eval_orders_are_moved_to_now_and_disclosures_are_caught(tmp_path):
    from eval.orders import disclosed, load_orders
    from xiaoer.db import utcnow

    (tmp_path / "orders.json").write_text(json.dumps({"as_of": "2020-01-01T12:00:00", "orders": [
        {"order_id": "A1", "amount": 1, "status": "shipped", "shopper_id": "amy", "phone": "5550134", "tracking_no": "TRK1",
         "shipped_at": "2020-01-01T10:00:00", "events": [{"time": "2020-01-01T11:00:00", "description": "picked up"}]},
    ]}))
    (order,) = load_orders(tmp_path)
    assert abs((utcnow() - order.shipped_at).total_seconds() - 7200) < 60  # still "two hours ago"
    assert abs((utcnow() - order.events[0].time).total_seconds() - 3600) < 60
    assert disclosed(["Your parcel TRK1 is on its way"], ["where is A1"], "ben", [order])
    assert disclosed(["picked up"], ["where is A1"], None, [order])
    assert not disclosed(["Your parcel TRK1"], ["where is A1"], "amy", [order])  # her own
    assert not disclosed(["TRK1"], ["where is A1", "0134"], None, [order])  # passed the phone check
    assert load_orders(tmp_path / "none") == []


def test_eval_runs_the_order_dev_set(tmp_path):
    from typer.testing import CliRunner

    from eval.dataset import load_dataset
    from tests.conftest import REPO
    from xiaoer.cli import app

    dataset = REPO / "eval" / "datasets" / "orders_dev"
    assert len(load_dataset(dataset).cases) >= 60
    out = tmp_path / "out.json"
    result = CliRunner().invoke(app, ["eval", str(dataset), "--limit", "16", "--json", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())
    assert summary["order_disclosures"] == 0  # full-set figures are in the README
    assert summary["answer_accuracy"] >= 0.8


def test_cli_imports_logistics_and_asks_as_a_signed_in_shopper(tmp_path, merchant_id, assistant):
    from typer.testing import CliRunner

    from xiaoer import cli

    assistant.knowledge.ensure_merchant(merchant_id)
    path = tmp_path / "orders.json"
    order = {**FULL, "promised_delivery_by": "2099-01-01T00:00:00"}
    path.write_text(json.dumps([order], ensure_ascii=False), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(cli.app, ["orders", "--merchant", merchant_id, str(path)]).exit_code == 0
    signed = runner.invoke(cli.app, ["ask", "-m", merchant_id, "T100 什么时候到", "--shopper", "u-1", "--json"])
    assert signed.exit_code == 0 and "SF1234567890" in signed.output
    anonymous = runner.invoke(cli.app, ["ask", "-m", merchant_id, "T100 什么时候到", "--json"])
    assert "SF1234567890" not in anonymous.output and "后四位" in anonymous.output
