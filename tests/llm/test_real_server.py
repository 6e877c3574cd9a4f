"""The real thing: llama.cpp's OpenAI-compatible server with the bundled model, driven end to end.

`.ci/run` starts it (`.ci/llm-server.sh start`) and sets EVIDEX_TEST_LLM_URL; without that these tests
are skipped locally, and fail under CI.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidex.answer.engine import AnswerEngine
from evidex.ingest.runner import ingest
from evidex.llm import ChatMessage, ChatRequest
from evidex.llm.openai_http import OpenAICompatibleClient
from evidex.store.library import Library

pytestmark = pytest.mark.slow
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
URL = os.environ.get("EVIDEX_TEST_LLM_URL")


@pytest.fixture(scope="module")
def client() -> Iterator[OpenAICompatibleClient]:
    if not URL:
        if os.environ.get("CI"):
            pytest.fail("EVIDEX_TEST_LLM_URL is not set: .ci/run must start the LLM server")
        pytest.skip("no LLM server: run `make llm && .ci/llm-server.sh start`, set EVIDEX_TEST_LLM_URL")
    with OpenAICompatibleClient(URL, "evidex-local", timeout=240, retries=1, schema_mode="json_object") as c:
        yield c


SCHEMA = {
    "type": "object",
    "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}, "reason": {"type": "string"}},
    "required": ["answer", "reason"],
}
REQUEST = ChatRequest(
    messages=[
        ChatMessage("system", "Answer in JSON."),
        ChatMessage(
            "user", "Passage: Aciclovir is first-line therapy for genital herpes. Is aciclovir first-line?"
        ),
    ],
    json_schema=SCHEMA,
    max_tokens=60,
)


def test_schema_constrained_completion_with_token_counts(client: OpenAICompatibleClient) -> None:
    assert client.list_models() == ["evidex-local"]
    result = client.complete(REQUEST)
    reply = json.loads(result.text)
    assert reply["answer"] in ("yes", "no") and isinstance(reply["reason"], str)
    assert result.prompt_tokens > 20 and result.completion_tokens > 3 and not result.usage_estimated


def test_streaming_delivers_text_in_pieces(client: OpenAICompatibleClient) -> None:
    stream = client.stream(REQUEST)
    pieces = list(stream)
    assert len(pieces) > 3
    assert json.loads("".join(pieces))["answer"] in ("yes", "no")
    assert stream.result is not None and stream.result.completion_tokens >= 3


def test_an_llm_answer_page_keeps_only_verified_cited_statements(
    client: OpenAICompatibleClient, tmp_path: Path
) -> None:
    library = Library(tmp_path / "lib", create=True)
    ingest(library, [FIXTURES / "docs"])
    stages: list[str] = []
    answer = AnswerEngine(library, "fast", llm=client).ask(
        "What is the first-line maintenance therapy for asthma in adults?", progress=stages.append
    )
    library.close()
    assert any(note.startswith("composed by the language model") for note in answer.notes), answer.notes
    assert "composing" in stages and "verifying" in stages
    claims = [claim for section in answer.sections for claim in section.claims]
    assert all(claim.verified and claim.citations for claim in claims)
    numbers = {r.number for r in answer.references}
    assert all(set(claim.citations) <= numbers for claim in claims)
    checked = answer.verification
    assert checked.kept == len(claims) and checked.checked == checked.kept + checked.dropped
