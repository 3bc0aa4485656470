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
