"""`xiaoer demo` keeps the keys it saved while they still work, so a restart logs no
open console or dashboard out; a revoked or missing key is replaced."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
from sqlalchemy import delete, update

from handoff.models import Agent
from handoff.service import agent_for_key
from knowledge.models import MerchantKey
from xiaoer.db import session_scope
from xiaoer.demo import DEMO_MERCHANT, demo_credentials
from xiaoer.keys import hash_key
from xiaoer.settings import get_settings


def works(credentials: dict) -> bool:
    with session_scope() as session:
        row = session.get(MerchantKey, hash_key(credentials["merchant_key"]))
        agents = {agent_id: agent_for_key(session, key) for agent_id, key in credentials["agent_keys"].items()}
        return (row is not None and row.merchant_id == DEMO_MERCHANT
                and all(a is not None and a.id == agent_id for agent_id, a in agents.items()))


def test_saved_keys_are_kept_and_revoked_ones_replaced(demo_merchant):
    first = demo_credentials()
    again = demo_credentials()
    assert again == first and works(again)
    assert json.loads((get_settings().home / "demo-keys.json").read_text(encoding="utf-8")) == first

    with session_scope() as session:  # revoke the merchant key and one agent's
        session.execute(delete(MerchantKey).where(MerchantKey.merchant_id == DEMO_MERCHANT))
        session.execute(update(Agent).where(Agent.id == "xiaomei").values(key_hash=None))
    renewed = demo_credentials()
    assert works(renewed)
    assert renewed["merchant_key"] != first["merchant_key"]
    assert renewed["agent_keys"]["xiaomei"] != first["agent_keys"]["xiaomei"]
    assert renewed["agent_keys"]["ali"] == first["agent_keys"]["ali"]


def test_an_unreadable_keys_file_gets_new_keys(demo_merchant):
    path = get_settings().home / "demo-keys.json"
    path.write_text('{"merchant_key": 42, "agent_keys": ["x"]', encoding="utf-8")
    fresh = demo_credentials()
    assert works(fresh) and json.loads(path.read_text(encoding="utf-8")) == fresh


def test_restarting_demo_keeps_the_running_servers_keys(live_server):
    saved = live_server.home / "demo-keys.json"
    before = json.loads(saved.read_text(encoding="utf-8"))
    env = {**os.environ, "XIAOER_HOME": str(live_server.home)}
    done = subprocess.run([sys.executable, "-m", "xiaoer.cli", "demo", "--no-serve"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(saved.read_text(encoding="utf-8")) == before
    assert before["merchant_key"] in done.stdout
    for agent_id, key in before["agent_keys"].items():
        me = httpx.get(f"{live_server.base}/v1/agent/me", headers={"X-Agent-Key": key}, timeout=30)
        assert me.status_code == 200 and me.json()["id"] == agent_id
    profile = httpx.get(f"{live_server.base}/v1/merchants/demo", headers={"X-Api-Key": before["merchant_key"]}, timeout=30)
    assert profile.status_code == 200
