"""One settings object for the whole project, read from the environment.

Everything defaults to something that runs offline under ``XIAOER_HOME``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XIAOER_", extra="ignore", populate_by_name=True)

    home: Path = Field(default=Path(".xiaoer"), description="Data directory: database, Chroma files, model cache.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "XIAOER_DATABASE_URL"),
        description="SQLAlchemy URL; defaults to SQLite under home.",
    )
    db_timeout: float = Field(
        default=30.0, gt=0,
        description="Seconds a statement waits for another writer's lock (and, on Postgres, for a pooled "
        "connection) before the request fails with 503.",
    )
    db_statement_timeout: float = Field(
        default=30.0, gt=0, description="Postgres: seconds one statement may run before it is cancelled (503)."
    )
    db_connect_timeout: float = Field(
        default=5.0, gt=0, description="Postgres: seconds to wait for a new connection before the request fails (503)."
    )
    db_pool_size: int = Field(
        default=10, ge=1,
        description="Postgres: connections each process keeps open; db_max_overflow more are opened under load.",
    )
    db_max_overflow: int = Field(default=10, ge=0)
    chroma_host: str | None = Field(default=None, validation_alias=AliasChoices("CHROMA_HOST", "XIAOER_CHROMA_HOST"))
    chroma_port: int = Field(default=8000, validation_alias=AliasChoices("CHROMA_PORT", "XIAOER_CHROMA_PORT"))
    vectors_in_memory: bool = Field(
        default=False,
        description="With a Chroma server: search each merchant's vectors from memory, loaded from the server at "
        "each knowledge-version check (no HTTP query per search; a server outage or a vector lost in it shows at "
        "the next check, not at once). The embedded store always does.",
    )
    chroma_prefix: str = Field(
        default="xiaoer", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",
        description="Starts every Chroma collection name and Redis key: deployments sharing one Chroma or Redis "
        "server each use their own.",
    )
    redis_url: str | None = Field(
        default=None,
        description="redis://host:port/db: live messages reach shopper sockets on every host at once, and rate "
        "limits are counted together; unset = each process polls SQL and counts alone.",
    )

    embedder: str = Field(default="use", description="'use' (multilingual USE v3), 'minilm', or 'st:<path>'.")
    st_model_path: Path | None = Field(default=None, description="Sentence-transformers model folder for 'st'.")
    english_embedder: str | None = Field(
        default="minilm",
        description="A second embedder ('minilm' or 'st:<path>') the answerer consults on English questions "
        "USE leaves open; '' = off (saves ~400 MiB a process and a few ms on those turns).",
    )

    # Retrieval and answering.
    top_k: int = 8
    rrf_k: int = 60
    # 0.7: on shops the answerability model never saw, answers between 0.5 and 0.7 were right
    # about half the time (4 held-out shops); a merchant may choose lower in the policy.
    answer_threshold: float = Field(default=0.7, description="Below this confidence the bot hands off (a shop's policy may set its own).")
    weak_answer_threshold: float = Field(
        default=0.6, description="Answers below this count as low-confidence; two in a row escalate."
    )
    repeat_similarity: float = Field(
        default=0.92, description="A shopper message this similar to one of their last three is a repeat (escalates)."
    )

    # Web API.
    admin_token: str | None = Field(default=None, description="Bearer token for creating merchants; unset = disabled.")
    cors_origins: list[str] = Field(
        default=["*"], description="Origins whose pages may call the shopper API (the widget on a shop's own site)."
    )

    api_threads: int | None = Field(
        default=None,
        ge=1,
        description="Threads running turns and other blocking calls per API process; unset = 2, or 32 with an LLM.",
    )
    rate_limit_per_ip: str = Field(
        default="120/minute",
        description="Shopper turns, offer clicks and ratings per client IP, e.g. '120/minute' or '10/second'; 0 = off.",
    )
    rate_limit_per_session: str = Field(
        default="30/minute",
        description="The same per conversation (per client IP for a message that starts one); 0 = off.",
    )

    # Privacy.
    retention_days: int | None = Field(
        default=None, ge=0, description="`xiaoer purge` deletes conversations idle this long; unset = keep everything."
    )

    # Ingestion limits.
    max_upload_bytes: int = 20 * 1024 * 1024
    max_upload_files: int = Field(
        default=20, ge=1,
        description="Files per knowledge upload. A request bigger than this many files of max_upload_bytes "
        "is refused (413) as it arrives, before it is stored anywhere.",
    )

    # Optional LLM (any OpenAI-compatible endpoint).
    openai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"))
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = 20.0

    @field_validator("rate_limit_per_ip", "rate_limit_per_session")
    @classmethod
    def _rate_limit(cls, value: str) -> str:
        value = str(value).strip()
        if value.lower() in ("", "0", "off", "none"):
            return "0"
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"rate limit {value!r}: expected e.g. '120/minute', '10/second' or 0 to turn it off") from exc
        return value

    @property
    def llm_enabled(self) -> bool:
        return bool(self.openai_api_key)

    @property
    def threads(self) -> int:
        # Offline a turn is CPU-bound Python: more threads than cores only fight over the GIL
        # and, holding SQLite's write lock meanwhile, time each other out (bench/load.py).
        # An LLM call is a wait, so then many.
        return self.api_threads or (32 if self.llm_enabled else 2)

    @property
    def max_upload_request_bytes(self) -> int:
        return self.max_upload_files * self.max_upload_bytes + 64 * 1024  # and the multipart headers

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'xiaoer.db').resolve()}"

    @property
    def chroma_path(self) -> Path:
        return self.home / "chroma"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and the CLI change the environment)."""
    get_settings.cache_clear()
