"""Saved answers: exact round trip, follow-up threads and recent questions, on a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine

from evidex.models import Answer, Audience, QuestionAnalysis, QuestionType
from evidex.store.answers import AnswerStore


def _answer(question: str, audience: Audience = Audience.CLINICIAN) -> Answer:
    analysis = QuestionAnalysis(
        question=question, question_type=QuestionType.THERAPY, is_yes_no=False, search_query=question
    )
    return Answer(question=question, audience=audience, analysis=analysis, headline="h", bottom_line="b")


def test_saved_answers_read_back_exactly_and_survive_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'answers.sqlite'}"
    store = AnswerStore(create_engine(url))
    saved = store.save(_answer("What treats asthma?"))
    assert len(saved.id) == 12
    reopened = AnswerStore(create_engine(url))
    again = reopened.get(saved.id)
    assert again is not None and again.answer == saved.answer and again.created_at == saved.created_at
    assert reopened.get("missing") is None and reopened.get("x" * 100) is None
    assert reopened.count() == 1


def test_threads_and_recent_questions(tmp_path: Path) -> None:
    store = AnswerStore(create_engine(f"sqlite:///{tmp_path / 'answers.sqlite'}"))
    first = store.save(_answer("What treats asthma?"))
    second = store.save(_answer("What dose?"), parent_id=first.id)
    third = store.save(_answer("Side effects?"), parent_id=second.id)
    assert [s.id for s in store.thread(third.id)] == [first.id, second.id, third.id]
    again = store.save(_answer("What treats asthma?"))
    store.save(_answer("What treats asthma?", Audience.PATIENT))
    recent = store.recent(limit=10)
    assert [(r.question, r.audience) for r in recent] == [
        ("What treats asthma?", "patient"),
        ("What treats asthma?", "clinician"),
    ]  # follow-ups are not listed on their own
    assert recent[1].id == again.id  # the latest answer to a repeated question
    assert len(store.recent(limit=1)) == 1
