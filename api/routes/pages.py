"""The web pages: the demo shop with the widget at ``/``, the agent console at
``/console``, the merchant dashboard at ``/dashboard``, and ``/widget.js`` for any page."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

STATIC = Path(__file__).resolve().parents[1] / "static"

router = APIRouter(include_in_schema=False)


def _page(name: str, media_type: str = "text/html; charset=utf-8") -> FileResponse:
    # no-cache: a merchant who upgrades xiaoer gets the new widget on the next page load.
    return FileResponse(STATIC / name, media_type=media_type, headers={"Cache-Control": "no-cache"})


@router.get("/")
def demo_shop() -> FileResponse:
    return _page("demo.html")


@router.get("/console")
def console() -> FileResponse:
    return _page("console.html")


@router.get("/dashboard")
def dashboard() -> FileResponse:
    return _page("dashboard.html")


@router.get("/widget.js")
def widget() -> FileResponse:
    return _page("widget.js", "text/javascript; charset=utf-8")
