"""Where a merchant's orders come from: the built-in table (imported files) or, when the
merchant set an order-source URL, its own order system over HTTP.

Both answer the same two questions: one order by id, and a shopper's orders. A source
that cannot answer raises SourceUnavailable, and the bot says it cannot see the order
right now (never a guess).
"""

from __future__ import annotations

from typing import Protocol

from bot.orders import OrderRecord, stored_order, stored_orders_of
from xiaoer.db import session_scope


class SourceUnavailable(RuntimeError):
    pass


class OrderSource(Protocol):
    def order(self, order_id: str) -> OrderRecord | None: ...

    def orders_of(self, shopper_id: str) -> list[OrderRecord]: ...


class TableSource:
    """The built-in ``orders`` table."""

    def __init__(self, merchant_id: str) -> None:
        self.merchant_id = merchant_id

    def order(self, order_id: str) -> OrderRecord | None:
        with session_scope() as session:
            return stored_order(session, self.merchant_id, order_id)

    def orders_of(self, shopper_id: str) -> list[OrderRecord]:
        with session_scope() as session:
            return stored_orders_of(session, self.merchant_id, shopper_id)


def source_for(merchant_id: str, url: str | None, secret: str | None) -> OrderSource:
    return TableSource(merchant_id)
