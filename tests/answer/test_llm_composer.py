"""The LLM composer through the real OpenAI-compatible client and a stub server on 127.0.0.1.

The stub reads the numbered passages the composer sent and answers like a small model would: right,
mis-cited, inventive or broken. The page must keep only statements its cited passages support.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from evidex.answer.engine import AnswerEngine
from evidex.ingest.runner import ingest
from evidex.llm.openai_http import OpenAICompatibleClient
from evidex.store.library import Library

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
QUESTION = "What is the first-line maintenance therapy for asthma in adults?"
ICS = (
    "Offer a low dose of an inhaled corticosteroid (ICS) as first-line maintenance therapy to adults "
    "with newly diagnosed asthma (Grade A)."
)
LEAFLET = """---
title: Asthma inhalers for adults
kind: consumer_information
---

# Asthma inhalers for adults

## Preventer inhalers

Adults with asthma usually take a preventer inhaler every day as first-line maintenance therapy.
Preventer inhalers contain an inhaled corticosteroid that calms the airways over time.
"""
Reply = Callable[[dict[str, Any], dict[int, str]], str]


class StubModel:
    """An OpenAI-compatible endpoint whose reply is computed from the passages in the prompt."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.requests: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.requests.append(body)
                prompt = body["messages"][-1]["content"]
                if body["messages"][-1]["role"] == "user" and "Evidence passages" not in prompt:
                    prompt = body["messages"][1]["content"]
                passages = {
                    int(m.group(1)): m.group(2)
                    for m in re.finditer(r"^\[(\d+)\] \([^)]*\) (.*)$", prompt, re.M)
                }
                content = stub.reply(body, passages)
                payload = json.dumps(
                    {
                        "model": "stub-0.5b",
                        "choices": [
                            {"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                        ],
                        "usage": {"prompt_tokens": 900, "completion_tokens": 120},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def client(self) -> OpenAICompatibleClient:
        return OpenAICompatibleClient(self.url, "stub", timeout=10, retries=0, schema_mode="json_object")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    folder = tmp_path_factory.mktemp("llm")
    (folder / "inhalers.md").write_text(LEAFLET, encoding="utf-8")
    lib = Library(folder / "lib", create=True)
    ingest(lib, [FIXTURES / "docs", FIXTURES / "pubmed" / "efetch_sample.xml", folder / "inhalers.md"])
    yield lib
    lib.close()


def _number_of(passages: dict[int, str], words: str) -> int:
    return next(n for n, text in passages.items() if words in " ".join(text.split()))


def _answer(bottom: tuple[str, list[int]], claims: list[tuple[str, str, list[int]]]) -> str:
    return json.dumps(
        {
            "bottom_line": {"text": bottom[0], "citations": bottom[1]},
            "sections": [
                {"heading": heading, "claims": [{"text": text, "citations": cites}]}
                for heading, text, cites in claims
            ],
        }
    )


def _ask(library: Library, reply: Reply) -> tuple[Any, StubModel]:
    stub = StubModel(reply)
    try:
        answer = AnswerEngine(library, "fast", llm=stub.client()).ask(QUESTION)
    finally:
        stub.close()
    return answer, stub


def test_supported_statements_stay_and_invented_or_uncited_ones_go(library: Library) -> None:
    def reply(body: dict[str, Any], passages: dict[int, str]) -> str:
        n = _number_of(passages, "low dose of an inhaled corticosteroid")
        return _answer(
            (ICS, [n]),
            [
                ("Recommended treatment", ICS, [n]),
                ("Dosing and administration", "Give 5 mg of montelukast twice daily to every adult.", [n]),
                ("Recommended treatment", "Inhaled corticosteroids cure asthma.", [len(passages) + 3]),
            ],
        )

    answer, stub = _ask(library, reply)
    request = stub.requests[0]
    assert request["response_format"]["type"] == "json_object"
    schema = request["response_format"]["schema"]
    max_cite = schema["properties"]["bottom_line"]["properties"]["citations"]["items"]["maximum"]
    assert max_cite == len(re.findall(r"^\[\d+\]", request["messages"][1]["content"], re.M))
    claims = [claim for section in answer.sections for claim in section.claims]
    assert [c.text for c in claims] == [ICS]
    assert all(c.verified and c.citations for c in claims)
    assert answer.composer == "llm:openai:stub"
    assert answer.bottom_line.startswith(ICS)
    reasons = " ".join(answer.verification.dropped_reasons)
    assert "numbers not in source: 5 mg" in reasons and "not given" in reasons
    assert any("rejected for citing passages not given" in note for note in answer.notes)
    assert answer.references[0].title == "Adult Asthma: Diagnosis and Management"


def test_a_verbatim_sentence_cited_to_the_wrong_passage_is_recited_and_said_so(library: Library) -> None:
    def reply(body: dict[str, Any], passages: dict[int, str]) -> str:
        right = _number_of(passages, "low dose of an inhaled corticosteroid")
        wrong = next(n for n in passages if n != right)
        return _answer((ICS, [wrong]), [("Recommended treatment", ICS, [wrong])])

    answer, _ = _ask(library, reply)
    claims = [claim for section in answer.sections for claim in section.claims]
    assert [c.text for c in claims] == [ICS] and claims[0].verified
    cited = {e.reference: e.text for e in answer.evidence}
    assert "inhaled corticosteroid" in cited[claims[0].citations[0]]
    assert any("citation(s) corrected" in note for note in answer.notes)


def test_invalid_json_twice_falls_back_to_the_extractive_page(library: Library) -> None:
    answer, stub = _ask(library, lambda body, passages: "Sure! The answer is ICS.")
    assert len(stub.requests) == 2  # one retry with the complaint, then give up
    assert "not valid" in stub.requests[1]["messages"][-1]["content"]
    assert answer.composer == "extractive" and answer.sections
    assert any("could not compose" in note and "extractive answer shown" in note for note in answer.notes)


def test_an_unreachable_server_falls_back_at_once(library: Library) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = OpenAICompatibleClient(f"http://127.0.0.1:{port}/v1", "x", timeout=2, retries=0)
    answer = AnswerEngine(library, "fast", llm=client).ask(QUESTION)
    assert answer.composer == "extractive" and answer.sections
    assert any("could not compose" in note for note in answer.notes)
