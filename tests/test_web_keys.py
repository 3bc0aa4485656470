"""A console or dashboard whose key stops working (revoked, or replaced while it was
open) says so on the sign-in form instead of just showing it."""

from __future__ import annotations

import sqlite3
import uuid

import httpx
import pytest

from tests.test_web_console import merchant_api, new_page
from xiaoer.keys import hash_key, new_key

pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402

NO_LONGER_VALID = "密钥已失效"


def database(server) -> sqlite3.Connection:
    return sqlite3.connect(server.home / "xiaoer.db", timeout=30)


def test_console_says_when_its_key_was_revoked(browser, live_server):
    agent_id = f"temp-{uuid.uuid4().hex[:8]}"
    made = merchant_api(live_server, "POST", "/agents", json={"id": agent_id, "name": "临时 Temp"})
    assert made.status_code == 201, made.text
    context, page = new_page(browser)
    try:
        page.goto(f"{live_server.base}/console")
        page.fill("#agent-key", made.json()["api_key"])
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#me-name")).to_have_text("临时 Temp")
        with database(live_server) as db:  # revoked while the console is open (the agent leaves no history)
            db.execute("DELETE FROM agents WHERE id = ?", (agent_id,))
        expect(page.locator("#signin-error")).to_be_visible()
        expect(page.locator("#signin-error")).to_contain_text(NO_LONGER_VALID)
        page.reload()  # and a stored key that no longer works says so too
        expect(page.locator("#signin")).to_be_visible()
        assert page.js_errors == []
    finally:
        context.close()
        with database(live_server) as db:
            db.execute("DELETE FROM agents WHERE id = ?", (agent_id,))


def test_dashboard_says_when_its_key_was_revoked(browser, live_server):
    key = new_key("xk")
    with database(live_server) as db:
        db.execute("INSERT INTO merchant_keys (key_hash, merchant_id, created_at) VALUES (?, 'demo', datetime('now'))", (hash_key(key),))
    context, page = new_page(browser)
    try:
        page.goto(f"{live_server.base}/dashboard")
        page.fill("#merchant-id", "demo")
        page.fill("#api-key", key)
        page.click("#signin-form button[type=submit]")
        expect(page.locator("#shop-name")).to_contain_text("青山户外")
        # The dashboard's first loads (metrics, gaps, drafts, QA) finish before the key is
        # revoked, so it is the period change that meets the revoked key.
        page.wait_for_load_state("networkidle")
        with database(live_server) as db:
            db.execute("DELETE FROM merchant_keys WHERE key_hash = ?", (hash_key(key),))
        page.select_option("#period", "7")  # the next call meets the revoked key
        expect(page.locator("#signin-error")).to_contain_text(NO_LONGER_VALID)
        assert httpx.get(f"{live_server.base}/v1/merchants/demo", headers={"X-Api-Key": key}).status_code == 401
    finally:
        context.close()
        with database(live_server) as db:
            db.execute("DELETE FROM merchant_keys WHERE key_hash = ?", (hash_key(key),))
