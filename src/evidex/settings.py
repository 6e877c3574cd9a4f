"""One settings tree for Evidex, read from EVIDEX_* environment variables (and .env), with defaults."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_LIBRARY = Path.home() / ".local" / "share" / "evidex" / "library"


def _default_data_dir() -> Path:
    """`../shared/data` beside the working directory, else beside the project checkout."""
    candidates = [
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[3] / "shared" / "data",
    ]
    return next((c for c in candidates if c.is_dir()), candidates[0])


class Settings(BaseSettings):
    """Where the library lives and where the sample data is read from."""

    model_config = SettingsConfigDict(env_prefix="EVIDEX_", env_file=".env", extra="ignore")

    library: Path = Field(
        default=DEFAULT_LIBRARY,
        description="Folder of the evidence library (records database and indexes).",
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="The shared sample data folder (holds corpus/ and eval/).",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the records database; default: SQLite inside the library.",
    )
    ingest_batch: int = Field(
        default=500,
        ge=1,
        le=100_000,
        description="Documents written per transaction during ingest (a kill loses at most one).",
    )
    rate_limit: int = Field(
        default=60,
        ge=0,
        le=1_000_000,
        description="Answers and searches per minute one web client may request (0: no limit).",
    )
    signoffs_required: int = Field(
        default=2,
        ge=1,
        le=20,
        description="Reviewer sign-offs an article version needs before it is approved.",
    )
    max_request_bytes: int = Field(
        default=16_384,
        ge=1_024,
        le=10_000_000,
        description="Largest request body the web app accepts; larger ones get 413.",
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit command-line values taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
