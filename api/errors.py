"""Every error leaves the API as JSON ``{"detail": "..."}`` with the right 4xx: domain
exceptions are mapped here once, so routers just raise them. A database or vector store
that cannot be reached is a 503 with Retry-After: the request changed nothing."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from api.ratelimit import RateLimited
from bot.conversations import ConversationNotFound
from bot.orders import OrderImportError
from bot.recovery import PolicyError
from handoff.qa import QaRulesError
from bot.turn import UnknownMerchant
from handoff.service import Conflict, NotFound
from knowledge.service import IngestBatchError
from retrieval.vector_store import VectorStoreUnavailable

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5  # a lock held by another writer, or Chroma restarting
DATABASE_UNAVAILABLE = "the database is unavailable; nothing was saved, please retry shortly"
VECTOR_STORE_UNAVAILABLE = (
    "the vector store is unavailable; nothing was changed (no document was ingested or deleted), please retry shortly"
)


def _json(status: int, detail, **extra) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail, **extra})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RateLimited)
    async def _rate_limited(_r: Request, exc: RateLimited) -> JSONResponse:
        return JSONResponse(status_code=429, content={"detail": exc.detail}, headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(UnknownMerchant)
    async def _unknown_merchant(_r: Request, exc: UnknownMerchant) -> JSONResponse:
        return _json(404, str(exc))

    @app.exception_handler(ConversationNotFound)
    async def _no_conversation(_r: Request, exc: ConversationNotFound) -> JSONResponse:
        return _json(404, f"unknown conversation {exc.args[0]!r}")

    @app.exception_handler(NotFound)
    async def _no_ticket(_r: Request, exc: NotFound) -> JSONResponse:
        return _json(404, str(exc))

    @app.exception_handler(Conflict)
    async def _ticket_conflict(_r: Request, exc: Conflict) -> JSONResponse:
        return _json(409, str(exc))

    @app.exception_handler(IngestBatchError)
    async def _bad_upload(_r: Request, exc: IngestBatchError) -> JSONResponse:
        return _json(
            413 if len(exc.errors) == 1 and exc.errors[0].too_large else 422,
            "nothing was ingested: " + "; ".join(f"{e.name}: {e.reason}" for e in exc.errors),
            errors=[{"file": e.name, "reason": e.reason} for e in exc.errors],
        )

    @app.exception_handler(PolicyError)
    @app.exception_handler(QaRulesError)
    async def _bad_policy(_r: Request, exc: PolicyError | QaRulesError) -> JSONResponse:
        return _json(422, str(exc))

    @app.exception_handler(OrderImportError)
    async def _bad_orders(_r: Request, exc: OrderImportError) -> JSONResponse:
        return _json(422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _malformed(_r: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'body'}: {e['msg']}" for e in exc.errors()
        )
        return _json(422, f"invalid request: {problems}")

    @app.exception_handler(ValueError)
    async def _bad_value(_r: Request, exc: ValueError) -> JSONResponse:
        return _json(400, str(exc))

    @app.exception_handler(OperationalError)
    async def _database_down(_r: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable: %s", exc.orig if exc.orig is not None else exc.__class__.__name__)
        return _unavailable(DATABASE_UNAVAILABLE)

    @app.exception_handler(PoolTimeout)
    async def _pool_exhausted(_r: Request, exc: PoolTimeout) -> JSONResponse:
        log.error("no database connection free: %s", exc)
        return _unavailable(DATABASE_UNAVAILABLE)

    @app.exception_handler(IntegrityError)
    async def _conflict(_r: Request, exc: IntegrityError) -> JSONResponse:
        # Two requests creating the same record at once (e.g. uploads of one file name): the
        # loser's transaction rolled back whole, so a retry is safe.
        log.warning("conflicting concurrent write: %s", exc.orig)
        return _json(409, "a concurrent request changed the same record; nothing from this request was saved, please retry")

    @app.exception_handler(VectorStoreUnavailable)
    async def _vector_store_down(_r: Request, exc: VectorStoreUnavailable) -> JSONResponse:
        log.error("%s", exc)
        return _unavailable(VECTOR_STORE_UNAVAILABLE)


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": detail}, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


class JsonBodyLimit:
    """Starlette's request-body limit answers 413 in plain text ("Content Too Large");
    every API error is JSON with a message, so that one is rewritten, naming the limit."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rewrite = False

        async def send_json(message) -> None:
            nonlocal rewrite
            if message["type"] == "http.response.start" and message["status"] == 413:
                rewrite = dict(message.get("headers", [])).get(b"content-type", b"").startswith(b"text/plain")
                if rewrite:
                    return  # sent with the body, once its length is known
            if rewrite and message["type"] == "http.response.body":
                limit = scope.get("starlette.max_body_size")
                detail = f"request body too large: the limit is {limit:,} bytes" if limit else "request body too large"
                await _json(413, detail)(scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, send_json)
