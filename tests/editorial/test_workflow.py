"""The review workflow on SQLite and PostgreSQL: allowed paths, forbidden paths, sign-offs, audit."""

from __future__ import annotations

import pytest
from editorial_helpers import Team, make_answer
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from evidex.editorial.diff import diff
from evidex.editorial.service import Conflict, EditorialError, EditorialService, Forbidden, NotFound
from evidex.editorial.workflow import Action, Status, allowed_actions
from evidex.models import EvidenceKind
from evidex.store.accounts import Role

STATE = {"documents": 8, "passages": 8, "latest_change": None}
GUIDE = ("ngc:1", EvidenceKind.GUIDELINE)
TRIAL = ("pmid:2", EvidenceKind.RANDOMIZED_TRIAL)


def _draft(service: EditorialService, team: Team) -> str:
    answer = make_answer(["Acyclovir 10 mg/kg every 8 hours is recommended."], [GUIDE], "HSV encephalitis?")
    return service.create_article(team.editor, answer, STATE).id


def _approved(service: EditorialService, team: Team) -> str:
    article_id = _draft(service, team)
    service.act(team.editor, article_id, Action.SUBMIT)
    service.act(team.reviewer, article_id, Action.START_REVIEW)
    service.act(team.reviewer, article_id, Action.SIGN_OFF)
    assert service.article(article_id).status is Status.UNDER_REVIEW  # one of two sign-offs
    service.act(team.reviewer2, article_id, Action.SIGN_OFF, "Checked every dose.")
    return article_id


def test_the_happy_path_to_publication_records_who_when_and_why(
    service: EditorialService, team: Team
) -> None:
    article_id = _approved(service, team)
    assert service.article(article_id).status is Status.APPROVED
    assert service.article(article_id).published_version is None
    service.act(team.editor, article_id, Action.PUBLISH)
    article, version = service.published(article_id)
    assert article.status is Status.PUBLISHED and version.number == 1
    assert version.answer.question == "HSV encephalitis?" and version.library_state == STATE
    history = service.history(article_id)
    assert [(t.action, t.to_status, t.user) for t in history] == [
        ("create", "draft", "edith"),
        ("submit", "submitted", "edith"),
        ("start_review", "under_review", "rev.one"),
        ("sign_off", "under_review", "rev.one"),
        ("sign_off", "approved", "rev.two"),
        ("publish", "published", "edith"),
    ]
    assert history[4].comment == "Checked every dose."
    assert [s.reviewer for s in service.signoffs(article_id)] == ["rev.one", "rev.two"]
    audit = service.audit(article_id)
    assert [entry["action"] for entry in reversed(audit)] == [
        "article.create",
        "article.submit",
        "article.start_review",
        "article.sign_off",
        "article.sign_off",
        "article.publish",
    ]
    assert all(entry["at"] is not None and entry["actor"] for entry in audit)


def test_readers_see_only_published_articles(service: EditorialService, team: Team) -> None:
    article_id = _approved(service, team)
    with pytest.raises(NotFound):
        service.published(article_id)  # approved but not yet published
    assert service.articles(published_only=True) == []
    service.act(team.editor, article_id, Action.PUBLISH)
    assert [a.id for a in service.articles(published_only=True)] == [article_id]
    service.act(team.admin, article_id, Action.UNPUBLISH, "Withdrawn pending new trial data.")
    with pytest.raises(NotFound):
        service.published(article_id)


def test_forbidden_paths_are_refused_and_change_nothing(service: EditorialService, team: Team) -> None:
    article_id = _draft(service, team)
    with pytest.raises(Forbidden):
        service.act(team.reviewer, article_id, Action.SUBMIT)  # reviewers do not submit
    with pytest.raises(Forbidden):
        service.create_article(team.reviewer, make_answer(["x"], [GUIDE]), STATE)
    service.act(team.editor, article_id, Action.SUBMIT)
    with pytest.raises(Forbidden):
        service.act(team.editor, article_id, Action.START_REVIEW)  # editors do not review
    service.act(team.reviewer, article_id, Action.START_REVIEW)
    with pytest.raises(Forbidden):
        service.act(team.editor, article_id, Action.SIGN_OFF)
    with pytest.raises(Forbidden):
        service.act(team.reviewer, article_id, Action.PUBLISH)
    with pytest.raises(Conflict):
        service.act(team.editor, article_id, Action.PUBLISH)  # right role, wrong status
    with pytest.raises(Forbidden):
        service.comment_claim(team.editor, article_id, "1.1", "looks fine")
    assert service.article(article_id).status is Status.UNDER_REVIEW
    assert len(service.history(article_id)) == 3


