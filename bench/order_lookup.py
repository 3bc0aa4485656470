"""Order lookup latency (issue 14): what reading the shopper's order adds to a turn with the
built-in orders table.

    python bench/order_lookup.py [--orders 10000] [--turns 300]

Times the order stage's read half (bot/order_turn.read_order_turn) — the part every turn
runs — on messages that are not about an order, and on order questions of a signed-in
shopper with several orders (the lookup itself), against a table of N orders; then whole
turns (ShopAssistant.handle) of both kinds. Runs in a throw-away XIAOER_HOME. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import timedelta


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def line(name: str, ms: list[float]) -> None:
    print(f"{name:52s} p50 {statistics.median(ms):7.2f} ms   p95 {percentile(ms, 95):7.2f} ms   (n={len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--turns", type=int, default=300)
    args = parser.parse_args()
    os.environ["XIAOER_HOME"] = tempfile.mkdtemp(prefix="xiaoer-bench-orders-")

    from bot.order_access import order_settings, sign_shopper
    from bot.order_turn import read_order_turn
    from bot.orders import OrderRecord, upsert_orders
    from bot.turn import ShopAssistant, TurnRequest
    from xiaoer.db import session_scope, utcnow
    from xiaoer.demo import DEMO_MERCHANT, demo_files

    assistant = ShopAssistant()
    assistant.knowledge.ensure_merchant(DEMO_MERCHANT)
    assistant.knowledge.ingest_paths(DEMO_MERCHANT, demo_files())
    now = utcnow()
    records = [
        OrderRecord(order_id=f"B{i:07d}", amount=99, status="shipped" if i % 2 else "paid", shopper_id=f"s{i % (args.orders // 3 or 1)}",
                    created_at=now - timedelta(hours=i % 500), shipped_at=now - timedelta(hours=20), carrier="顺丰速运",
                    tracking_no=f"SF{i:010d}", events=[{"time": now - timedelta(hours=3), "location": "杭州", "description": "运输中"}])
        for i in range(args.orders)
    ]
    with session_scope() as s:
        upsert_orders(s, DEMO_MERCHANT, records)
        secret = order_settings(s, DEMO_MERCHANT).identity_secret
    me = {"shopper_id": "s7", "shopper_hmac": sign_shopper(secret, "s7")}
    print(f"{args.orders:,} orders in the table; shopper s7 has {sum(r.shopper_id == 's7' for r in records)}")

    plain = ["冲锋衣防水吗", "what sizes do you have?", "退货运费谁出？", "羽绒服怎么洗"]
    asks = ["我的快递到哪了", "B0000007 到哪了", "where is my order?", "B0000007 什么时候能到"]

    def timed(fn) -> float:
        started = time.perf_counter()
        fn()
        return (time.perf_counter() - started) * 1000

    for text in plain + asks:  # warm caches and the classifier
        read_order_turn(DEMO_MERCHANT, None, text, "presale", **me)
        assistant.handle(TurnRequest(merchant_id=DEMO_MERCHANT, message=text, **me))
    n = args.turns
    line("order stage, message not about an order", [timed(lambda t=plain[i % 4]: read_order_turn(DEMO_MERCHANT, None, t, "presale", **me)) for i in range(n)])
    line("order stage, order question (lookup)", [timed(lambda t=asks[i % 4]: read_order_turn(DEMO_MERCHANT, None, t, "logistics", **me)) for i in range(n)])
    line("order stage, anonymous order number", [timed(lambda: read_order_turn(DEMO_MERCHANT, None, "B0000007 到哪了", "logistics")) for _ in range(n)])
    turns = max(n // 3, 20)
    line("whole turn, FAQ question", [timed(lambda t=plain[i % 4]: assistant.handle(TurnRequest(merchant_id=DEMO_MERCHANT, message=t, **me))) for i in range(turns)])
    line("whole turn, order question", [timed(lambda t=asks[i % 4]: assistant.handle(TurnRequest(merchant_id=DEMO_MERCHANT, message=t, **me))) for i in range(turns)])


if __name__ == "__main__":
    main()
