"""MIRAGE multiple-choice accuracy of a configured language model, with and without retrieval.

`../shared/data/eval/mirage/dev.json` holds 40 questions from each of five tasks (MMLU-Med, MedQA,
MedMCQA, PubMedQA, BioASQ). The model picks one option key under a JSON schema that admits only the
question's keys, so every reply is scorable; with retrieval, the library's top passages for the question
are given first, numbered, as MedRAG does. Reported per task beside the chance baseline (1 / options).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.table import Table

from evidex.answer.prompts import MIRAGE_SYSTEM, mirage_user
from evidex.llm.protocol import ChatMessage, ChatModel, ChatRequest, LLMError
from evidex.search.query import QueryError
from evidex.search.retriever import Retriever

TASKS = ("mmlu", "medqa", "medmcqa", "pubmedqa", "bioasq")
PASSAGES = 4
PASSAGE_CHARS = 500


class MirageError(Exception):
    """The data set is missing or malformed; the message says where it was looked for."""


@dataclass(frozen=True)
class McItem:
    task: str
    id: str
    question: str
    options: dict[str, str]
    answer: str


@dataclass
class TaskScore:
    task: str
    mode: str
    total: int = 0
    correct: int = 0
    failed: int = 0
    chance: float = 0.0
    seconds: list[float] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


def load(path: Path, tasks: tuple[str, ...] = TASKS, limit: int | None = None, seed: int = 0) -> list[McItem]:
    """Questions of the chosen tasks; with `limit`, a fixed random sample of that many per task."""
    if not path.is_file():
        raise MirageError(f"MIRAGE questions not found at {path}; pass --data-dir pointing at shared/data")
    try:
        data: dict[str, dict[str, dict[str, Any]]] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise MirageError(f"{path} is not valid JSON: {exc}") from exc
    items: list[McItem] = []
    for task in tasks:
        if task not in data:
            raise MirageError(f"task {task!r} is not in {path}; it holds {', '.join(data)}")
        rows = sorted(data[task].items())
        if limit is not None:
            rows = sorted(random.Random(seed).sample(rows, min(limit, len(rows))))
        for key, row in rows:
            items.append(McItem(task, key, row["question"], dict(row["options"]), row["answer"]))
    return items


def _passages(retriever: Retriever, question: str) -> list[str]:
    try:
        hits = retriever.search(question[:1000], k=PASSAGES)
    except QueryError:
        return []
    out = []
    for hit in hits:
        text = " ".join(hit.text.split())
        out.append(f"{hit.title}: {text[:PASSAGE_CHARS]}")
    return out


def ask(model: ChatModel, item: McItem, passages: list[str]) -> str | None:
    """The option key the model chose, or None when it failed."""
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string", "enum": sorted(item.options)}},
        "required": ["answer"],
    }
    request = ChatRequest(
        messages=[
            ChatMessage(role="system", content=MIRAGE_SYSTEM),
            ChatMessage(role="user", content=mirage_user(item.question, item.options, passages)),
        ],
        json_schema=schema,
        max_tokens=20,
        temperature=0.0,
    )
    try:
        reply = json.loads(model.complete(request).text)
    except (LLMError, json.JSONDecodeError):
        return None
    choice = reply.get("answer") if isinstance(reply, dict) else None
    return choice if choice in item.options else None


def evaluate(
    model: ChatModel,
    items: list[McItem],
    retriever: Retriever | None,
    modes: tuple[str, ...] = ("closed", "retrieval"),
    progress: Callable[[int, int], None] | None = None,
) -> list[TaskScore]:
    scores: dict[tuple[str, str], TaskScore] = {}
    total = len(items) * len(modes)
    done = 0
    for mode in modes:
        for item in items:
            score = scores.setdefault((item.task, mode), TaskScore(item.task, mode))
            passages = _passages(retriever, item.question) if mode == "retrieval" and retriever else []
            started = time.perf_counter()
            choice = ask(model, item, passages)
            score.seconds.append(time.perf_counter() - started)
            score.total += 1
            score.chance += 1 / len(item.options)
            score.correct += int(choice == item.answer)
            score.failed += int(choice is None)
            done += 1
            if progress is not None:
                progress(done, total)
    for score in scores.values():
        score.chance = score.chance / score.total if score.total else 0.0
    return sorted(scores.values(), key=lambda s: (s.mode, TASKS.index(s.task) if s.task in TASKS else 99))


def as_table(scores: list[TaskScore], model_name: str) -> Table:
    table = Table(title=f"MIRAGE accuracy — {model_name}")
    for column in ("mode", "task", "questions", "accuracy", "chance", "no answer", "median s"):
        table.add_column(column, justify="left" if column in ("mode", "task") else "right")
    for s in scores:
        median = sorted(s.seconds)[len(s.seconds) // 2] if s.seconds else 0.0
        table.add_row(
            s.mode,
            s.task,
            str(s.total),
            f"{s.accuracy:.3f}",
            f"{s.chance:.3f}",
            str(s.failed),
            f"{median:.1f}",
        )
    return table


def as_dict(scores: list[TaskScore], model_name: str) -> dict[str, Any]:
    return {
        "model": model_name,
        "scores": [
            {
                "mode": s.mode,
                "task": s.task,
                "questions": s.total,
                "accuracy": round(s.accuracy, 4),
                "chance": round(s.chance, 4),
                "no_answer": s.failed,
            }
            for s in scores
        ],
    }
