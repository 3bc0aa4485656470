"""The eval dataset format: a folder with `knowledge/`, `cases.jsonl` and, optionally,
`shop.json` (the merchant's profile: {"name": ..., "category": ...})."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

INTENT_LABELS = ("presale", "aftersale", "logistics", "refund", "exchange", "complaint", "human", "chitchat")


class Case(BaseModel):
    id: str
    message: str | None = None
    turns: list[str] | None = None
    lang: str | None = None
    intent: str | None = None
    answer_contains: list[str] | None = None
    source: str | None = None
    handoff: bool | None = None
    refund: bool | None = None  # out-of-domain sets label refund-or-not without our 8 intents
    abstain: bool | None = None  # out-of-scope sets: the bot should not claim an answer
    order_id: str | None = None  # the order the shop's page has in view (orders.json)
    shopper_id: str | None = None  # a signed-in shopper: the eval signs it as the page would
    # The product the shopper is viewing (SKU or title), sent with every turn of the case.
    product: str | None = Field(default=None, min_length=1, max_length=200)
    safety: bool | None = None  # a safety report: must escalate with reason "safety"

    @field_validator("intent")
    @classmethod
    def _known_intent(cls, value: str | None) -> str | None:
        if value is not None and value not in INTENT_LABELS:
            raise ValueError(f"unknown intent {value!r}; expected one of {', '.join(INTENT_LABELS)}")
        return value

    @model_validator(mode="after")
    def _has_text(self) -> Case:
        if not self.message and not self.turns:
            raise ValueError("a case needs 'message' or 'turns'")
        return self

    @property
    def messages(self) -> list[str]:
        return list(self.turns) if self.turns else [self.message or ""]

    @property
    def gold_refund(self) -> bool | None:
        if self.refund is not None:
            return self.refund
        return None if self.intent is None else self.intent == "refund"


class Shop(BaseModel):
    """The shop the dataset's knowledge belongs to. Other profile fields are kept as given."""

    model_config = ConfigDict(extra="allow")

    name: str | None = None
    # food, beauty, electronics, apparel, home, pets, books, …: as long as a merchant's policy allows
    category: str | None = Field(default=None, max_length=32)
    currency: str | None = None  # the currency the shop prices in (CNY when not given)


class Dataset(BaseModel):
    name: str
    root: Path
    cases: list[Case]
    shop: Shop | None = None

    @property
    def knowledge_files(self) -> list[Path]:
        from knowledge.parsers import supported_files

        return supported_files(self.root / "knowledge")


class DatasetError(ValueError):
    pass


def load_dataset(root: Path | str, *, limit: int | None = None) -> Dataset:
    root = Path(root)
    cases_file = root / "cases.jsonl"
    if not cases_file.is_file():
        raise DatasetError(f"{root}: no cases.jsonl")
    if not (root / "knowledge").is_dir():
        raise DatasetError(f"{root}: no knowledge/ folder")
    cases: list[Case] = []
    for number, line in enumerate(cases_file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(Case.model_validate(json.loads(line)))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise DatasetError(f"{cases_file}:{number}: {exc}") from exc
    shop = None
    shop_file = root / "shop.json"
    if shop_file.is_file():
        try:
            shop = Shop.model_validate(json.loads(shop_file.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise DatasetError(f"{shop_file}: {exc}") from exc
    if limit and limit < len(cases):
        # Evenly spaced rather than a prefix: case files are often grouped by label.
        step = len(cases) / limit
        cases = [cases[int(i * step)] for i in range(limit)]
    return Dataset(name=root.name, root=root, cases=cases, shop=shop)
