"""Order records the bot prices offers from: imported by the merchant (JSON or CSV with
order_id, amount and optional status/items), never taken from what a shopper types."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.orm import Session

from bot.models import Order


class OrderRecord(BaseModel):
    order_id: str = Field(min_length=1, max_length=64)
    amount: float = Field(ge=0)
    status: str = Field(default="paid", max_length=32)
    items: list[str] = []


class OrderImportError(ValueError):
    pass


def parse_orders(name: str, data: bytes) -> list[OrderRecord]:
    """Every row valid, or an error naming the first bad row: nothing half-imported."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OrderImportError(f"{name}: not UTF-8 text") from None
    if Path(name).suffix.lower() == ".json":
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise OrderImportError(f"{name}: malformed JSON ({exc.msg}, line {exc.lineno})") from None
        if isinstance(rows, dict):
            rows = rows.get("orders")
        if not isinstance(rows, list):
            raise OrderImportError(f"{name}: expected a list of orders or {{\"orders\": [...]}}")
    elif Path(name).suffix.lower() == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        for row in rows:
            if isinstance(row.get("items"), str):
                row["items"] = [i.strip() for i in row["items"].split("|") if i.strip()]
    else:
        raise OrderImportError(f"{name}: orders must be a .json or .csv file")
    records = []
    for i, row in enumerate(rows, start=1):
        try:
            record = OrderRecord.model_validate(row)
        except ValidationError as exc:
            problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise OrderImportError(f"{name}: order {i}: {problem}") from None
        if not math.isfinite(record.amount):
            raise OrderImportError(f"{name}: order {i}: amount must be a finite number")
        records.append(record)
    if not records:
        raise OrderImportError(f"{name}: no orders")
    return records


def upsert_orders(session: Session, merchant_id: str, records: list[OrderRecord]) -> int:
    for r in records:
        row = session.get(Order, (merchant_id, r.order_id))
        if row is None:
            session.add(Order(merchant_id=merchant_id, order_id=r.order_id, amount=r.amount, status=r.status, items=r.items))
        else:
            row.amount, row.status, row.items = r.amount, r.status, r.items
    return len(records)
