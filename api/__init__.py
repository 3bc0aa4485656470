"""The HTTP layer: thin FastAPI routers over the bot, knowledge and handoff services."""
