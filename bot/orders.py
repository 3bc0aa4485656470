"""Order records: imported by the merchant (JSON or CSV) or read from the merchant's own
order system (bot/order_source.py), never taken from what a shopper types.

The recovery engine prices offers from ``amount``; the order answers (bot/order_answers.py)
read the logistics fields. Every field but ``order_id`` and ``amount`` is optional, so a
file with only those two keeps working.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Order

OrderStatus = Literal["unpaid", "paid", "shipped", "delivered", "refunding", "refunded", "cancelled"]
ORDER_STATUSES: tuple[str, ...] = OrderStatus.__args__  # type: ignore[attr-defined]


def _utc_naive(value: datetime | None) -> datetime | None:
    """Times are stored as naive UTC; an offset in the file is honoured, none means UTC."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


UtcTime = Annotated[datetime, AfterValidator(_utc_naive)]


class TrackingEvent(BaseModel):
    time: UtcTime
    location: str = Field(default="", max_length=200)
    description: str = Field(min_length=1, max_length=500)


class RefundState(BaseModel):
    status: str = Field(min_length=1, max_length=64)
    amount: float | None = Field(default=None, ge=0)
    updated_at: UtcTime | None = None


class OrderRecord(BaseModel):
    order_id: str = Field(min_length=1, max_length=64)
    amount: float = Field(ge=0)
    status: OrderStatus = "paid"
    items: list[str] = []
    shopper_id: str | None = Field(default=None, max_length=128)
    # Only the last four digits are kept: enough for the anonymous shopper's check.
    phone: str | None = Field(default=None, max_length=32, exclude=True)
    phone_last4: str | None = Field(default=None, pattern=r"^\d{4}$")
    created_at: UtcTime | None = None
    paid_at: UtcTime | None = None
    promised_ship_by: UtcTime | None = None
    shipped_at: UtcTime | None = None
    promised_delivery_by: UtcTime | None = None
    delivered_at: UtcTime | None = None
    carrier: str | None = Field(default=None, max_length=64)
    tracking_no: str | None = Field(default=None, max_length=64)
    events: list[TrackingEvent] = []
    refund: RefundState | None = None
    address: str | None = Field(default=None, max_length=500)

    @field_validator("events")
    @classmethod
    def _oldest_first(cls, events: list[TrackingEvent]) -> list[TrackingEvent]:
        return sorted(events, key=lambda e: e.time)

    def model_post_init(self, _context) -> None:
        if self.phone and not self.phone_last4:
            digits = re.sub(r"\D", "", self.phone)
            if len(digits) >= 4:
                self.phone_last4 = digits[-4:]
        self.phone = None

    @property
    def latest_event(self) -> TrackingEvent | None:
        return self.events[-1] if self.events else None


class OrderImportError(ValueError):
    pass


# CSV cells are text: these columns hold JSON ("events", "refund") or a |-separated list.
_CSV_JSON_COLUMNS = ("events", "refund")


def _csv_row(row: dict) -> dict:
    out = {k: v for k, v in row.items() if k and v not in (None, "")}
    if isinstance(out.get("items"), str):
        out["items"] = [i.strip() for i in out["items"].split("|") if i.strip()]
    for column in _CSV_JSON_COLUMNS:
        if isinstance(out.get(column), str):
            try:
                out[column] = json.loads(out[column])
            except json.JSONDecodeError:
                raise OrderImportError(f"column {column!r} must hold JSON") from None
    return out


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
        rows = []
        for i, row in enumerate(csv.DictReader(io.StringIO(text)), start=1):
            try:
                rows.append(_csv_row(row))
            except OrderImportError as exc:
                raise OrderImportError(f"{name}: order {i}: {exc}") from None
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


# The columns an OrderRecord fills (everything but the keys and the row's own created_at).
_COPIED = (
    "amount", "status", "items", "shopper_id", "phone_last4", "paid_at", "promised_ship_by", "shipped_at",
    "promised_delivery_by", "delivered_at", "carrier", "tracking_no", "address",
)


def upsert_orders(session: Session, merchant_id: str, records: list[OrderRecord]) -> int:
    for r in records:
        row = session.get(Order, (merchant_id, r.order_id))
        if row is None:
            row = Order(merchant_id=merchant_id, order_id=r.order_id)
            session.add(row)
        for column in _COPIED:
            setattr(row, column, getattr(r, column))
        row.events = [e.model_dump(mode="json") for e in r.events] or None
        row.refund = r.refund.model_dump(mode="json") if r.refund else None
        if r.created_at is not None:
            row.created_at = r.created_at
    return len(records)


def to_record(row: Order) -> OrderRecord:
    data = {column: getattr(row, column) for column in _COPIED}
    return OrderRecord.model_validate(
        {**data, "order_id": row.order_id, "items": row.items or [], "created_at": row.created_at,
         "events": row.events or [], "refund": row.refund}
    )


def stored_order(session: Session, merchant_id: str, order_id: str) -> OrderRecord | None:
    row = session.get(Order, (merchant_id, order_id))
    return to_record(row) if row else None


def stored_orders_of(session: Session, merchant_id: str, shopper_id: str, limit: int = 20) -> list[OrderRecord]:
    """The shopper's orders, newest first."""
    rows = session.scalars(
        select(Order).where(Order.merchant_id == merchant_id, Order.shopper_id == shopper_id)
        .order_by(Order.created_at.desc()).limit(limit)
    )
    return [to_record(r) for r in rows]
