"""The bundled demo shop: 青山户外服饰 / Qingshan Outdoor Apparel."""

from __future__ import annotations

from pathlib import Path

from knowledge.parsers import supported_files

DEMO_MERCHANT = "demo"
DEMO_NAME = "青山户外服饰 Qingshan Outdoor"
DEMO_SHOP = Path(__file__).parent / "demo_shop"
# Orders live apart from the knowledge files: they price offers, they are not answers.
DEMO_ORDERS = Path(__file__).parent / "demo_orders.json"


def demo_files() -> list[Path]:
    return supported_files(DEMO_SHOP)

DEMO_AGENTS = {"xiaomei": "小美 Xiaomei", "ali": "阿力 Ali"}


def demo_credentials() -> dict:
    """Fresh keys for the demo merchant and its two agents (keys are stored hashed, so a
    demo run issues new ones and writes them to ``XIAOER_HOME/demo-keys.json``)."""
    import json

    from sqlalchemy import delete

    from handoff.models import Agent
    from handoff.service import create_agent
    from knowledge.models import MerchantKey
    from xiaoer.db import session_scope
    from xiaoer.keys import hash_key, new_key
    from xiaoer.settings import get_settings

    merchant_key = new_key("xk")
    agent_keys = {}
    with session_scope() as session:
        session.execute(delete(MerchantKey).where(MerchantKey.merchant_id == DEMO_MERCHANT))
        session.add(MerchantKey(key_hash=hash_key(merchant_key), merchant_id=DEMO_MERCHANT))
        for agent_id, name in DEMO_AGENTS.items():
            existing = session.get(Agent, agent_id)
            if existing is not None:
                session.delete(existing)
                session.flush()
            agent_keys[agent_id] = create_agent(session, DEMO_MERCHANT, agent_id, name)[1]
    credentials = {"merchant_id": DEMO_MERCHANT, "merchant_key": merchant_key, "agent_keys": agent_keys}
    path = get_settings().home / "demo-keys.json"
    path.write_text(json.dumps(credentials, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return credentials
