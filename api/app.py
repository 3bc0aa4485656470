"""The FastAPI application: thin routers over bot/, knowledge/ and handoff/."""

from __future__ import annotations

import threading
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from fastapi.staticfiles import StaticFiles

from api.errors import JsonBodyLimit, install_error_handlers
from api.ratelimit import RateLimiter
from api.routes import agents, chat, labels, live, loop, merchants, orders, pages, photos, team
from bot.turn import ShopAssistant
from xiaoer.livebus import LiveBus
from xiaoer.privacy import install_log_filter
from xiaoer.settings import Settings, get_settings

# Every request body but a merchant's upload: a shopper's turn is a few KB even at the
# message limit; a bigger body is refused (413) as it arrives instead of read whole.
MAX_REQUEST_BYTES = 1024 * 1024


def create_app(assistant: ShopAssistant | None = None, settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # No log line carries a shopper's phone, ID, card, e-mail or address (uvicorn has
    # configured its handlers by the time it calls this factory).
    install_log_filter()

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        # Sync routes and the WebSocket's turns run in this pool (anyio's default is 40).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        bus = None
        if settings.redis_url:
            bus = LiveBus(settings.redis_url, settings.chroma_prefix)
            bus.start()
        _app.state.live_bus = bus
        yield
        if bus is not None:
            await bus.stop()

    # FastAPIOffline: /docs loads Swagger UI from files the package ships, not from a CDN,
    # so the API docs work with no internet. No /redoc: its bundle still fetches a logo
    # from the CDN, and Swagger UI shows the same schema.
    app = FastAPIOffline(
        redoc_url=None,
        title="xiaoer", version="0.1.0", description="Customer-service assistant API (店小蜜-style).", lifespan=lifespan,
    )
    lock = threading.Lock()
    holder: dict[str, ShopAssistant | None] = {"assistant": assistant}

    def get() -> ShopAssistant:
        # Built on first use (loading the embedder takes seconds), once, under a lock.
        if holder["assistant"] is None:
            with lock:
                if holder["assistant"] is None:
                    holder["assistant"] = ShopAssistant()
        return holder["assistant"]

    app.state.assistant = get
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    # The widget runs on the merchant's own site. Credentials never travel by cookie, and
    # the merchant / agent headers are not allowed cross-origin: only shopper calls are.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["content-type"],
        expose_headers=["retry-after"],
        allow_credentials=False,
    )
    install_error_handlers(app)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict:
        return {"status": "ok", "service": "xiaoer"}  # `xiaoer ask` looks for this

    app.include_router(chat.router)
    app.include_router(
        merchants.router,
        max_body_size=settings.max_upload_request_bytes,
        form_limits={"max_files": settings.max_upload_files},
    )
    app.include_router(orders.router)
    app.include_router(photos.router, max_body_size=photos.MAX_PHOTO_REQUEST_BYTES, form_limits={"max_files": 1})
    app.include_router(agents.router)
    app.include_router(loop.router)
    app.include_router(live.router)
    app.include_router(labels.router)
    app.include_router(team.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    # The app-wide body limit as a middleware of ours (not FastAPI's max_body_size, which sits
    # outside every user middleware), so that JsonBodyLimit, added last and so outermost, sees
    # its 413 as well as the upload router's.
    app.add_middleware(RequestBodyLimitMiddleware, max_body_size=MAX_REQUEST_BYTES)
    app.add_middleware(JsonBodyLimit)
    return app
