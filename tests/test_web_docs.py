"""The API docs (/docs) in headless Chromium with every request off 127.0.0.1 refused:
Swagger UI must come from the server itself, not a CDN."""

from __future__ import annotations

import re

import httpx
import pytest

pytest.importorskip("playwright")
from playwright.sync_api import expect  # noqa: E402


@pytest.fixture
def offline_page(browser, live_server):
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    strays: list[str] = []
    context.on("request", lambda r: None if r.url.startswith((live_server.base, "data:")) else strays.append(r.url))
    context.route(re.compile(r"^(?!http://127\.0\.0\.1[:/]|data:).*"), lambda route: route.abort())
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()
    assert not strays, f"the docs tried to reach other hosts: {strays}"


def test_swagger_ui_renders_the_operations_offline(offline_page, live_server):
    offline_page.goto(f"{live_server.base}/docs")
    expect(offline_page.locator(".opblock-summary-path", has_text="/v1/chat").first).to_be_visible()
    assert offline_page.locator(".opblock").count() > 10


def test_no_redoc_page_that_would_call_a_cdn(live_server):
    assert httpx.get(f"{live_server.base}/redoc", timeout=30).status_code == 404