def test_authors_cannot_sign_off_their_own_version(service: EditorialService, team: Team) -> None:
    answer = make_answer(["A claim."], [GUIDE])
    article_id = service.create_article(team.admin, answer, STATE).id
    service.act(team.admin, article_id, Action.SUBMIT)
    service.act(team.reviewer, article_id, Action.START_REVIEW)
    with pytest.raises(Forbidden, match="another reviewer"):
        service.act(team.admin, article_id, Action.SIGN_OFF)
    service.act(team.reviewer, article_id, Action.SIGN_OFF)
    with pytest.raises(Conflict, match="already signed"):
        service.act(team.reviewer, article_id, Action.SIGN_OFF)
    assert service.article(article_id).status is Status.UNDER_REVIEW


def test_changes_requested_then_resubmitted_and_rejection_need_comments(
    service: EditorialService, team: Team
) -> None:
    article_id = _draft(service, team)
    service.act(team.editor, article_id, Action.SUBMIT)
    service.act(team.reviewer, article_id, Action.START_REVIEW)
    with pytest.raises(EditorialError, match="comment"):
        service.act(team.reviewer, article_id, Action.REQUEST_CHANGES)
    service.act(team.reviewer, article_id, Action.REQUEST_CHANGES, "Cite the renal dosing guidance.")
    assert service.article(article_id).status is Status.CHANGES_REQUESTED
    service.act(team.editor, article_id, Action.SUBMIT)
    service.act(team.reviewer2, article_id, Action.START_REVIEW)
    service.act(team.reviewer2, article_id, Action.REJECT, "Evidence too thin.")
    assert service.article(article_id).status is Status.REJECTED
    assert allowed_actions(Status.REJECTED, Role.REVIEWER) == []


def test_new_version_returns_to_draft_keeps_the_published_one_and_diffs(
    service: EditorialService, team: Team
) -> None:
    article_id = _approved(service, team)
    service.act(team.editor, article_id, Action.PUBLISH)
    second = make_answer(
        ["Acyclovir 10 mg/kg every 8 hours is recommended.", "Reduce the dose in renal impairment."],
        [GUIDE, TRIAL],
        "HSV encephalitis?",
    )
    article = service.new_version(team.editor, article_id, second, STATE)
    assert (article.status, article.current_version, article.published_version) == (Status.DRAFT, 2, 1)
    assert service.published(article_id)[1].number == 1  # readers still see version 1
    changes = diff(service.version(article_id, 1).answer, service.version(article_id, 2).answer)
    assert changes.claims_added == ["Reduce the dose in renal impairment."] and not changes.claims_removed
    assert changes.references_added == ["Title of pmid:2 [pmid:2]"]
    # sign-offs of version 1 do not carry over: two fresh ones are needed
    service.act(team.editor, article_id, Action.SUBMIT)
    service.act(team.reviewer, article_id, Action.START_REVIEW)
    assert service.act(team.reviewer, article_id, Action.SIGN_OFF).status is Status.UNDER_REVIEW
    with pytest.raises(Conflict, match="under review"):
        service.new_version(team.editor, article_id, second, STATE)


def test_stale_revisions_are_refused(service: EditorialService, team: Team) -> None:
    article_id = _draft(service, team)
    seen = service.article(article_id).revision
    service.act(team.editor, article_id, Action.SUBMIT, expected_revision=seen)
    with pytest.raises(Conflict, match="reload"):
        service.act(team.reviewer, article_id, Action.START_REVIEW, expected_revision=seen)


def test_claim_comments_point_at_real_claims(service: EditorialService, team: Team) -> None:
    article_id = _draft(service, team)
    note = service.comment_claim(team.reviewer, article_id, "1.1", "Say for how many days.")
    assert (note.version, note.claim, note.user) == (1, "1.1", "rev.one")
    assert [c.body for c in service.comments(article_id)] == ["Say for how many days."]
    for bad in ("2.1", "1.9", "0.1", "x"):
        with pytest.raises(NotFound):
            service.comment_claim(team.reviewer, article_id, bad, "?")


def test_evidence_change_returns_an_approved_article_to_review(service: EditorialService, team: Team) -> None:
    article_id = _approved(service, team)
    service.act(team.editor, article_id, Action.PUBLISH)
    flagged = service.flag_evidence_change(article_id, "cited document ngc:1 has been retracted")
    assert flagged is not None and flagged.status is Status.SUBMITTED
    assert flagged.evidence_changed == "cited document ngc:1 has been retracted"
    assert flagged.published_version == 1  # still readable, with the flag, until reviewed again
    assert service.history(article_id)[-1].user == "system"
    draft = _draft(service, team)
    assert service.flag_evidence_change(draft, "anything") is None  # drafts are not under review yet


def test_articles_need_substance_and_unknown_ids_are_reported(service: EditorialService, team: Team) -> None:
    with pytest.raises(Conflict, match="too little evidence"):
        service.create_article(team.editor, make_answer([], []), STATE)
    with pytest.raises(NotFound):
        service.article("nope")
    with pytest.raises(NotFound):
        service.act(team.editor, "nope", Action.SUBMIT)


def test_the_audit_log_refuses_updates_and_deletes(
    service: EditorialService, team: Team, engine: Engine
) -> None:
    _draft(service, team)
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert service.audit()[0]["actor"] == "edith"
