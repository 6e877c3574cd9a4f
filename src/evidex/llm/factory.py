"""Build the configured chat model from settings: no provider is hard-wired anywhere else.

Backends load lazily: httpx for "openai", llama-cpp-python (and the bundled model) for "local", so the
default, "none", costs nothing and extractive answers need neither.
"""

from __future__ import annotations

from pathlib import Path

from evidex.llm.protocol import ChatModel
from evidex.settings import Settings

__all__ = ["load_chat_model"]


def load_chat_model(settings: Settings) -> ChatModel | None:
    """The chat model `settings.llm_backend` names, or None for "none"; LLMUnavailable if it cannot be set up.

    Nothing is contacted here: an HTTP server is first called on the first request (use
    `list_models()` as a health check), and a local model file is checked but loaded on first use.
    """
    backend = settings.llm_backend
    if backend == "none":
        return None
    if backend == "openai":
        from evidex.llm.openai_http import OpenAICompatibleClient

        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key is not None else None
        return OpenAICompatibleClient(
            base_url=settings.llm_base_url,
            model=settings.llm_model,
            api_key=key,
            timeout=settings.llm_timeout,
            retries=settings.llm_retries,
            schema_mode=settings.llm_schema_mode,
        )
    if backend == "local":
        from evidex.llm.llamacpp_local import LocalLlamaClient

        if settings.llm_model_path.strip().lower() == "bundled":
            from evidex.llm.bundled import bundled_model_path

            path = bundled_model_path()
        else:
            path = Path(settings.llm_model_path).expanduser()
        return LocalLlamaClient(path)
    raise ValueError(f"unknown LLM backend {backend!r}")  # pragma: no cover - settings validate it
