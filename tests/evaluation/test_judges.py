"""Citation judges: the verifier and a language model behind the real OpenAI-compatible client.

The model is a stub server on 127.0.0.1 playing scripted replies (a hosted judge cannot run here); the
real bundled model is exercised by the slow test at the end, under CI's llama.cpp server.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from evidex.answer.verify import ClaimVerifier
from evidex.evaluation.citations import judge_claim, run_citation_eval
from evidex.evaluation.judges import JUDGE_SCHEMA, JudgeError, LlmJudge, VerifierJudge
from evidex.evaluation.retrieval import EvalError
from evidex.ingest.runner import ingest
from evidex.llm.openai_http import OpenAICompatibleClient
from evidex.models import Claim
from evidex.store.library import Library
from openai_stub import Reply, Stub, closed_port, completion

CLAIM = "Aspirin reduced tension headache pain within two hours compared with placebo."
GOOD = "Aspirin 1000 mg reduced tension headache pain within two hours compared with placebo."
OFF = "Sleep hygiene advice alone had a small effect on insomnia severity."


def _judge(stub: Stub) -> LlmJudge:
    client = OpenAICompatibleClient(stub.url, "judge-model", timeout=5.0, retries=0)
    return LlmJudge(client, "judge-model")


def test_llm_judge_asks_once_per_claim_and_passages(stub: Stub) -> None:
    stub.replies = [Reply(body=completion('{"verdict": "yes"}')), Reply(body=completion('{"verdict": "no"}'))]
    judge = _judge(stub)
    assert judge.supports(CLAIM, [GOOD]) is True
    assert judge.supports(CLAIM, [GOOD]) is True  # cached: no second request
    assert judge.supports(CLAIM, [OFF]) is False
    assert judge.supports(CLAIM, []) is False  # nothing cited: nothing to ask
    assert judge.calls == 2 and len(stub.received) == 2
    body = stub.received[0].body
    assert body["response_format"]["json_schema"]["schema"] == JUDGE_SCHEMA
    prompt = body["messages"][1]["content"]
    assert f"CLAIM: {CLAIM}" in prompt and GOOD in prompt
    assert judge.name == "llm:judge-model" and "independent" in judge.note


def test_alce_precision_with_the_llm_judge(stub: Stub) -> None:
    # the pair [GOOD, OFF] → yes; GOOD alone → yes; OFF alone → no: one precise citation of two
    stub.replies = [Reply(body=completion(f'{{"verdict": "{v}"}}')) for v in ("yes", "yes", "no")]
    passages = {1: GOOD, 2: OFF}
    judged = judge_claim(_judge(stub), Claim(text=CLAIM, citations=[1, 2], passage_ids=[1, 2]), passages)
    assert judged.supported and judged.citations == 2 and judged.precise == 1


def test_llm_judge_errors_are_clear(stub: Stub) -> None:
    stub.replies = [Reply(body=completion('{"verdict": "maybe"}')), Reply(body=completion("Sure! Yes."))]
    judge = _judge(stub)
    with pytest.raises(JudgeError, match="'maybe', not yes or no"):
        judge.supports(CLAIM, [GOOD])
    with pytest.raises(JudgeError, match="not valid JSON"):
        judge.supports(CLAIM, [OFF])
    unreachable = LlmJudge(OpenAICompatibleClient(f"http://127.0.0.1:{closed_port()}/v1", "m", retries=0))
    with pytest.raises(JudgeError, match="the judge model failed"):
        unreachable.supports(CLAIM, [GOOD])


def test_a_failing_judge_stops_the_eval_with_advice(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "aspirin.md").write_text(f"# Aspirin for tension headache\n\n{GOOD}\n", encoding="utf-8")
    with Library(tmp_path / "library", create=True) as library:
        assert ingest(library, [notes]).added == 1
        unreachable = LlmJudge(OpenAICompatibleClient(f"http://127.0.0.1:{closed_port()}/v1", "m", retries=0))
        with pytest.raises(EvalError, match="--judge verifier"):
            run_citation_eval(
                library, [("toy", "Does aspirin reduce tension headache pain?")], judge=unreachable
            )


def test_verifier_judge() -> None:
    judge = VerifierJudge(ClaimVerifier(dense=False))
    assert judge.supports(GOOD, [GOOD]) and not judge.supports(CLAIM, [OFF]) and not judge.supports(CLAIM, [])
    assert judge.name == "verifier" and "circular" in judge.note


@pytest.mark.slow
def test_llm_judge_with_the_bundled_model_server() -> None:
    """The real llama.cpp server (.ci/run starts it): the judge gets a yes or a no back, never an error."""
    url = os.environ.get("EVIDEX_TEST_LLM_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("EVIDEX_TEST_LLM_URL is not set: .ci/run must start the LLM server")
        pytest.skip("no LLM server: run `make llm && .ci/llm-server.sh start`, set EVIDEX_TEST_LLM_URL")
    with OpenAICompatibleClient(
        url, "evidex-local", timeout=240, retries=1, schema_mode="json_object"
    ) as client:
        judge = LlmJudge(client, "bundled")
        answers = {judge.supports(CLAIM, [GOOD]), judge.supports(CLAIM, [OFF])}
    assert answers <= {True, False} and judge.calls == 2
    assert json.dumps(JUDGE_SCHEMA)  # the schema the server was given is plain JSON
