"""A client for any OpenAI-compatible chat completions server: vLLM, llama.cpp, Ollama, hosted APIs.

Why one client for all of them: they share `POST {base}/chat/completions` with the same request and
response shapes and differ only in how JSON-schema output is asked for, so that one difference is a
setting (`schema_mode`):

- "json_schema" (OpenAI, vLLM, ggml's llama-server, Ollama):
  `{"type": "json_schema", "json_schema": {"name": ..., "schema": ..., "strict": true}}`;
- "json_object" (llama-cpp-python's `llama_cpp.server`, also llama-server):
  `{"type": "json_object", "schema": ...}`.

Retries: 408/429/5xx and connection problems are retried with exponential backoff and jitter (a
`Retry-After` header wins); other 4xx are not, since resending cannot help. Every call obeys one total
deadline, timeout × (retries + 1) plus the backoff, so an unreachable or silent server costs a bounded
time, never a hang. A stream is retried only until its first text arrives (text already handed out
cannot be taken back).

The API key goes only into the Authorization header: it is kept out of `repr`, logs and messages (server
text quoted in an error is scrubbed of it).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from typing import Any, Literal, TypeVar

import httpx

from evidex.llm.protocol import (
    ChatRequest,
    ChatResult,
    ChatStream,
    LLMBadResponse,
    LLMError,
    LLMUnavailable,
    build_result,
    messages_payload,
)

__all__ = ["OpenAICompatibleClient", "SchemaMode"]

log = logging.getLogger(__name__)

SchemaMode = Literal["json_schema", "json_object"]
_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_BODY_BYTES = 32 << 20
_ERROR_BODY_BYTES = 64 << 10
_JITTER = 0.25
"""Backoff waits are stretched by up to this fraction at random, so clients do not retry in lockstep."""

_T = TypeVar("_T")
Clock = Callable[[], float]
Sleep = Callable[[float], None]


class _Retryable(Exception):
    """One attempt failed in a way that another attempt may fix."""

    def __init__(self, error: LLMError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


class OpenAICompatibleClient:
    """Chat completions over HTTP from an OpenAI-compatible server (`base_url` like http://host:8080/v1)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 2,
        backoff: float = 0.5,
        schema_mode: SchemaMode = "json_schema",
        stream_usage: bool = True,
        max_retry_after: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if retries < 0 or backoff < 0:
            raise ValueError("retries and backoff must not be negative")
        if schema_mode not in ("json_schema", "json_object"):
            raise ValueError(f"schema_mode must be json_schema or json_object, not {schema_mode!r}")
        self._base = _parse_base_url(base_url)
        self.base_url = _display_url(self._base)
        self.model = model
        self.name = f"openai:{model}"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.schema_mode: SchemaMode = schema_mode
        self.stream_usage = stream_usage
        self.max_retry_after = max_retry_after
        self.__key = api_key or None
        self._clock = clock
        self._sleep = sleep
        self._http = httpx.Client(transport=transport, follow_redirects=False)

    def __repr__(self) -> str:
        key = ", api_key=***" if self.__key else ""
        return f"OpenAICompatibleClient(base_url={self.base_url!r}, model={self.model!r}{key})"

    @property
    def budget(self) -> float:
        """Most seconds one call may take: every attempt's timeout plus the longest backoff waits."""
        waits = sum(self.backoff * 2.0**n * (1 + _JITTER) for n in range(self.retries))
        return self.timeout * (self.retries + 1) + waits

    # -- public API -------------------------------------------------------------------------------

    def complete(self, request: ChatRequest) -> ChatResult:
        """One whole completion (retried on 429/5xx/connection errors within the deadline)."""
        start = self._clock()
        deadline = start + self.budget
        payload = self._payload(request, stream=False)
        body = self._retrying(
            lambda t: self._fetch_json("POST", "chat/completions", payload, t, deadline), deadline
        )
        text, finish, model = self._parse_completion(body)
        usage = body.get("usage") if isinstance(body, dict) else None
        return build_result(text, usage, request, model or self.model, self._clock() - start, finish)

    def stream(self, request: ChatRequest) -> ChatStream:
        """Text deltas as the server sends them (SSE); the stream's `result` has the counts afterwards."""
        return ChatStream(self._stream(request))

    def list_models(self, timeout: float | None = None) -> list[str]:
        """Model ids the server offers (GET {base}/models): a cheap health check, one attempt, no retries."""
        limit = min(timeout or self.timeout, self.timeout)
        deadline = self._clock() + limit
        body = self._retrying(lambda t: self._fetch_json("GET", "models", None, t, deadline), deadline, 0)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise LLMBadResponse(f"the LLM server at {self.base_url} sent a model list without 'data'")
        return [str(m["id"]) for m in data if isinstance(m, dict) and "id" in m]

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> OpenAICompatibleClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests -----------------------------------------------------------------------------------

    def _payload(self, request: ChatRequest, stream: bool) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": messages_payload(request.messages),
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
        }
        if request.stop:
            payload["stop"] = list(request.stop)
        if request.json_schema is not None:
            schema = dict(request.json_schema)
            if self.schema_mode == "json_schema":
                payload["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": request.schema_name, "schema": schema, "strict": True},
                }
            else:
                payload["response_format"] = {"type": "json_object", "schema": schema}
        if stream:
            payload["stream"] = True
            if self.stream_usage:
                payload["stream_options"] = {"include_usage": True}
        return payload

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json, text/event-stream", "User-Agent": "evidex"}
        if self.__key:
            headers["Authorization"] = f"Bearer {self.__key}"
        return headers

    def _retrying(self, attempt: Callable[[float], _T], deadline: float, retries: int | None = None) -> _T:
        """Run `attempt(timeout)` until it succeeds, retries are spent, or the deadline would be passed."""
        retries = self.retries if retries is None else retries
        for n in range(retries + 1):
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise self._out_of_time()
            try:
                return attempt(min(self.timeout, remaining))
            except _Retryable as retry:
                error = retry.error
                tries = f" (after {n + 1} attempts)" if n else ""
                delay = self._delay(n, retry.retry_after)
                if n == retries or delay is None or self._clock() + delay >= deadline:
                    asked = retry.retry_after
                    wait = f"; it asked to wait {asked:g} s" if asked is not None and n < retries else ""
                    raise type(error)(f"{error}{tries}{wait}") from retry.__cause__
                log.warning("LLM call failed (%s); retry %d of %d in %.2f s", error, n + 1, retries, delay)
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before the next attempt; None when the server asks for longer than we wait."""
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        return self.backoff * 2.0**attempt * (1 + _JITTER * random.random())

    def _open(
        self, method: str, path: str, payload: dict[str, Any] | None, timeout: float, deadline: float
    ) -> httpx.Response:
        """Send one request and return the response, headers read, body not yet; raise on error statuses."""
        url = self._base.join(path)
        request = self._http.build_request(
            method, url, json=payload, headers=self._headers(), timeout=httpx.Timeout(timeout)
        )
        with self._transport_errors(timeout):
            response = self._http.send(request, stream=True)
        try:
            with self._transport_errors(timeout):
                self._check_status(response, payload, deadline)
        except BaseException:
            response.close()
            raise
        return response

    def _fetch_json(
        self, method: str, path: str, payload: dict[str, Any] | None, timeout: float, deadline: float
    ) -> Any:
        response = self._open(method, path, payload, timeout, deadline)
        try:
            with self._transport_errors(timeout):
                raw = self._read(response, deadline, MAX_BODY_BYTES)
        finally:
            response.close()
        return self._decode(raw, "a body")

    def _read(self, response: httpx.Response, deadline: float, limit: int) -> bytes:
        """The whole body, refusing to run past the deadline or past `limit` bytes."""
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise LLMBadResponse(f"the LLM server at {self.base_url} sent more than {limit >> 20} MB")
            if self._clock() > deadline:
                raise self._out_of_time()
        return b"".join(chunks)

    def _check_status(
        self, response: httpx.Response, payload: dict[str, Any] | None, deadline: float
    ) -> None:
        status = response.status_code
        if status < 300:
            return
        try:
            raw = self._read(response, deadline, _ERROR_BODY_BYTES)
        except (LLMError, httpx.HTTPError):
            raw = b""
        said = self._scrub(_server_message(raw) or response.reason_phrase or "no message")
        where = f"the LLM server at {self.base_url} answered HTTP {status}"
        # llama-cpp-python's server answers 500 when it rejects the response_format: not worth a retry.
        rejected_format = bool(payload and "response_format" in payload) and (
            status in (400, 422) or "response_format" in said
        )
        if status in _RETRY_STATUSES and not rejected_format:
            raise _Retryable(LLMUnavailable(f"{where}: {said}"), _retry_after(response.headers))
        hint = ""
        if rejected_format:
            other = "json_object" if self.schema_mode == "json_schema" else "json_schema"
            hint = f"; if the server does not take this response_format, set EVIDEX_LLM_SCHEMA_MODE={other}"
        elif status in (401, 403):
            hint = "; check EVIDEX_LLM_API_KEY"
        elif status == 404:
            hint = f"; check EVIDEX_LLM_BASE_URL (usually ending in /v1) and EVIDEX_LLM_MODEL ({self.model})"
        elif 300 <= status < 400:
            hint = "; check EVIDEX_LLM_BASE_URL (the server redirects it)"
        raise LLMBadResponse(f"{where}: {said}{hint}")

    @contextlib.contextmanager
    def _transport_errors(self, timeout: float) -> Iterator[None]:
        """httpx's transport errors as retryable LLMUnavailable with a message that says what to do."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise _Retryable(
                LLMUnavailable(
                    f"the LLM server at {self.base_url} did not answer within {timeout:.3g} s: check that it "
                    "is running and not overloaded, or raise EVIDEX_LLM_TIMEOUT"
                )
            ) from exc
        except httpx.UnsupportedProtocol as exc:
            raise LLMUnavailable(
                f"cannot use LLM server URL {self.base_url}: check EVIDEX_LLM_BASE_URL (http:// or https://)"
            ) from exc
        except httpx.TransportError as exc:
            reason = self._scrub(str(exc).strip() or type(exc).__name__)[:200]
            raise _Retryable(
                LLMUnavailable(
                    f"cannot reach the LLM server at {self.base_url} ({reason}): start the server or check "
                    "EVIDEX_LLM_BASE_URL"
                )
            ) from exc

    def _out_of_time(self) -> LLMUnavailable:
        return LLMUnavailable(
            f"no complete answer from the LLM server at {self.base_url} within {self.budget:.3g} s "
            f"({self.retries + 1} attempts of EVIDEX_LLM_TIMEOUT={self.timeout:g} s): check the server's "
            "load, or raise EVIDEX_LLM_TIMEOUT"
        )

    # -- responses ----------------------------------------------------------------------------------

    def _decode(self, raw: bytes | str, what: str) -> Any:
        try:
            return json.loads(raw)
        except ValueError:
            text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
            shown = self._scrub(text.strip())[:120]
            raise LLMBadResponse(
                f"the LLM server at {self.base_url} sent {what} that is not JSON: {shown!r}; "
                "check EVIDEX_LLM_BASE_URL points at an OpenAI-compatible API"
            ) from None

    def _parse_completion(self, body: Any) -> tuple[str, str | None, str | None]:
        """(text, finish_reason, model) of a chat completion body; LLMBadResponse when a field is missing."""
        if not isinstance(body, dict):
            raise LLMBadResponse(f"the LLM server at {self.base_url} sent JSON that is not an object")
        if "error" in body:
            said = self._scrub(_one_line(_error_text(body["error"])))
            raise LLMBadResponse(f"the LLM server at {self.base_url} reported an error: {said}")
        choices = body.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            raise LLMBadResponse(f"the LLM server at {self.base_url} sent a completion without 'choices'")
        message = choices[0].get("message")
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, str):
            raise LLMBadResponse(
                f"the LLM server at {self.base_url} sent a completion without choices[0].message.content"
            )
        finish = choices[0].get("finish_reason")
        model = body.get("model")
        return content, finish if isinstance(finish, str) else None, model if isinstance(model, str) else None

    def _stream(self, request: ChatRequest) -> Generator[str, None, ChatResult]:
        start = self._clock()
        deadline = start + self.budget
        payload = self._payload(request, stream=True)
        response = self._retrying(
            lambda t: self._open("POST", "chat/completions", payload, t, deadline), deadline
        )
        parts: list[str] = []
        usage: Mapping[str, Any] | None = None
        finish: str | None = None
        model: str | None = None
        events = 0
        try:
            with self._transport_errors(self.timeout):
                if "text/event-stream" not in response.headers.get("content-type", ""):
                    # A server that ignored `stream: true` and sent one whole completion.
                    body = self._decode(self._read(response, deadline, MAX_BODY_BYTES), "a body")
                    text, finish, model = self._parse_completion(body)
                    usage = body.get("usage")
                    if text:
                        yield text
                    seconds = self._clock() - start
                    return build_result(text, usage, request, model or self.model, seconds, finish)
                for data in _sse_data(response.iter_lines()):
                    if self._clock() > deadline:
                        raise self._out_of_time()
                    if data.strip() == "[DONE]":
                        break
                    chunk = self._decode(data, "a stream event")
                    events += 1
                    if not isinstance(chunk, dict):
                        continue
                    if "error" in chunk:
                        said = self._scrub(_one_line(_error_text(chunk["error"])))
                        raise LLMBadResponse(f"the LLM server at {self.base_url} reported an error: {said}")
                    if isinstance(chunk.get("usage"), dict):
                        usage = chunk["usage"]
                    if isinstance(chunk.get("model"), str):
                        model = chunk["model"]
                    for choice in chunk.get("choices") or ():
                        if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                            continue
                        delta = choice.get("delta")
                        content = delta.get("content") if isinstance(delta, dict) else None
                        if isinstance(content, str) and content:
                            parts.append(content)
                            yield content
                        if isinstance(choice.get("finish_reason"), str):
                            finish = choice["finish_reason"]
        except _Retryable as failed:
            raise failed.error from failed.__cause__
        finally:
            response.close()
        if not events:
            raise LLMBadResponse(f"the LLM server at {self.base_url} ended the stream without any event")
        seconds = self._clock() - start
        return build_result("".join(parts), usage, request, model or self.model, seconds, finish)

    def _scrub(self, text: str) -> str:
        """Text with the API key and any bearer token blanked out (a short key only as a whole word)."""
        key = self.__key
        if key and len(key) >= 8:
            text = text.replace(key, "***")
        elif key:
            text = re.sub(rf"(?<![\w-]){re.escape(key)}(?![\w-])", "***", text)
        return _BEARER.sub("Bearer ***", text)


