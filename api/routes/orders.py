"""A merchant's order settings (issue 14): the identity secret its pages sign shopper ids
with, and where the bot reads orders from (the imported table, or the merchant's own
order API). Order files are imported through POST /v1/merchants/{id}/orders."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field, HttpUrl, model_validator

from api.deps import MerchantDep, SessionDep
from bot.order_access import order_settings

router = APIRouter(prefix="/v1/merchants", tags=["orders"])


class IdentitySecret(BaseModel):
    secret: str = Field(
        min_length=16, max_length=128,
        description="Pages send shopper_hmac = hex(HMAC-SHA256(secret, shopper_id)) with shopper_id.",
    )


class IdentitySecretIn(BaseModel):
    secret: str | None = Field(default=None, min_length=16, max_length=128, description="Omit to get a new random one.")


class OrderSourceConfig(BaseModel):
    url: HttpUrl | None = Field(
        default=None,
        description="Base URL of the merchant's order API (GET {url}/orders/{id}, GET {url}/orders?shopper_id=); "
        "null = the imported orders table.",
    )
    secret: str | None = Field(default=None, min_length=16, max_length=128, description="Signs every request (HMAC-SHA256).")

    @model_validator(mode="after")
    def _signed(self) -> OrderSourceConfig:
        if self.url and not self.secret:
            raise ValueError("an order source URL needs a secret: every request to it is signed")
        return self


class OrderSourceInfo(BaseModel):
    url: str | None
    signed: bool


@router.get("/{merchant_id}/identity", response_model=IdentitySecret)
def get_identity_secret(merchant_id: MerchantDep, session: SessionDep) -> IdentitySecret:
    return IdentitySecret(secret=order_settings(session, merchant_id).identity_secret)


@router.put("/{merchant_id}/identity", response_model=IdentitySecret)
def set_identity_secret(
    merchant_id: MerchantDep, session: SessionDep, body: Annotated[IdentitySecretIn, Body()] = IdentitySecretIn()
) -> IdentitySecret:
    """Set or rotate the secret: signatures made with the old one stop verifying at once."""
    row = order_settings(session, merchant_id)
    row.identity_secret = body.secret or secrets.token_urlsafe(32)
    return IdentitySecret(secret=row.identity_secret)


@router.get("/{merchant_id}/order-source", response_model=OrderSourceInfo)
def get_order_source(merchant_id: MerchantDep, session: SessionDep) -> OrderSourceInfo:
    row = order_settings(session, merchant_id)
    return OrderSourceInfo(url=row.source_url, signed=bool(row.source_secret))


@router.put("/{merchant_id}/order-source", response_model=OrderSourceInfo)
def set_order_source(merchant_id: MerchantDep, session: SessionDep, body: OrderSourceConfig) -> OrderSourceInfo:
    row = order_settings(session, merchant_id)
    row.source_url = str(body.url).rstrip("/") if body.url else None
    row.source_secret = body.secret if body.url else None
    return OrderSourceInfo(url=row.source_url, signed=bool(row.source_secret))
