"""The web pages draw their icons as inline SVG: an emoji (or a rare arrow) needs a font
the shop's or agent's machine may not have, and renders as an empty box with CJK fonts only."""

from __future__ import annotations

import re
import unicodedata

from api.routes.pages import STATIC

# Emoji and pictographs, dingbats and misc symbols, supplemental arrows, the emoji variation selector.
NEEDS_AN_EMOJI_FONT = re.compile("[\U0001F000-\U0001FAFF\u2600-\u27BF\u2900-\u297F\u2B00-\u2BFF\uFE0F]")


def test_no_emoji_in_the_web_pages():
    found = [
        f"{path.name}:{n}: {unicodedata.name(ch, hex(ord(ch)))}"
        for path in sorted(STATIC.iterdir()) if path.suffix in (".html", ".js", ".css")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for ch in NEEDS_AN_EMOJI_FONT.findall(line)
    ]
    assert not found, found


def test_the_empty_states_carry_svg_icons():
    console = (STATIC / "console.html").read_text(encoding="utf-8")
    dashboard = (STATIC / "dashboard.html").read_text(encoding="utf-8")
    assert re.search(r'id="queue-empty"[^>]*><svg class="icon"', console)
    assert '<svg class="empty-icon"' in console
    assert re.search(r'id="gaps-empty"[^>]*><svg class="icon"', dashboard)
    assert '<svg class="drop-icon"' in dashboard
