"""``GET /v1/labels``: the names the console and the dashboard show for the API's codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from handoff.labels import Lang, labels

router = APIRouter(prefix="/v1", tags=["labels"])


@router.get("/labels", response_model=dict[str, dict[str, str]])
def get_labels(response: Response, lang: Annotated[Lang, Query(description="zh or en.")] = "zh") -> dict[str, dict[str, str]]:
    """Every label table in one language: ``{table: {code: label}}`` (no key needed: nothing in it is private)."""
    response.headers["Cache-Control"] = "no-cache"
    return labels(lang)
