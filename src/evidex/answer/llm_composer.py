"""The LLM composer: numbered passages in, cited statements out, nothing taken on trust.

The model writes sentences and names the passages that state them, under a JSON schema. The code then
rejects citations to passages that were not given and statements left with no citation; the answer
engine verifies every remaining statement against its cited passages exactly as it does the extractive
composer's (entailment score and the number check), so a fluent but unsupported sentence is dropped.
A model that fails, times out or answers with invalid JSON twice raises ComposerFailed, and the engine
falls back to the extractive composer and says so on the page.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from evidex.answer.extractive import headings_for
from evidex.answer.prompts import COMPOSER_SYSTEM, answer_schema, composer_user
from evidex.answer.verify import is_extractive
from evidex.ingest.text_utils import split_sentences
from evidex.llm.protocol import ChatMessage, ChatModel, ChatRequest, LLMError
from evidex.models import Audience, QuestionAnalysis, SearchHit

MAX_PASSAGES = 6
PASSAGE_CHARS = 700
MAX_TOKENS = 700
ATTEMPTS = 2


class ComposerFailed(Exception):
    """The model gave no usable answer; the message says why (for the note on the page)."""


class _Statement(BaseModel):
    text: str
    citations: list[int]


class _Section(BaseModel):
    heading: str
    claims: list[_Statement]


class _Output(BaseModel):
    bottom_line: _Statement
    sections: list[_Section]


@dataclass(frozen=True)
class Drafted:
    """One statement the model wrote, with the 1-based numbers of the passages it cites."""

    heading: str
    text: str
    passages: list[int]


@dataclass
class Composition:
    claims: list[Drafted]
    bottom_line: Drafted | None
    rejected: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0


def _passage_text(hit: SearchHit) -> str:
    text = " ".join(hit.text.split())
    if len(text) > PASSAGE_CHARS:
        text = text[:PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
    return text


def _source(hit: SearchHit) -> str:
    bits = [hit.source_label or hit.source, str(hit.year) if hit.year else "", hit.kind.label]
    return ", ".join(b for b in bits if b)


def _statement(
    heading: str, raw: _Statement, hits: list[SearchHit], rejected: list[str], repaired: list[str]
) -> Drafted | None:
    text = " ".join(raw.text.split())
    if not text:
        return None
    given = len(hits)
    valid = [n for n in dict.fromkeys(raw.citations) if 1 <= n <= given]
    invalid = [n for n in raw.citations if not 1 <= n <= given]
    if valid and not is_extractive(text, [hits[n - 1].text for n in valid]):
        # small models often copy a sentence from one passage and cite its neighbour: when the sentence
        # is word for word in exactly one other given passage, cite that one (and say so on the page)
        exact = [n for n in range(1, given + 1) if is_extractive(text, [hits[n - 1].text])]
        if len(exact) == 1:
            repaired.append(f"{text[:60]}… — cited [{', '.join(map(str, valid))}], states [{exact[0]}]")
            valid = exact
    if invalid:
        rejected.append(f"{text[:80]} — cites passage(s) {invalid} that were not given")
    if not valid:
        rejected.append(f"{text[:80]} — no valid citation")
        return None
    return Drafted(heading, text, valid)


def compose(
    model: ChatModel,
    analysis: QuestionAnalysis,
    audience: Audience,
    hits: list[SearchHit],
    on_progress: Callable[[int], None] | None = None,
) -> Composition:
    """Ask the model for a cited answer over `hits` (the first MAX_PASSAGES); raises ComposerFailed."""
    given = hits[:MAX_PASSAGES]
    if not given:
        raise ComposerFailed("no evidence passages to compose from")
    headings = list(dict.fromkeys(headings_for(analysis.question_type).values()))
    numbered = [(i, _source(hit), _passage_text(hit)) for i, hit in enumerate(given, start=1)]
    schema = answer_schema(len(given), headings)
    messages = [
        ChatMessage(role="system", content=COMPOSER_SYSTEM),
        ChatMessage(role="user", content=composer_user(analysis, audience, numbered, headings)),
    ]
    started = time.perf_counter()
    prompt_tokens = completion_tokens = 0
    problem = ""
    for _ in range(ATTEMPTS):
        request = ChatRequest(
            messages=list(messages), json_schema=schema, max_tokens=MAX_TOKENS, temperature=0.0
        )
        try:
            if on_progress is None:
                result = model.complete(request)
                text = result.text
                prompt_tokens += result.prompt_tokens
                completion_tokens += result.completion_tokens
            else:
                pieces: list[str] = []
                stream = model.stream(request)
                for delta in stream:
                    pieces.append(delta)
                    on_progress(len(pieces))
                text = "".join(pieces)
                usage = stream.result
                prompt_tokens += usage.prompt_tokens if usage else 0
                completion_tokens += usage.completion_tokens if usage else len(pieces)
        except LLMError as exc:
            raise ComposerFailed(str(exc)) from exc
        try:
            output = _Output.model_validate(json.loads(text))
        except (json.JSONDecodeError, ValidationError) as exc:
            problem = f"the model's reply was not valid JSON for the answer schema ({type(exc).__name__})"
            messages += [
                ChatMessage(role="assistant", content=text[:2000]),
                ChatMessage(
                    role="user", content=f"That was not valid: {problem}. Reply again with JSON only."
                ),
            ]
            continue
        rejected: list[str] = []
        repaired: list[str] = []
        claims: list[Drafted] = []
        seen: set[str] = set()
        for section in output.sections:
            heading = section.heading if section.heading in headings else headings[0]
            for raw in section.claims:
                # one sentence per claim, each checked on its own; a sentence repeated under several
                # headings (small models do this) is kept once, under the first
                flat = " ".join(raw.text.split())
                for sentence in [flat[a:b] for a, b in split_sentences(flat)] or [flat]:
                    key = " ".join(sentence.lower().split())
                    if key in seen:
                        continue
                    seen.add(key)
                    part = _Statement(text=sentence, citations=raw.citations)
                    drafted = _statement(heading, part, given, rejected, repaired)
                    if drafted is not None:
                        claims.append(drafted)
        bottom = _statement("", output.bottom_line, given, rejected, repaired)
        return Composition(
            claims=claims,
            bottom_line=bottom,
            rejected=rejected,
            repaired=repaired,
            model=getattr(model, "name", "model"),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            seconds=time.perf_counter() - started,
        )
    raise ComposerFailed(problem or "the model gave no answer")
