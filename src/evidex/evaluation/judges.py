"""Judges of citation support for `evidex eval citations`: does a claim follow from its cited passages?

Two judges, so that citation figures need not be circular:

- `VerifierJudge`: the answer engine's own `ClaimVerifier` (verbatim match, else a calibrated score of
  term coverage and MiniLM similarity, plus the number check). Fast and always available, but it is
  the model that decided which claims to keep, so on kept claims it is partly circular.
- `LlmJudge`: a language model asked one yes/no question per claim ("Does the evidence state or
  directly imply the claim?"), its answer constrained to JSON. It shares nothing with the verifier.
  Its own accuracy is measured on SciFact by bench/judge_calibration.py: on 100 pairs the
  Qwen2.5-Coder-1.5B GGUF scores 0.90 (precision of "yes" 0.86, recall 0.81); the bundled 0.5B model
  0.69 (precision 0.50), too weak to be worth reporting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from evidex.answer.verify import ClaimVerifier
from evidex.llm.protocol import ChatMessage, ChatModel, ChatRequest, LLMError

JUDGE_SYSTEM = (
    "You check citations in medical answers. Answer yes only if the EVIDENCE states the CLAIM or directly "
    "implies it; otherwise answer no. Reply with JSON."
)
JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"verdict": {"type": "string", "enum": ["no", "yes"]}},
    "required": ["verdict"],
}
VERIFIER_NOTE = (
    "judge = ClaimVerifier, the same model the answer engine uses to verify claims: figures on kept "
    "claims are partly circular; read them with the share of claims the engine flagged"
)
MAX_EVIDENCE_CHARS = 6000
"""Cited passages beyond this many characters are cut, so a prompt fits a small model's context."""


class JudgeError(RuntimeError):
    """The judge could not give a verdict (the model is unreachable or answered nonsense)."""


class Judge(Protocol):
    """Decides whether passages support a claim."""

    @property
    def name(self) -> str: ...

    @property
    def note(self) -> str: ...

    def supports(self, claim: str, passages: Sequence[str]) -> bool: ...


class VerifierJudge:
    """The engine's ClaimVerifier: support at or above its threshold and every number in the passages."""

    def __init__(self, verifier: ClaimVerifier) -> None:
        self.verifier = verifier

    @property
    def name(self) -> str:
        return "verifier"

    @property
    def note(self) -> str:
        return VERIFIER_NOTE

    def supports(self, claim: str, passages: Sequence[str]) -> bool:
        if not passages:
            return False
        result = self.verifier.score(claim, list(passages))
        return result.numbers_ok and result.support >= self.verifier.threshold


class LlmJudge:
    """A language model's yes/no on each (claim, cited passages), cached, with the calls counted."""

    def __init__(self, model: ChatModel, label: str = "llm") -> None:
        self.model = model
        self.label = label
        self.calls = 0
        self._cache: dict[tuple[str, tuple[str, ...]], bool] = {}

    @property
    def name(self) -> str:
        return f"llm:{self.label}"

    @property
    def note(self) -> str:
        return (
            f"judge = the language model {self.label}, asked whether the cited passages state or directly "
            "imply each claim (yes/no, JSON-constrained); independent of the engine's verifier, but only "
            "as good as the model: see bench/judge_calibration.py for its accuracy on SciFact"
        )

    def request(self, claim: str, passages: Sequence[str]) -> ChatRequest:
        evidence = "\n\n".join(passages)[:MAX_EVIDENCE_CHARS]
        return ChatRequest(
            messages=[
                ChatMessage("system", JUDGE_SYSTEM),
                ChatMessage(
                    "user",
                    f"EVIDENCE: {evidence}\n\nCLAIM: {claim}\n\nDoes the evidence support the claim?",
                ),
            ],
            json_schema=JUDGE_SCHEMA,
            max_tokens=20,
            schema_name="citation_check",
        )

    def supports(self, claim: str, passages: Sequence[str]) -> bool:
        if not passages:
            return False
        key = (claim, tuple(passages))
        if key in self._cache:
            return self._cache[key]
        try:
            reply = self.model.complete(self.request(claim, passages)).json()
        except LLMError as exc:
            raise JudgeError(f"the judge model failed: {exc}") from exc
        verdict = reply.get("verdict") if isinstance(reply, dict) else None
        if verdict not in ("yes", "no"):
            raise JudgeError(f"the judge model answered {verdict!r}, not yes or no")
        self.calls += 1
        self._cache[key] = verdict == "yes"
        return self._cache[key]
