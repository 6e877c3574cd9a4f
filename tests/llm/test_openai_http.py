"""OpenAICompatibleClient against a stub OpenAI-compatible server on 127.0.0.1 (real sockets, real timing)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest

from evidex.llm import ChatMessage, ChatModel, ChatRequest, LLMBadResponse, LLMError, LLMUnavailable
from evidex.llm.factory import load_chat_model
from evidex.llm.openai_http import OpenAICompatibleClient, _sse_data
from evidex.settings import Settings
from openai_stub import Reply, Stub, closed_port, completion

KEY = "sk-test-0123456789abcdef-SECRET"
SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["yes", "no", "unclear"]}},
    "required": ["verdict"],
    "additionalProperties": False,
}
QUESTION = ChatRequest(
    messages=[
        ChatMessage("system", "Answer from the evidence only."),
        ChatMessage("user", "Is aciclovir first-line for genital herpes?"),
    ],
    max_tokens=64,
)


def client(stub: Stub, **kwargs: Any) -> OpenAICompatibleClient:
    options: dict[str, Any] = {"timeout": 5.0, "retries": 2, "backoff": 0.05}
    options.update(kwargs)
    return OpenAICompatibleClient(stub.url, "stub-model", **options)


# -- completions ------------------------------------------------------------------------------------


def test_completion_with_usage(stub: Stub) -> None:
    stub.replies = [Reply(body=completion("Yes [1].", {"prompt_tokens": 31, "completion_tokens": 4}))]
    with client(stub) as llm:
        assert isinstance(llm, ChatModel)
        result = llm.complete(QUESTION)
    assert result.text == "Yes [1]."
    assert (result.prompt_tokens, result.completion_tokens) == (31, 4)
    assert not result.usage_estimated
    assert result.model == "stub-model" and result.finish_reason == "stop"
    assert 0 < result.seconds < 5
    sent = stub.received[0]
    assert (sent.method, sent.path) == ("POST", "/v1/chat/completions")
    assert sent.body["model"] == "stub-model"
    assert sent.body["messages"][1] == {"role": "user", "content": QUESTION.messages[1].content}
    assert sent.body["max_tokens"] == 64 and sent.body["temperature"] == 0.0
    assert "response_format" not in sent.body and "stream" not in sent.body


def test_usage_estimated_when_server_sends_none(stub: Stub) -> None:
    stub.replies = [Reply(body=completion("x" * 40))]
    result = client(stub).complete(QUESTION)
    assert result.usage_estimated
    assert result.completion_tokens == 10
    assert result.prompt_tokens == sum(len(m.content) // 4 for m in QUESTION.messages)


def test_json_schema_mode_request_body(stub: Stub) -> None:
    stub.replies = [Reply(body=completion('{"verdict": "yes"}'))]
    request = ChatRequest(QUESTION.messages, json_schema=SCHEMA, stop=["\n\n"])
    result = client(stub).complete(request)
    assert result.json() == {"verdict": "yes"}
    body = stub.received[0].body
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "answer", "schema": SCHEMA, "strict": True},
    }
    assert body["stop"] == ["\n\n"]


def test_json_object_mode_request_body(stub: Stub) -> None:
    stub.replies = [Reply(body=completion('{"verdict": "no"}'))]
    request = ChatRequest(QUESTION.messages, json_schema=SCHEMA)
    client(stub, schema_mode="json_object").complete(request)
    assert stub.received[0].body["response_format"] == {"type": "json_object", "schema": SCHEMA}


def test_authorization_header_only_with_key(stub: Stub) -> None:
    client(stub, api_key=KEY).complete(QUESTION)
    client(stub).complete(QUESTION)
    client(stub, api_key="").complete(QUESTION)
    with_key, without, empty = (r.headers for r in stub.received)
    assert with_key["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in without and "Authorization" not in empty


def test_list_models(stub: Stub) -> None:
    stub.default = Reply(body={"object": "list", "data": [{"id": "qwen2.5-0.5b"}, {"id": "other"}]})
    assert client(stub).list_models() == ["qwen2.5-0.5b", "other"]
    assert (stub.received[0].method, stub.received[0].path) == ("GET", "/v1/models")


def test_base_url_with_trailing_slash_and_bad_scheme(stub: Stub) -> None:
    OpenAICompatibleClient(stub.url + "/", "m", timeout=5).complete(QUESTION)
    assert stub.received[0].path == "/v1/chat/completions"
    with pytest.raises(LLMUnavailable, match=r"EVIDEX_LLM_BASE_URL"):
        OpenAICompatibleClient("127.0.0.1:8080/v1", "m")


# -- streaming --------------------------------------------------------------------------------------


def delta(text: str, finish: str | None = None) -> dict[str, Any]:
    return {
        "model": "stub-model",
        "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}],
    }


def test_stream_deltas_and_usage(stub: Stub) -> None:
    usage_event = {"choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 3}}
    stub.replies = [
        Reply(
            sse=[
                {"choices": [{"index": 0, "delta": {"role": "assistant"}}]},
                delta('{"verdict"'),
                delta(': "yes"'),
                delta("}", "stop"),
                usage_event,
                "[DONE]",
            ]
        )
    ]
    stream = client(stub).stream(ChatRequest(QUESTION.messages, json_schema=SCHEMA))
    assert list(stream) == ['{"verdict"', ': "yes"', "}"]
    assert stream.result is not None
    assert stream.result.text == '{"verdict": "yes"}'
    assert (stream.result.prompt_tokens, stream.result.completion_tokens) == (20, 3)
    assert stream.result.finish_reason == "stop" and not stream.result.usage_estimated
    body = stub.received[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["response_format"]["type"] == "json_schema"


def test_stream_without_usage_is_estimated_and_collect(stub: Stub) -> None:
    stub.replies = [Reply(sse=[delta("abcd" * 3), delta("efgh", "length"), "[DONE]"])]
    result = client(stub, stream_usage=False).stream(QUESTION).collect()
    assert result.text == "abcd" * 3 + "efgh"
    assert result.usage_estimated and result.completion_tokens == 4
    assert result.finish_reason == "length"
    assert "stream_options" not in stub.received[0].body


def test_stream_error_event_is_bad_response(stub: Stub) -> None:
    stub.replies = [Reply(sse=[delta("a"), {"error": {"message": "context overflow"}}])]
    stream = client(stub).stream(QUESTION)
    assert next(stream) == "a"
    with pytest.raises(LLMBadResponse, match=r"context overflow"):
        next(stream)


def test_stream_server_that_ignores_stream_flag(stub: Stub) -> None:
    stub.replies = [Reply(body=completion("whole", {"prompt_tokens": 5, "completion_tokens": 1}))]
    stream = client(stub).stream(QUESTION)
    assert list(stream) == ["whole"]
    assert stream.result is not None and stream.result.completion_tokens == 1


def test_stream_retries_before_first_text(stub: Stub) -> None:
    stub.replies = [Reply(status=503, body={"error": {"message": "loading model"}}), Reply(sse=[delta("ok")])]
    assert "".join(client(stub).stream(QUESTION)) == "ok"
    assert len(stub.received) == 2


def test_slow_stream_is_cut_at_the_deadline(stub: Stub) -> None:
    stub.replies = [Reply(sse=[delta("tok")] * 100, pause=0.15)]
    llm = client(stub, timeout=0.6, retries=0)
    got: list[str] = []
    start = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"EVIDEX_LLM_TIMEOUT"):
        for text in llm.stream(QUESTION):
            got.append(text)
    elapsed = time.monotonic() - start
    assert 0.5 < elapsed < 1.2
    assert 1 <= len(got) < 10


def test_sse_parser() -> None:
    lines = [": comment", "event: message", "data: {", "data: }", "", "data: [DONE]", ""]
    assert list(_sse_data(lines)) == ["{\n}", "[DONE]"]
    assert list(_sse_data(["data:x"])) == ["x"]


# -- retries and failures ---------------------------------------------------------------------------


def test_429_retry_after_is_honoured(stub: Stub) -> None:
    stub.replies = [
        Reply(status=429, body={"error": {"message": "rate limited"}}, headers={"Retry-After": "1"}),
        Reply(body=completion("after the wait")),
    ]
    start = time.monotonic()
    result = client(stub, backoff=0.01).complete(QUESTION)
    elapsed = time.monotonic() - start
    assert result.text == "after the wait"
    assert len(stub.received) == 2
    assert 0.95 <= elapsed < 3


def test_retry_after_longer_than_we_wait_fails_at_once(stub: Stub) -> None:
    stub.default = Reply(status=429, body={"error": "slow down"}, headers={"Retry-After": "3600"})
    start = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"HTTP 429: slow down.*3600"):
        client(stub).complete(QUESTION)
    assert time.monotonic() - start < 1
    assert len(stub.received) == 1


def test_500_three_times_is_unavailable_after_retries(stub: Stub) -> None:
    stub.default = Reply(status=500, body={"error": {"message": "CUDA out of memory"}})
    start = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"HTTP 500: CUDA out of memory \(after 3 attempts\)"):
        client(stub, retries=2, backoff=0.05).complete(QUESTION)
    assert len(stub.received) == 3
    assert 0.15 <= time.monotonic() - start < 2  # backoff 0.05 then 0.1, with up to 25 % jitter


def test_other_4xx_is_not_retried(stub: Stub) -> None:
    stub.default = Reply(status=400, body={"error": {"message": "response_format not supported"}})
    with pytest.raises(LLMBadResponse, match=r"not supported.*EVIDEX_LLM_SCHEMA_MODE=json_object"):
        client(stub).complete(ChatRequest(QUESTION.messages, json_schema=SCHEMA))
    assert len(stub.received) == 1


def test_500_rejecting_response_format_is_not_retried(stub: Stub) -> None:
    # llama-cpp-python's server: a validation error about response_format, sent as HTTP 500 on two lines.
    detail = "1 validation error:\n  body.response_format.type: Input should be 'text' or 'json_object'"
    stub.default = Reply(status=500, body={"message": detail})
    with pytest.raises(LLMBadResponse, match=r"HTTP 500: 1 validation error: body.*EVIDEX_LLM_SCHEMA_MODE"):
        client(stub).complete(ChatRequest(QUESTION.messages, json_schema=SCHEMA))
    assert len(stub.received) == 1


def test_404_names_base_url_and_model(stub: Stub) -> None:
    stub.default = Reply(status=404, body={"detail": "Not Found"})
    with pytest.raises(LLMBadResponse, match=r"Not Found.*EVIDEX_LLM_BASE_URL.*stub-model"):
        client(stub).complete(QUESTION)


def test_401_message_never_contains_the_key(stub: Stub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    stub.default = Reply(status=401, body={"error": {"message": "invalid key in header '$AUTH'"}})
    llm = client(stub, api_key=KEY)
    with pytest.raises(LLMBadResponse) as caught:
        llm.complete(QUESTION)
    message = str(caught.value)
    assert "HTTP 401" in message and "EVIDEX_LLM_API_KEY" in message and "invalid key" in message
    assert KEY not in message and KEY[:12] not in message
    assert KEY not in repr(llm) and KEY not in caplog.text
    assert len(stub.received) == 1


def test_short_key_is_scrubbed_as_a_word_only(stub: Stub) -> None:
    stub.default = Reply(status=403, body={"error": {"message": "key abc is not known, token $AUTH"}})
    with pytest.raises(LLMBadResponse) as caught:
        client(stub, api_key="abc").complete(QUESTION)
    assert str(caught.value).count("abc") == 0 and "not known" in str(caught.value)


def test_retry_log_never_contains_the_key(stub: Stub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    stub.replies = [Reply(status=503, body={"error": {"message": "busy, token $AUTH"}})]
    client(stub, api_key=KEY).complete(QUESTION)
    assert "busy" in caplog.text and KEY not in caplog.text


def test_server_that_never_answers_costs_bounded_time(stub: Stub) -> None:
    stub.default = Reply(hang=True)
    llm = client(stub, timeout=0.4, retries=1, backoff=0.05)
    start = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"did not answer within"):
        llm.complete(QUESTION)
    elapsed = time.monotonic() - start
    assert len(stub.received) == 2
    assert 0.8 <= elapsed <= llm.budget + 0.5


def test_refused_connection_is_unavailable_quickly() -> None:
    llm = OpenAICompatibleClient(f"http://127.0.0.1:{closed_port()}/v1", "m", timeout=5, backoff=0.05)
    start = time.monotonic()
    with pytest.raises(LLMUnavailable, match=r"start the server or check EVIDEX_LLM_BASE_URL") as caught:
        llm.complete(QUESTION)
    assert time.monotonic() - start < 1.5
    assert "after 3 attempts" in str(caught.value)


def test_malformed_json_is_bad_response(stub: Stub) -> None:
    stub.default = Reply(raw=b"<html>Welcome to nginx</html>")
    with pytest.raises(LLMBadResponse, match=r"not JSON.*nginx"):
        client(stub).complete(QUESTION)
    assert len(stub.received) == 1


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ({"id": "x", "object": "chat.completion"}, "without 'choices'"),
        ({"choices": []}, "without 'choices'"),
        ({"choices": [{"index": 0, "message": {"role": "assistant"}}]}, "message.content"),
        ({"error": {"message": "model not loaded"}}, "model not loaded"),
        ([1, 2], "not an object"),
    ],
)
def test_missing_fields_are_bad_response(stub: Stub, body: Any, match: str) -> None:
    stub.default = Reply(body=body)
    with pytest.raises(LLMBadResponse, match=match):
        client(stub).complete(QUESTION)


def test_output_that_is_not_json_is_bad_response(stub: Stub) -> None:
    stub.default = Reply(body=completion('{"verdict": "ye'))
    with pytest.raises(LLMError, match=r"not valid JSON"):
        client(stub).complete(QUESTION).json()


# -- settings and factory ---------------------------------------------------------------------------


def test_factory_none_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("EVIDEX_LLM_BACKEND", "EVIDEX_LLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert load_chat_model(Settings(_env_file=None)) is None  # type: ignore[call-arg]


def test_factory_openai_from_env(stub: Stub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EVIDEX_LLM_BACKEND", "openai")
    monkeypatch.setenv("EVIDEX_LLM_BASE_URL", stub.url)
    monkeypatch.setenv("EVIDEX_LLM_API_KEY", KEY)
    monkeypatch.setenv("EVIDEX_LLM_MODEL", "qwen")
    monkeypatch.setenv("EVIDEX_LLM_SCHEMA_MODE", "json_object")
    monkeypatch.setenv("EVIDEX_LLM_TIMEOUT", "7")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert KEY not in repr(settings) and KEY not in str(settings.model_dump())
    llm = load_chat_model(settings)
    assert isinstance(llm, OpenAICompatibleClient)
    assert (llm.name, llm.timeout, llm.retries, llm.schema_mode) == ("openai:qwen", 7.0, 2, "json_object")
    llm.complete(QUESTION)
    assert stub.received[0].headers["Authorization"] == f"Bearer {KEY}"
    assert stub.received[0].body["model"] == "qwen"
