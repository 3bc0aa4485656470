"""The CLI's way to a running xiaoer server: `xiaoer ask` sends its turn there when one
answers, instead of loading the models itself (seconds) for one question.

Only httpx is imported here: the point is a CLI that answers in a fraction of a second,
so nothing on this path may pull in the embedders, Chroma or even the settings."""

from __future__ import annotations

import os

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
SERVICE = "xiaoer"  # what /healthz names, so another program on the port is not mistaken for one
PROBE_TIMEOUT = 0.3  # seconds: a local server answers /healthz in a few ms
TURN_TIMEOUT = 120.0  # a server that is still loading its models takes seconds for its first turn


class ServerError(Exception):
    """The server refused the turn (4xx) or could not be reached; the message says which."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _needs_tls(url: str) -> bool:
    """Certificates are checked for https; for plain http httpx is told not to load the CA
    store, which costs ~0.1 s per client and would be a fifth of the command's time."""
    return url.lower().startswith("https://")


def answers(url: str) -> bool:
    """True when a xiaoer server answers /healthz at URL within PROBE_TIMEOUT."""
    try:
        response = httpx.get(f"{url.rstrip('/')}/healthz", timeout=PROBE_TIMEOUT, verify=_needs_tls(url))
        return response.status_code == 200 and response.json().get("service") == SERVICE
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def server_url(default: str = DEFAULT_URL) -> str | None:
    """The server to use: XIAOER_URL when set (``off`` = none, run in this process), else
    DEFAULT if a xiaoer server answers there, else None. Read from the environment directly,
    not through Settings, whose import alone costs a fifth of a second."""
    configured = os.environ.get("XIAOER_URL", "").strip()
    if configured.lower() == "off":
        return None
    if configured:
        return configured.rstrip("/")
    return default if answers(default) else None


def post_turn(url: str, body: dict) -> dict:
    """POST one turn to the server's /v1/chat; its TurnResult as a dict."""
    try:
        response = httpx.post(f"{url}/v1/chat", json=body, timeout=TURN_TIMEOUT, verify=_needs_tls(url))
    except httpx.HTTPError as exc:
        raise ServerError(f"no xiaoer server answered at {url} ({exc}); set XIAOER_URL=off to run in this process") from exc
    if response.status_code != 200:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise ServerError(f"{url}: {detail}", status=response.status_code)
    return response.json()
