"""MIRAGE loading on the real file, and the scorer against a stub OpenAI-compatible server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from evidex.cli import main
from evidex.evaluation.mirage import MirageError, evaluate, load
from evidex.llm.openai_http import OpenAICompatibleClient


def test_the_real_file_holds_forty_questions_per_task(data_dir: Path) -> None:
    items = load(data_dir / "eval" / "mirage" / "dev.json")
    assert len(items) == 200
    assert {item.task for item in items} == {"mmlu", "medqa", "medmcqa", "pubmedqa", "bioasq"}
    medmcqa = [item for item in items if item.task == "medmcqa"]
    assert len(medmcqa) == 40 and all(item.answer in item.options for item in items)
    sample = load(data_dir / "eval" / "mirage" / "dev.json", ("bioasq",), limit=5)
    assert len(sample) == 5 and sample == load(
        data_dir / "eval" / "mirage" / "dev.json", ("bioasq",), limit=5
    )
    with pytest.raises(MirageError, match="not found"):
        load(data_dir / "nowhere.json")


@pytest.fixture()
def always_a() -> Iterator[str]:
    """A server that always answers option A, whatever the question."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            body = {"model": "a", "choices": [{"message": {"content": json.dumps({"answer": "A"})}}]}
            payload = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_scores_match_the_answers_that_are_a(data_dir: Path, always_a: str) -> None:
    items = load(data_dir / "eval" / "mirage" / "dev.json", ("pubmedqa", "medmcqa"))
    model = OpenAICompatibleClient(always_a, "a", timeout=5, retries=0, schema_mode="json_object")
    scores = evaluate(model, items, None, ("closed",))
    for score in scores:
        expected = sum(item.answer == "A" for item in items if item.task == score.task)
        assert (score.total, score.correct, score.failed) == (40, expected, 0)
    pubmedqa = next(s for s in scores if s.task == "pubmedqa")
    assert pubmedqa.chance == pytest.approx(1 / 3)


def test_the_command_needs_a_configured_model(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVIDEX_LLM_BACKEND", raising=False)
    result = CliRunner().invoke(main, ["eval", "mirage", "--data-dir", str(data_dir), "--mode", "closed"])
    assert result.exit_code == 2 and "EVIDEX_LLM_BACKEND" in result.output
