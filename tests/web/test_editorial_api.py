"""The editorial JSON API through the real app, real accounts and real saved answers.

The forbidden paths come first: what readers, reviewers, editors and authors may not do, wrong tokens,
stale revisions and cross-site requests; then the allowed path end to end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from evidex.store.accounts import AccountStore, Role, User

if TYPE_CHECKING:
    from conftest import Staff  # the fixture's type, from tests/web/conftest.py


@pytest.fixture(scope="module")
def api(editorial_app: FastAPI) -> Iterator[TestClient]:
    """A client without cookies: credentials only from the headers each request sends."""
    with TestClient(editorial_app) as test_client:
        yield test_client


def _create(api: TestClient, staff: Staff, answer_id: str, user: User | None = None) -> dict[str, Any]:
    response = api.post(
        "/api/articles", json={"answer_id": answer_id}, headers=staff.bearer(user or staff.editor)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _act(
    api: TestClient, staff: Staff, user: User, article_id: str, action: str, comment: str = "", **extra: Any
) -> Any:
    return api.post(
        f"/api/articles/{article_id}/actions",
        json={"action": action, "comment": comment, **extra},
        headers=staff.bearer(user),
    )


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _approved(api: TestClient, staff: Staff, answer_id: str) -> str:
    article = _create(api, staff, answer_id)
    _ok(_act(api, staff, staff.editor, article["id"], "submit"))
    _ok(_act(api, staff, staff.reviewer, article["id"], "start_review"))
    _ok(_act(api, staff, staff.reviewer, article["id"], "sign_off"))
    assert _ok(_act(api, staff, staff.reviewer2, article["id"], "sign_off"))["status"] == "approved"
    return str(article["id"])


# -- forbidden paths -----------------------------------------------------------------------------------


def test_readers_without_credentials_see_no_drafts_and_cannot_act(
    api: TestClient, staff: Staff, saved_answer_id: str
) -> None:
    draft = _create(api, staff, saved_answer_id)
    path = f"/api/articles/{draft['id']}"
    hidden = api.get(path)
    assert hidden.status_code == 404 and "no published article" in hidden.json()["detail"]
    assert api.get("/api/articles/nosucharticle").status_code == 404  # the same as one that does not exist
    assert draft["id"] not in {a["id"] for a in api.get("/api/articles").json()}
    assert draft["id"] not in {a["id"] for a in api.get("/api/articles", params={"status": "draft"}).json()}
    refusals = [
        api.post(f"{path}/actions", json={"action": "submit"}),
        api.post("/api/articles", json={"answer_id": saved_answer_id}),
        api.post(f"{path}/versions", json={"answer_id": saved_answer_id}),
        api.post(f"{path}/comments", json={"claim": "1.1", "body": "unsupported"}),
        api.get(f"{path}/diff"),
        api.get("/api/me"),
    ]
    for refused in refusals:
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"].startswith("Bearer")
        assert "sign in required" in refused.json()["detail"]
    staff_view = _ok(api.get(path, headers=staff.bearer(staff.editor)))
    assert staff_view["status"] == "draft" and staff_view["revision"] == draft["revision"]  # nothing moved


def test_wrong_forged_revoked_and_deactivated_tokens_are_401(
    editorial_app: FastAPI, api: TestClient, staff: Staff
) -> None:
    accounts: AccountStore = editorial_app.state.accounts
    leaver = accounts.create_user("leaver", "a long enough password", Role.EDITOR)
    revoked = accounts.create_user("revoked", "a long enough password", Role.EDITOR)
    leaver_token = accounts.issue_token(leaver, "laptop")
    revoked_token = accounts.issue_token(revoked, "laptop")
    assert api.get("/api/me", headers={"Authorization": f"Bearer {leaver_token}"}).status_code == 200
    accounts.set_active("leaver", False)
    accounts.revoke_tokens("revoked")
    real = staff.tokens[staff.editor.username]
    for header in (
        "Bearer evx_forged-token-that-was-never-issued",
        f"Bearer {real}x",  # one character off
        f"Bearer {real[:-1]}",
        "Bearer ",
        f"Basic {real}",  # a real token in the wrong scheme
        f"Bearer {leaver_token}",
        f"Bearer {revoked_token}",
    ):
        for response in (
            api.get("/api/me", headers={"Authorization": header}),
            api.get("/api/articles", headers={"Authorization": header}),  # never the reader's view
            api.post("/api/articles", json={"answer_id": "x"}, headers={"Authorization": header}),
        ):
            assert response.status_code == 401, (header, response.text)
            assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_me_names_the_caller_and_how_they_signed_in(api: TestClient, staff: Staff) -> None:
    me = _ok(api.get("/api/me", headers=staff.bearer(staff.reviewer)))
    assert me == {"username": "rev.one", "display_name": "Dr Ada One", "role": "reviewer", "via": "token"}


def test_reviewers_cannot_create_write_versions_or_publish(
    api: TestClient, staff: Staff, saved_answer_id: str
) -> None:
    for user in (staff.reviewer, staff.reviewer2):
        refused = api.post("/api/articles", json={"answer_id": saved_answer_id}, headers=staff.bearer(user))
        assert refused.status_code == 403 and "may not create articles" in refused.json()["detail"]
    article_id = _approved(api, staff, saved_answer_id)
    publish = _act(api, staff, staff.reviewer, article_id, "publish")
    assert publish.status_code == 403 and "rev.one (reviewer) may not publish" in publish.json()["detail"]
    version = api.post(
        f"/api/articles/{article_id}/versions",
        json={"answer_id": saved_answer_id},
        headers=staff.bearer(staff.reviewer),
    )
    assert version.status_code == 403
    after = _ok(api.get(f"/api/articles/{article_id}", headers=staff.bearer(staff.reviewer)))
    assert after["status"] == "approved" and after["published_version"] is None
    assert after["allowed_actions"] == []  # nothing left for a reviewer on an approved article
    assert api.get(f"/api/articles/{article_id}").status_code == 404  # approved is not yet published


def test_editors_cannot_start_review_sign_off_reject_or_comment(
    api: TestClient, staff: Staff, saved_answer_id: str
) -> None:
    article = _create(api, staff, saved_answer_id)
    article_id = article["id"]
    _ok(_act(api, staff, staff.editor, article_id, "submit"))
    start = _act(api, staff, staff.editor, article_id, "start_review")
    assert start.status_code == 403 and "may not start_review" in start.json()["detail"]
    _ok(_act(api, staff, staff.reviewer, article_id, "start_review"))
    for action in ("sign_off", "reject", "request_changes"):
        refused = _act(api, staff, staff.editor2, article_id, action, "looks fine to me")
        assert refused.status_code == 403, refused.text
    comment = api.post(
        f"/api/articles/{article_id}/comments",
        json={"claim": "1.1", "body": "hm"},
        headers=staff.bearer(staff.editor),
    )
    assert comment.status_code == 403
    view = _ok(api.get(f"/api/articles/{article_id}", headers=staff.bearer(staff.editor)))
    assert view["status"] == "under_review" and view["signoffs"] == []
    assert view["allowed_actions"] == []
    reviewer_view = _ok(api.get(f"/api/articles/{article_id}", headers=staff.bearer(staff.reviewer)))
    assert reviewer_view["allowed_actions"] == ["sign_off", "request_changes", "reject"]


def test_an_author_cannot_sign_off_their_own_version(
    api: TestClient, staff: Staff, saved_answer_id: str
) -> None:
    article = _create(api, staff, saved_answer_id, user=staff.admin)  # admins may write and review
    article_id = article["id"]
    _ok(_act(api, staff, staff.admin, article_id, "submit"))
    _ok(_act(api, staff, staff.reviewer, article_id, "start_review"))
    view = _ok(api.get(f"/api/articles/{article_id}", headers=staff.bearer(staff.admin)))
    assert "sign_off" not in view["allowed_actions"] and "reject" in view["allowed_actions"]
    own = _act(api, staff, staff.admin, article_id, "sign_off")
    assert own.status_code == 403 and "you wrote this version" in own.json()["detail"]
    _ok(_act(api, staff, staff.reviewer, article_id, "sign_off"))
    twice = _act(api, staff, staff.reviewer, article_id, "sign_off")
    assert twice.status_code == 409 and "already signed off" in twice.json()["detail"]
    view = _ok(api.get(f"/api/articles/{article_id}", headers=staff.bearer(staff.reviewer)))
    assert view["status"] == "under_review" and [s["reviewer"] for s in view["signoffs"]] == ["rev.one"]
    assert "sign_off" not in view["allowed_actions"]  # already signed this round


def test_stale_revision_wrong_status_and_missing_comment_are_refused(
    api: TestClient, staff: Staff, saved_answer_id: str
) -> None:
    article = _create(api, staff, saved_answer_id)
    article_id, seen = article["id"], article["revision"]
    moved = _ok(_act(api, staff, staff.editor, article_id, "submit", expected_revision=seen))
    assert moved["revision"] == seen + 1
    stale = _act(api, staff, staff.reviewer, article_id, "start_review", expected_revision=seen)
    assert stale.status_code == 409
    assert "changed since you loaded it" in stale.json()["detail"] and "reload" in stale.json()["detail"]
    early = _act(api, staff, staff.editor, article_id, "publish")
    assert early.status_code == 409 and "cannot publish" in early.json()["detail"]
    _ok(_act(api, staff, staff.reviewer, article_id, "start_review", expected_revision=moved["revision"]))
    silent = _act(api, staff, staff.reviewer, article_id, "request_changes", "   ")
    assert silent.status_code == 400 and "needs a comment" in silent.json()["detail"]
    unknown = _act(api, staff, staff.reviewer, article_id, "approve_everything")
    assert unknown.status_code == 422
    missing = _act(api, staff, staff.reviewer, "nosucharticle", "start_review")
    assert missing.status_code == 404 and "no article" in missing.json()["detail"]
    bad_answer = api.post(
        "/api/articles", json={"answer_id": "nosuchanswer"}, headers=staff.bearer(staff.editor)
    )
    assert bad_answer.status_code == 404
    view = _ok(api.get(f"/api/articles/{article_id}", headers=staff.bearer(staff.editor)))
    assert [t["action"] for t in view["history"]] == ["create", "submit", "start_review"]


def test_cookie_sessions_work_on_the_api_but_not_from_another_site(
    api: TestClient, staff: Staff, sign_in: Callable[[User], TestClient], saved_answer_id: str
) -> None:
    browser = sign_in(staff.editor)
    assert _ok(browser.get("/api/me"))["via"] == "session"
    body = {"answer_id": saved_answer_id}
    cross = browser.post("/api/articles", json=body, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and "cross-site" in cross.json()["detail"]
    fetched = browser.post("/api/articles", json=body, headers={"Sec-Fetch-Site": "cross-site"})
    assert fetched.status_code == 403
    assert (
        browser.post("/api/articles", json=body, headers={"Origin": "http://testserver"}).status_code == 201
    )
    # a Bearer token is never sent by a browser on its own, so it needs no Origin check
    token = api.post(
        "/api/articles", json=body, headers={**staff.bearer(staff.editor), "Origin": "https://x.example"}
    )
    assert token.status_code == 201


# -- the allowed path ----------------------------------------------------------------------------------


def test_draft_to_published_end_to_end_then_a_new_version(
    editorial_app: FastAPI, api: TestClient, staff: Staff, saved_answer_id: str
) -> None:
    created = _create(api, staff, saved_answer_id)
    article_id = created["id"]
    assert created["status"] == "draft" and created["status_label"] == "Draft"
    assert created["url"] == f"/articles/{article_id}" and created["created_by"] == "edith"
    assert created["version"]["number"] == 1 and created["version"]["library_state"]["documents"] == 8
    assert created["version"]["answer"]["question"].startswith("What is the first-line")
    assert created["allowed_actions"] == ["submit"] and created["signoffs_required"] == 2

    def act(user: User, action: str, comment: str = "") -> dict[str, Any]:
        current = _ok(api.get(f"/api/articles/{article_id}", headers=staff.bearer(user)))
        return _ok(_act(api, staff, user, article_id, action, comment, expected_revision=current["revision"]))

    assert act(staff.editor, "submit")["status"] == "submitted"
    assert act(staff.reviewer, "start_review")["status"] == "under_review"
    one = act(staff.reviewer, "sign_off")
    assert one["status"] == "under_review" and len(one["signoffs"]) == 1  # one of two
    approved = act(staff.reviewer2, "sign_off", "Checked every claim against its passage.")
    assert approved["status"] == "approved"
    assert approved["status_label"] == "Approved by the Medical Advisory Board"
    assert api.get(f"/api/articles/{article_id}").status_code == 404  # not yet published
    published = act(staff.editor, "publish")
    assert published["status"] == "published" and published["published_version"] == 1
    assert published["allowed_actions"] == ["unpublish"]
    assert [t["action"] for t in published["history"]] == [
        "create",
        "submit",
        "start_review",
        "sign_off",
        "sign_off",
        "publish",
    ]

    listed = {a["id"]: a for a in api.get("/api/articles").json()}
    assert listed[article_id]["status_label"] == "Published" and "revision" not in listed[article_id]
    reader = _ok(api.get(f"/api/articles/{article_id}"))
    assert reader["status_label"] == "Published" and reader["version"] == 1
    assert [r["display_name"] for r in reader["reviewers"]] == ["Dr Ada One", "Dr Ben Two"]
    assert reader["answer"]["question"] == created["version"]["answer"]["question"]
    assert reader["last_updated"] and reader["evidence_changed"] is None
    assert not {"history", "signoffs", "comments", "allowed_actions", "revision"} & set(reader)

    # a reviewer's note on a claim, then a corrected answer as version 2 with one claim fewer
    note = api.post(
        f"/api/articles/{article_id}/comments",
        json={"claim": "1.1", "body": "Cite the dose table too."},
        headers=staff.bearer(staff.reviewer),
    )
    assert note.status_code == 201 and note.json()["claim"] == "1.1" and note.json()["user"] == "rev.one"
    no_claim = api.post(
        f"/api/articles/{article_id}/comments",
        json={"claim": "9.9", "body": "x"},
        headers=staff.bearer(staff.reviewer),
    )
    assert no_claim.status_code == 404
    bad_claim = api.post(
        f"/api/articles/{article_id}/comments",
        json={"claim": "first", "body": "x"},
        headers=staff.bearer(staff.reviewer),
    )
    assert bad_claim.status_code == 422
    service = editorial_app.state.service
    original = service.saved(saved_answer_id).answer
    dropped = original.sections[0].claims[-1].text
    sections = [original.sections[0].model_copy(update={"claims": original.sections[0].claims[:-1]})]
    corrected = service.answers.save(
        original.model_copy(update={"sections": sections + original.sections[1:]})
    )
    version = api.post(
        f"/api/articles/{article_id}/versions",
        json={"answer_id": corrected.id, "expected_revision": published["revision"]},
        headers=staff.bearer(staff.editor2),
    )
    assert version.status_code == 201, version.text
    second = version.json()
    assert (second["status"], second["current_version"], second["published_version"]) == ("draft", 2, 1)
    assert second["version"]["created_by"] == "eddie"
    assert [c["claim"] for c in second["comments"]] == ["1.1"]
    assert _ok(api.get(f"/api/articles/{article_id}"))["version"] == 1  # readers keep the approved version
    changes = _ok(
        api.get(
            f"/api/articles/{article_id}/diff",
            params={"from": 1, "to": 2},
            headers=staff.bearer(staff.editor),
        )
    )
    assert changes["from_version"] == 1 and changes["to_version"] == 2
    assert changes["claims_removed"] == [dropped] and changes["claims_added"] == []
    default = _ok(api.get(f"/api/articles/{article_id}/diff", headers=staff.bearer(staff.reviewer)))
    assert default == changes
    assert (
        api.get(f"/api/articles/{article_id}/diff?to=7", headers=staff.bearer(staff.editor)).status_code
        == 404
    )


def test_unpublishing_needs_an_editor_and_a_reason_and_hides_the_article_again(
    api: TestClient, staff: Staff, saved_answer_id: str
) -> None:
    article_id = _approved(api, staff, saved_answer_id)
    _ok(_act(api, staff, staff.editor, article_id, "publish"))
    assert api.get(f"/api/articles/{article_id}").status_code == 200
    assert _act(api, staff, staff.reviewer, article_id, "unpublish", "unsafe").status_code == 403
    assert _act(api, staff, staff.editor, article_id, "unpublish").status_code == 400  # no reason given
    assert api.get(f"/api/articles/{article_id}").status_code == 200  # still published
    withdrawn = _ok(_act(api, staff, staff.editor, article_id, "unpublish", "Dose table is out of date."))
    assert withdrawn["status"] == "approved" and withdrawn["published_version"] is None
    assert api.get(f"/api/articles/{article_id}").status_code == 404
    assert article_id not in {a["id"] for a in api.get("/api/articles").json()}


def test_staff_list_every_article_and_filter_by_status(
    api: TestClient, staff: Staff, saved_answer_id: str
) -> None:
    draft = _create(api, staff, saved_answer_id)
    approved = _approved(api, staff, saved_answer_id)
    everything = api.get("/api/articles", headers=staff.bearer(staff.reviewer)).json()
    assert {draft["id"], approved} <= {a["id"] for a in everything}
    drafts = api.get("/api/articles", params={"status": "draft"}, headers=staff.bearer(staff.editor)).json()
    assert draft["id"] in {a["id"] for a in drafts} and {a["status"] for a in drafts} == {"draft"}
    ready = api.get("/api/articles", params={"status": "approved"}, headers=staff.bearer(staff.editor)).json()
    assert [a["id"] for a in ready if a["id"] == approved] == [approved]
    assert ready[0]["status_label"] == "Approved by the Medical Advisory Board"
    assert api.get("/api/articles", params={"status": "nonsense"}).status_code == 422


def test_openapi_documents_the_editorial_api(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    for path in (
        "/api/articles",
        "/api/articles/{article_id}",
        "/api/articles/{article_id}/actions",
        "/api/articles/{article_id}/versions",
        "/api/articles/{article_id}/comments",
        "/api/articles/{article_id}/diff",
        "/api/me",
    ):
        assert path in paths, path
    assert "/login" not in paths and "/articles/{article_id}" not in paths
