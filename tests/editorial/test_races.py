"""Two writers racing on one article: the database lets exactly one win, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable

from editorial_helpers import Team, make_answer

from evidex.editorial.service import Conflict, EditorialService
from evidex.editorial.workflow import Action, Status
from evidex.models import EvidenceKind

START = Action.START_REVIEW
STATE = {"documents": 1, "passages": 1, "latest_change": None}


def _race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at the same moment on separate threads; each result is a value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # the loser's Conflict is the point of the test
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def _submitted(service: EditorialService, team: Team) -> str:
    answer = make_answer(["A cited claim."], [("ngc:1", EvidenceKind.GUIDELINE)])
    article_id = service.create_article(team.editor, answer, STATE).id
    service.act(team.editor, article_id, Action.SUBMIT)
    return article_id


def test_two_reviewers_starting_the_same_review_one_wins(service: EditorialService, team: Team) -> None:
    for _ in range(3):
        article_id = _submitted(service, team)
        seen = service.article(article_id).revision
        results = _race(
            lambda a=article_id, r=seen: service.act(
                team.reviewer, a, Action.START_REVIEW, expected_revision=r
            ),
            lambda a=article_id, r=seen: service.act(
                team.reviewer2, a, Action.START_REVIEW, expected_revision=r
            ),
        )
        assert sum(isinstance(r, Conflict) for r in results) == 1, results
        assert service.article(article_id).status is Status.UNDER_REVIEW
        assert [t.action for t in service.history(article_id)].count("start_review") == 1
        assert [e["action"] for e in service.audit(article_id)].count("article.start_review") == 1


def test_racing_sign_offs_never_lose_or_double_an_approval(service: EditorialService, team: Team) -> None:
    for _ in range(3):
        article_id = _submitted(service, team)
        service.act(team.reviewer, article_id, Action.START_REVIEW)
        results = _race(
            lambda a=article_id: service.act(team.reviewer, a, Action.SIGN_OFF),
            lambda a=article_id: service.act(team.reviewer2, a, Action.SIGN_OFF),
        )
        for index, result in enumerate(results):  # a loser reloads and signs again, as the UI would
            if isinstance(result, Conflict):
                reviewer = (team.reviewer, team.reviewer2)[index]
                service.act(reviewer, article_id, Action.SIGN_OFF)
            else:
                assert not isinstance(result, Exception), result
        assert service.article(article_id).status is Status.APPROVED
        assert sorted(s.reviewer for s in service.signoffs(article_id)) == ["rev.one", "rev.two"]
        assert [t.to_status for t in service.history(article_id)].count("approved") == 1


def test_two_editors_publishing_at_once_publish_once(service: EditorialService, team: Team) -> None:
    article_id = _submitted(service, team)
    service.act(team.reviewer, article_id, Action.START_REVIEW)
    service.act(team.reviewer, article_id, Action.SIGN_OFF)
    service.act(team.reviewer2, article_id, Action.SIGN_OFF)
    results = _race(
        lambda: service.act(team.editor, article_id, Action.PUBLISH),
        lambda: service.act(team.admin, article_id, Action.PUBLISH),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    article = service.article(article_id)
    assert (article.status, article.published_version) == (Status.PUBLISHED, 1)
    assert [t.action for t in service.history(article_id)].count("publish") == 1
