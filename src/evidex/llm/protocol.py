"""The one small protocol every LLM backend speaks: chat completion, optionally JSON-schema constrained.

Why so small: the answer composer needs exactly three things from a model — a whole completion, the same
as a stream of text deltas, and token counts for cost and speed reporting — and each backend
(OpenAI-compatible HTTP servers, llama.cpp in process) can give them with little code. Records are frozen
dataclasses so that a request can be logged, cached or retried without surprises.

Errors are `LLMError`s whose message is one line that says what happened and what to do; no message
ever contains an API key.
"""

from __future__ import annotations

import json
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

__all__ = [
    "ChatMessage",
    "ChatModel",
    "ChatRequest",
    "ChatResult",
    "ChatStream",
    "LLMBadResponse",
    "LLMError",
    "LLMUnavailable",
    "Role",
    "estimate_tokens",
]

Role = Literal["system", "user", "assistant"]


class LLMError(Exception):
    """An LLM call failed; the message is one line, says what to do, and never contains a key."""


class LLMUnavailable(LLMError):
    """The model cannot be reached or loaded (refused, DNS, timeout, 5xx, missing file or runtime)."""


class LLMBadResponse(LLMError):
    """The model answered, but not usably: a 4xx (with the server's message), a non-JSON body, no text."""


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion; with `json_schema` the backend constrains the output to JSON of that schema."""

    messages: Sequence[ChatMessage]
    json_schema: Mapping[str, Any] | None = None
    max_tokens: int = 512
    temperature: float = 0.0
    stop: Sequence[str] = ()
    schema_name: str = "answer"
    """Name sent with the schema where the API wants one (OpenAI's `json_schema.name`)."""

    def __post_init__(self) -> None:
        if not self.messages:
            raise ValueError("a chat request needs at least one message")
        if self.max_tokens < 1:
            raise ValueError("max_tokens must be at least 1")


@dataclass(frozen=True)
class ChatResult:
    """What a completion produced, with token counts and wall-clock seconds."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    model: str
    seconds: float
    finish_reason: str | None = None
    usage_estimated: bool = False
    """True when the backend reported no usage and the counts are len(text) // 4 estimates."""

    @property
    def tokens_per_second(self) -> float:
        """Completion tokens per second of wall time (prompt processing included)."""
        return self.completion_tokens / self.seconds if self.seconds > 0 else 0.0

    def json(self) -> Any:
        """The text parsed as JSON (what a schema-constrained request gives); LLMBadResponse if it is not."""
        try:
            return json.loads(self.text)
        except ValueError as exc:
            cut = "" if self.finish_reason != "length" else " (the output was cut at max_tokens)"
            raise LLMBadResponse(f"the model's output is not valid JSON{cut}: {self.text[:120]!r}") from exc


class ChatStream(Iterator[str]):
    """Text deltas of a streamed completion; `result` holds the whole ChatResult once the stream is spent.

    A stream object of its own (rather than a `last_usage` field on the client) keeps one client safe to
    share between threads: every stream carries its own result.
    """

    def __init__(self, deltas: Generator[str, None, ChatResult]) -> None:
        self._deltas = deltas
        self.result: ChatResult | None = None

    def __iter__(self) -> ChatStream:
        return self

    def __next__(self) -> str:
        try:
            return next(self._deltas)
        except StopIteration as stop:
            self.result = stop.value
            raise

    def close(self) -> None:
        """Stop early and release the connection or the model."""
        self._deltas.close()

    def collect(self) -> ChatResult:
        """Read the rest of the stream and return the result (what `complete` would have returned)."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result


@runtime_checkable
class ChatModel(Protocol):
    """A chat model: whole completions, streamed completions, and a name for provenance."""

    name: str

    def complete(self, request: ChatRequest) -> ChatResult: ...

    def stream(self, request: ChatRequest) -> ChatStream: ...


def estimate_tokens(text: str) -> int:
    """About four characters a token: good enough for reporting when a backend gives no usage."""
    return len(text) // 4


def messages_payload(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    """Messages in the OpenAI wire shape both backends take."""
    return [{"role": m.role, "content": m.content} for m in messages]


def build_result(
    text: str,
    usage: Mapping[str, Any] | None,
    request: ChatRequest,
    model: str,
    seconds: float,
    finish_reason: str | None,
) -> ChatResult:
    """A ChatResult from a backend's text and `usage` object, estimating counts the backend left out."""
    prompt = _count(usage, "prompt_tokens")
    completion = _count(usage, "completion_tokens")
    estimated = prompt is None or completion is None
    if prompt is None:
        prompt = sum(estimate_tokens(m.content) for m in request.messages)
    if completion is None:
        completion = estimate_tokens(text)
    return ChatResult(
        text=text,
        prompt_tokens=prompt,
        completion_tokens=completion,
        model=model,
        seconds=seconds,
        finish_reason=finish_reason,
        usage_estimated=estimated,
    )


def _count(usage: Mapping[str, Any] | None, key: str) -> int | None:
    if not isinstance(usage, Mapping):
        return None
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
