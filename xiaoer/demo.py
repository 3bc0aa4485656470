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


def install_demo_policy(merchant_id: str = DEMO_MERCHANT) -> None:
    """The demo shop sells clothes: the default policy in the apparel wording (尺码不合适),
    answering from 0.3 up. Confidence is calibrated for shops the bot never saw
    (bot/calibration.py), and the answerability model was fitted on this one: in its dev sets
    the answers held back between 0.3 and the default 0.7 were right 20 times of 21
    (in-sample), where on unseen shops such answers are right half the time or less.
    A policy already set is kept."""
    from bot.models import RecoveryPolicyRow
    from bot.recovery import default_policy, save_policy
    from xiaoer.db import session_scope

    with session_scope() as session:
        if session.get(RecoveryPolicyRow, merchant_id) is None:
            save_policy(session, merchant_id, default_policy().model_copy(update={"category": "apparel", "answer_threshold": 0.3}))

DEMO_AGENTS = {"xiaomei": "小美 Xiaomei", "ali": "阿力 Ali"}


def demo_credentials() -> dict:
    """Keys for the demo merchant and its two agents. The ones saved in
    ``XIAOER_HOME/demo-keys.json`` are kept while they still work, so restarting
    ``xiaoer demo`` logs no open console or dashboard out; a missing or revoked key is
    replaced (keys are stored hashed, so a lost one cannot be shown again)."""
    import json

    from sqlalchemy import delete

    from handoff.models import Agent
    from handoff.service import agent_for_key, create_agent
    from knowledge.models import MerchantKey
    from xiaoer.db import session_scope
    from xiaoer.keys import hash_key, new_key
    from xiaoer.settings import get_settings

    path = get_settings().home / "demo-keys.json"
    saved = _saved_credentials(path)
    with session_scope() as session:
        merchant_key = str(saved.get("merchant_key") or "")
        row = session.get(MerchantKey, hash_key(merchant_key)) if merchant_key else None
        if row is None or row.merchant_id != DEMO_MERCHANT:
            merchant_key = new_key("xk")
            session.execute(delete(MerchantKey).where(MerchantKey.merchant_id == DEMO_MERCHANT))
            session.add(MerchantKey(key_hash=hash_key(merchant_key), merchant_id=DEMO_MERCHANT))
        saved_agent_keys = saved.get("agent_keys") if isinstance(saved.get("agent_keys"), dict) else {}
        agent_keys = {}
        for agent_id, name in DEMO_AGENTS.items():
            key = str(saved_agent_keys.get(agent_id) or "")
            holder = agent_for_key(session, key) if key else None
            if holder is None or holder.id != agent_id or holder.merchant_id != DEMO_MERCHANT:
                existing = session.get(Agent, agent_id)
                if existing is not None:
                    session.delete(existing)
                    session.flush()
                key = create_agent(session, DEMO_MERCHANT, agent_id, name)[1]
            agent_keys[agent_id] = key
    credentials = {"merchant_id": DEMO_MERCHANT, "merchant_key": merchant_key, "agent_keys": agent_keys}
    if credentials != saved:
        path.write_text(json.dumps(credentials, indent=2), encoding="utf-8")
        path.chmod(0o600)
    return credentials


def _saved_credentials(path: Path) -> dict:
    """What the last demo run saved, or {} when there is no readable file."""
    import json

    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}