_BEARER = re.compile(r"(?i)bearer\s+[^\s\"',;]+")


def _parse_base_url(base_url: str) -> httpx.URL:
    try:
        url = httpx.URL(base_url.strip())
    except (httpx.InvalidURL, TypeError) as exc:
        raise LLMUnavailable(
            "EVIDEX_LLM_BASE_URL is not a valid URL (like http://127.0.0.1:8080/v1)"
        ) from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise LLMUnavailable(
            "EVIDEX_LLM_BASE_URL must be an http:// or https:// URL such as http://127.0.0.1:8080/v1"
        )
    # A trailing slash makes `join("chat/completions")` append to the path instead of replacing its end.
    return url.copy_with(path=url.path.rstrip("/") + "/", query=None, fragment=None)


def _display_url(url: httpx.URL) -> str:
    """The base URL without credentials, for messages."""
    port = f":{url.port}" if url.port else ""
    return f"{url.scheme}://{url.host}{port}{url.path.rstrip('/')}"


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `Retry-After` seconds or HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis:
        with contextlib.suppress(ValueError):
            return max(0.0, float(millis) / 1000)
    value = headers.get("retry-after")
    if not value:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_message(raw: bytes) -> str:
    """The server's own error text: OpenAI `error.message`, Ollama `error`, FastAPI `detail`, or the body."""
    text = raw.decode("utf-8", "replace").strip()
    try:
        body = json.loads(text)
    except ValueError:
        return _one_line(text)
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if key in body:
                return _one_line(_error_text(body[key]))
    return _one_line(text)


def _one_line(text: str, limit: int = 300) -> str:
    """Server text as one short line (messages are one line; tracebacks in error bodies are not)."""
    return " ".join(text.split())[:limit]


def _error_text(error: Any) -> str:
    if isinstance(error, dict):
        for key in ("message", "msg", "detail"):
            value = error.get(key)
            if isinstance(value, str):
                return value
    if isinstance(error, list) and error:
        return "; ".join(_error_text(e) for e in error[:3])
    return " ".join(str(error).split())


def _sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The `data` of each server-sent event (multi-line data joined by newlines; comments skipped)."""
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        if name == "data":
            data.append(value[1:] if value.startswith(" ") else value)
    if data:
        yield "\n".join(data)
