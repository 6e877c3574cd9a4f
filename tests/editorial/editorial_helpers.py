"""Builders shared by the editorial tests: a team of users and small cited answers."""

from __future__ import annotations

from evidex.models import (
    Answer,
    AnswerSection,
    Claim,
    EvidenceKind,
    QuestionAnalysis,
    QuestionType,
    Reference,
)
from evidex.store.accounts import AccountStore, Role, User

PASSWORD = "correct horse battery"


class Team:
    def __init__(self, accounts: AccountStore) -> None:
        self.editor: User = accounts.create_user("edith", PASSWORD, Role.EDITOR, "Edith Editor")
        self.reviewer: User = accounts.create_user("rev.one", PASSWORD, Role.REVIEWER, "Dr One")
        self.reviewer2: User = accounts.create_user("rev.two", PASSWORD, Role.REVIEWER, "Dr Two")
        self.admin: User = accounts.create_user("admin", PASSWORD, Role.ADMIN)


def make_answer(
    claims: list[str], references: list[tuple[str, EvidenceKind]], question: str = "Q?"
) -> Answer:
    """An answer whose claims all cite reference 1, with the given references."""
    analysis = QuestionAnalysis(question=question, question_type=QuestionType.THERAPY, search_query=question)
    refs = [
        Reference(number=i, document_id=doc, title=f"Title of {doc}", kind=kind, kind_label=kind.label)
        for i, (doc, kind) in enumerate(references, start=1)
    ]
    cited = [Claim(text=c, citations=[1]) for c in claims]
    section = AnswerSection(heading="Recommended treatment", claims=cited)
    return Answer(
        question=question,
        analysis=analysis,
        headline="Headline",
        bottom_line="Bottom line",
        sections=[section] if claims else [],
        references=refs,
    )
