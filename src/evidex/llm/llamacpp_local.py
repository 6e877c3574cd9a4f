"""A GGUF model run in process by llama.cpp (llama-cpp-python): generation with no server at all.

Why in process: on one laptop with no network, starting and supervising a server is one more thing to go
wrong; llama-cpp-python loads the file and speaks the same chat-completion shapes as the HTTP servers,
JSON-schema constraint included (it compiles the schema to a grammar).

The runtime is optional and imported only when the model is first used; the file is checked at
construction (it exists and starts with the GGUF magic), so a wrong path fails at once with its name.
A llama.cpp context is not thread-safe: calls on one client take turns (a lock), and a stream holds the
lock until it is read to the end or closed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

from evidex.llm.protocol import (
    ChatRequest,
    ChatResult,
    ChatStream,
    LLMBadResponse,
    LLMUnavailable,
    build_result,
    estimate_tokens,
    messages_payload,
)

__all__ = ["GGUF_MAGIC", "LocalLlamaClient", "check_gguf"]

GGUF_MAGIC = b"GGUF"


def check_gguf(path: Path) -> None:
    """LLMUnavailable naming `path` unless it is a readable file that starts with the GGUF magic."""
    if not path.is_file():
        raise LLMUnavailable(
            f"no model file at {path}: check EVIDEX_LLM_MODEL_PATH (a .gguf file, or 'bundled')"
        )
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as exc:
        raise LLMUnavailable(f"cannot read the model file {path}: {exc.strerror or exc}") from exc
    if magic != GGUF_MAGIC:
        raise LLMUnavailable(
            f"{path} is not a GGUF model file (it does not start with b'GGUF'): check EVIDEX_LLM_MODEL_PATH"
        )


class LocalLlamaClient:
    """Chat completions from a local GGUF file through llama-cpp-python, loaded once on first use."""

    def __init__(
        self,
        model_path: str | Path,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int = 0,
    ) -> None:
        self.model_path = Path(model_path).expanduser()
        check_gguf(self.model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.name = f"local:{self.model_path.name}"
        self._llama: Any = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"LocalLlamaClient(model_path={str(self.model_path)!r}, n_ctx={self.n_ctx})"

    def load(self) -> Any:
        """The llama_cpp.Llama object, loading it the first time (seconds; later calls are free)."""
        with self._lock:
            if self._llama is None:
                check_gguf(self.model_path)
                try:
                    import llama_cpp
                except ImportError as exc:
                    raise LLMUnavailable(
                        "the local LLM backend needs llama-cpp-python: pip install llama-cpp-python "
                        "(or set EVIDEX_LLM_BACKEND=openai and point EVIDEX_LLM_BASE_URL at a server)"
                    ) from exc
                try:
                    self._llama = llama_cpp.Llama(
                        model_path=str(self.model_path),
                        n_ctx=self.n_ctx,
                        n_threads=self.n_threads,
                        seed=self.seed,
                        verbose=False,
                    )
                except (ValueError, RuntimeError, OSError) as exc:
                    raise LLMUnavailable(f"llama.cpp could not load {self.model_path}: {exc}") from exc
            return self._llama

    def complete(self, request: ChatRequest) -> ChatResult:
        """One whole completion."""
        with self._lock:
            llama = self.load()
            start = time.monotonic()
            try:
                out = llama.create_chat_completion(**self._arguments(request, stream=False))
            except (ValueError, RuntimeError) as exc:
                raise LLMBadResponse(f"llama.cpp failed on {self.model_path.name}: {exc}") from exc
            seconds = time.monotonic() - start
        try:
            choice = out["choices"][0]
            text = choice["message"]["content"] or ""
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMBadResponse(f"llama.cpp returned a completion without text ({exc!r})") from exc
        return build_result(text, out.get("usage"), request, self.name, seconds, choice.get("finish_reason"))

    def stream(self, request: ChatRequest) -> ChatStream:
        """Text deltas as llama.cpp produces them; the stream's `result` has the counts afterwards."""
        return ChatStream(self._stream(request))

    def _stream(self, request: ChatRequest) -> Generator[str, None, ChatResult]:
        with self._lock:
            llama = self.load()
            start = time.monotonic()
            parts: list[str] = []
            finish: str | None = None
            chunks = llama.create_chat_completion(**self._arguments(request, stream=True))
            try:
                for chunk in chunks:
                    choice = (chunk.get("choices") or [{}])[0]
                    content = (choice.get("delta") or {}).get("content")
                    if content:
                        parts.append(content)
                        yield content
                    finish = choice.get("finish_reason") or finish
            except (ValueError, RuntimeError) as exc:
                raise LLMBadResponse(f"llama.cpp failed on {self.model_path.name}: {exc}") from exc
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
            seconds = time.monotonic() - start
            text = "".join(parts)
            usage = self._stream_usage(llama, text, len(parts), finish)
        return build_result(text, usage, request, self.name, seconds, finish)

    def _stream_usage(self, llama: Any, text: str, deltas: int, finish: str | None) -> dict[str, int] | None:
        """Counts for a stream (llama-cpp-python sends none), from the context length it leaves behind.

        Each streamed delta is one sampled token, and `n_tokens` is the evaluated context: the prompt, the
        completion and, after a "stop", the end token; after "length" the last token is not evaluated.
        (Checked against `complete`'s usage with llama-cpp-python 0.3.36.) None when it does not add up.
        """
        total = getattr(llama, "n_tokens", None)
        if not isinstance(total, int) or deltas == 0 or deltas < estimate_tokens(text) // 4:
            return None
        prompt = total - deltas + (1 if finish == "length" else 0)
        if prompt <= 0:
            return None
        return {"prompt_tokens": prompt, "completion_tokens": deltas}

    def _arguments(self, request: ChatRequest, stream: bool) -> dict[str, Any]:
        schema = request.json_schema
        response_format = {"type": "json_object", "schema": dict(schema)} if schema is not None else None
        return {
            "messages": messages_payload(request.messages),
            "response_format": response_format,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stop": list(request.stop) or None,
            "seed": self.seed,
            "stream": stream,
        }
