"""Who may see an order (issue 14).

A shopper sees only their own orders. The merchant's page proves who the shopper is the
way Intercom's identity verification does: it sends ``shopper_id`` with
``shopper_hmac = HMAC-SHA256(identity_secret, shopper_id)`` (hex), computed server-side
with a secret only the merchant and xiaoer know. An anonymous shopper who types an order
number is told only "found" or "not found" until they give the last four digits of the
order's phone number.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy.orm import Session

from bot.order_models import OrderSettings
from bot.orders import OrderRecord
from xiaoer.keys import same_secret

MAX_FAILED_CHECKS = 3  # wrong phone digits in a conversation before a person takes over
MAX_MISSES = 5  # order numbers not found in a conversation before a person takes over (guessing)


def order_settings(session: Session, merchant_id: str) -> OrderSettings:
    """The merchant's order settings, created (with a fresh identity secret) on first use."""
    row = session.get(OrderSettings, merchant_id)
    if row is None:
        row = OrderSettings(merchant_id=merchant_id, identity_secret=secrets.token_urlsafe(32))
        session.add(row)
        session.flush()
    return row


def sign_shopper(secret: str, shopper_id: str) -> str:
    """What the merchant's page sends as ``shopper_hmac`` (tests and eval use it too)."""
    return hmac.new(secret.encode(), shopper_id.encode(), hashlib.sha256).hexdigest()


def shopper_fields(secret: str | None, shopper_id: str | None, order_id: str | None = None) -> dict:
    """The TurnRequest fields a merchant's page sends for a signed-in shopper (and the order in view)."""
    fields: dict = {"order_id": order_id} if order_id else {}
    if secret and shopper_id:
        fields.update(shopper_id=shopper_id, shopper_hmac=sign_shopper(secret, shopper_id))
    return fields


def verified_shopper(secret: str | None, shopper_id: str | None, shopper_hmac: str | None) -> str | None:
    """The shopper id if its HMAC is right, else None (a forged or missing one is anonymous)."""
    if not secret or not shopper_id or not shopper_hmac:
        return None
    return shopper_id if same_secret(shopper_hmac.strip().lower(), sign_shopper(secret, shopper_id)) else None


def may_see(order: OrderRecord, shopper_id: str | None, unlocked: list[str]) -> bool:
    """Everything beyond found/not found: the verified owner, or a conversation that passed
    the phone check for this very order."""
    if shopper_id is not None and order.shopper_id is not None and same_secret(order.shopper_id, shopper_id):
        return True
    return order.order_id in unlocked


def passes_check(order: OrderRecord, digits: str) -> bool:
    return bool(order.phone_last4) and same_secret(order.phone_last4, digits)
