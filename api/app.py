"""The FastAPI application."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from bot.turn import ShopAssistant, TurnRequest, TurnResult


def create_app(assistant: ShopAssistant | None = None) -> FastAPI:
    app = FastAPI(title="xiaoer", version="0.1.0", description="Customer-service assistant API.")
    state = {"assistant": assistant}

    def get_assistant() -> ShopAssistant:
        if state["assistant"] is None:
            state["assistant"] = ShopAssistant()
        return state["assistant"]

    @app.exception_handler(ValueError)
    async def _bad_value(_request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse(status_code=400, content={"detail": str(exc)})

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.post("/v1/chat", response_model=TurnResult)
    def chat(request: TurnRequest) -> TurnResult:
        from knowledge import repository
        from xiaoer.db import session_scope

        with session_scope() as session:
            if repository.get_merchant(session, request.merchant_id) is None:
                raise HTTPException(status_code=404, detail=f"unknown merchant {request.merchant_id!r}")
        return get_assistant().handle(request)

    return app
