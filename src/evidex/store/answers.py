"""Saved answer pages: what a permalink, the API and a follow-up thread read back.

Rows live in the records database (SQLite in the library, PostgreSQL by URL), so every web replica that
shares the database serves the same page for the same id. The payload is the Answer's own JSON, stored
verbatim, so a saved page reads back exactly as it was composed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, insert, select

from evidex.models import Answer
from evidex.store.migrate import migrate
from evidex.store.schema import answers
from evidex.store.times import as_utc

ID_BYTES = 9  # 12 URL-safe characters: unguessable enough that permalinks need no listing guard
MAX_ID_LENGTH = 32


@dataclass(frozen=True)
class SavedAnswer:
    id: str
    parent_id: str | None
    created_at: datetime
    answer: Answer


@dataclass(frozen=True)
class RecentQuestion:
    id: str
    question: str
    audience: str
    created_at: datetime


class AnswerStore:
    """Append-only store of answer pages, keyed by a random id."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        migrate(engine)

    def save(self, answer: Answer, parent_id: str | None = None) -> SavedAnswer:
        answer_id = secrets.token_urlsafe(ID_BYTES)
        created = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(answers).values(
                    id=answer_id,
                    question=answer.question,
                    audience=answer.audience.value,
                    parent_id=parent_id,
                    created_at=created,
                    payload=answer.model_dump_json(),
                )
            )
        return SavedAnswer(answer_id, parent_id, created, answer)

    def get(self, answer_id: str) -> SavedAnswer | None:
        if not answer_id or len(answer_id) > MAX_ID_LENGTH:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(select(answers).where(answers.c.id == answer_id)).mappings().first()
        if row is None:
            return None
        answer = Answer.model_validate_json(row["payload"])
        return SavedAnswer(row["id"], row["parent_id"], as_utc(row["created_at"]), answer)

    def thread(self, answer_id: str) -> list[SavedAnswer]:
        """The chain of earlier answers this one follows up, oldest first, ending with itself."""
        chain: list[SavedAnswer] = []
        seen: set[str] = set()
        current = self.get(answer_id)
        while current is not None and current.id not in seen:
            chain.append(current)
            seen.add(current.id)
            current = self.get(current.parent_id) if current.parent_id else None
        return list(reversed(chain))

    def recent(self, limit: int = 8) -> list[RecentQuestion]:
        """The latest distinct questions that start a thread, newest first (one per question and audience).

        Follow-ups ("What dose?") are left out: without the question they follow they mean nothing.
        """
        query = (
            select(answers.c.id, answers.c.question, answers.c.audience, answers.c.created_at)
            .where(answers.c.parent_id.is_(None))
            .order_by(answers.c.created_at.desc())
            .execution_options(yield_per=100)
        )
        out: list[RecentQuestion] = []
        seen: set[tuple[str, str]] = set()
        with self.engine.connect() as conn:
            # newest first: the first row of each question and audience is its latest answer
            for row in conn.execute(query):
                if (row.question, row.audience) in seen:
                    continue
                seen.add((row.question, row.audience))
                out.append(RecentQuestion(row.id, row.question, row.audience, as_utc(row.created_at)))
                if len(out) >= limit:
                    break
        return out

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(answers)).scalar_one())
