"""The merchant's settings a turn reads once, at its start, for all its stages: its
knowledge version, its recovery policy and its order settings, in one statement."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import RecoveryPolicyRow
from bot.order_models import OrderSettings
from bot.recovery import RecoveryPolicy, policy_of
from knowledge.models import Merchant


@dataclass(frozen=True)
class ShopView:
    policy: RecoveryPolicy
    kb_version: int  # the knowledge version every search of the turn reads
    order_settings: OrderSettings | None


def read_shop(session: Session, merchant_id: str) -> ShopView | None:
    """None: no such merchant."""
    row = session.execute(
        select(Merchant.kb_version, RecoveryPolicyRow, OrderSettings)
        .outerjoin(RecoveryPolicyRow, RecoveryPolicyRow.merchant_id == Merchant.id)
        .outerjoin(OrderSettings, OrderSettings.merchant_id == Merchant.id)
        .where(Merchant.id == merchant_id)
    ).first()
    if row is None:
        return None
    kb_version, policy_row, order_settings = row
    return ShopView(policy=policy_of(policy_row), kb_version=kb_version or 0, order_settings=order_settings)
