"""The editorial pages through the real app, with real accounts signing in through the real login form.

Forbidden paths first (signing in and out, cross-site posts, roles, stale forms), then the whole review of
an article as the people involved see it, ending with an anonymous reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.testclient import TestClient

from evidex.store.accounts import User
from evidex.store.library import Library
from evidex.web.app import create_app

if TYPE_CHECKING:
    from conftest import Staff  # the fixture's type, from tests/web/conftest.py

PASSWORD = "correct horse battery"
LOGIN_FAILED = "Wrong username or password"
SignIn = Callable[[User], TestClient]


def _revision(html: str) -> int:
    found = re.search(r'name="expected_revision" value="(\d+)"', html)
    assert found, "no action form on the page"
    return int(found.group(1))


def _act(browser: TestClient, article: str, action: str, comment: str = "") -> None:
    """Press an action button on the article page as a person would: with the revision the page showed."""
    page = browser.get(article)
    assert f'name="action" value="{action}"' in page.text, f"no {action} button"
    done = browser.post(
        f"{article}/actions",
        data={"action": action, "comment": comment, "expected_revision": str(_revision(page.text))},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == article, done.text


def _create(browser: TestClient, answer_id: str) -> str:
    created = browser.post(f"/answers/{answer_id}/article", follow_redirects=False)
    assert created.status_code == 303, created.text
    location = str(created.headers["location"])
    assert re.fullmatch(r"/articles/[A-Za-z0-9_-]+", location)
    return location


def _no_inline_code(html: str) -> None:
    assert " style=" not in html and "<style" not in html  # the CSP allows neither
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)


# -- signing in and out --------------------------------------------------------------------------------


def test_a_wrong_password_fails_clearly_without_saying_whether_the_user_exists(
    editorial_app: FastAPI, staff: Staff
) -> None:
    with TestClient(editorial_app) as browser:
        form = browser.get("/login?next=/editorial")
        assert (
            form.status_code == 200 and 'name="password"' in form.text and 'value="/editorial"' in form.text
        )
        wrong = browser.post("/login", data={"username": "edith", "password": "not the password"})
        nobody = browser.post("/login", data={"username": "nobody.here", "password": "not the password"})
        empty = browser.post("/login", data={"username": "", "password": ""})
        for refused in (wrong, nobody, empty):
            assert refused.status_code == 401
            assert LOGIN_FAILED in refused.text and 'role="alert"' in refused.text
            assert "set-cookie" not in refused.headers
        # the same page either way, but for the name typed back into the box
        assert wrong.text.replace('value="edith"', "") == nobody.text.replace('value="nobody.here"', "")
        assert "no such user" not in nobody.text.lower() and "unknown user" not in nobody.text.lower()
        assert browser.get("/editorial", follow_redirects=False).status_code == 303  # still signed out


def test_signing_in_sets_a_locked_down_cookie_and_returns_to_a_local_page(
    editorial_app: FastAPI, staff: Staff
) -> None:
    with TestClient(editorial_app) as browser:
        signed = browser.post(
            "/login",
            data={"username": " Edith ", "password": PASSWORD, "next": "/articles"},
            follow_redirects=False,
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/articles"
        cookie = signed.headers["set-cookie"]
        assert cookie.startswith("evidex_session=") and "HttpOnly" in cookie and "Path=/" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        assert "Secure" not in cookie  # plain http here; see the https case below
        for outside in ("//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
            away = browser.post(
                "/login",
                data={"username": "edith", "password": PASSWORD, "next": outside},
                follow_redirects=False,
            )
            assert away.headers["location"] == "/editorial", outside
    with TestClient(editorial_app, base_url="https://testserver") as secure:
        signed = secure.post(
            "/login", data={"username": "edith", "password": PASSWORD}, follow_redirects=False
        )
        assert "Secure" in signed.headers["set-cookie"]


def test_signing_out_ends_the_session_on_the_server(
    editorial_app: FastAPI, staff: Staff, sign_in: SignIn
) -> None:
    browser = sign_in(staff.editor)
    cookie = browser.cookies["evidex_session"]
    page = browser.get("/editorial")
    assert page.status_code == 200 and "Sign out" in page.text and "Edith Editor" in page.text
    out = browser.post("/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/"
    assert 'evidex_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    assert "evidex_session" not in browser.cookies
    gone = browser.get("/editorial", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/login?next=/editorial"
    with TestClient(editorial_app, cookies={"evidex_session": cookie}) as copied:  # a copy of the old cookie
        assert copied.get("/editorial", follow_redirects=False).status_code == 303
        assert copied.get("/api/me").status_code == 401
    assert "Sign in" in browser.get("/").text


def test_logins_are_rate_limited(web_library: Library, staff: Staff) -> None:
    with TestClient(create_app(web_library, preset="fast", rate_limit=2)) as browser:
        for _ in range(2):
            assert (
                browser.post("/login", data={"username": "edith", "password": "guess guess"}).status_code
                == 401
            )
        refused = browser.post("/login", data={"username": "edith", "password": PASSWORD})
        assert refused.status_code == 429 and "retry-after" in refused.headers
        assert "set-cookie" not in refused.headers


# -- forbidden paths -----------------------------------------------------------------------------------


def test_signed_out_visitors_are_sent_to_sign_in_and_never_see_drafts(
    editorial_app: FastAPI, staff: Staff, sign_in: SignIn, saved_answer_id: str
) -> None:
    article = _create(sign_in(staff.editor), saved_answer_id)
    with TestClient(editorial_app) as reader:
        dashboard = reader.get("/editorial", follow_redirects=False)
        assert dashboard.status_code == 303 and dashboard.headers["location"] == "/login?next=/editorial"
        draft = reader.get(article)
        assert draft.status_code == 404 and "Not found" in draft.text and "Content pending" not in draft.text
        assert article not in reader.get("/articles").text
        acted = reader.post(f"{article}/actions", data={"action": "submit"}, follow_redirects=False)
        assert acted.status_code == 303 and acted.headers["location"].startswith("/login?next=")
        created = reader.post(f"/answers/{saved_answer_id}/article", follow_redirects=False)
        assert created.status_code == 303 and created.headers["location"].startswith("/login?next=")
        answer = reader.get(f"/answers/{saved_answer_id}").text
        assert "Create article from this answer" not in answer and "Sign in" in answer


def test_a_cross_site_post_with_the_session_cookie_is_refused(
    editorial_app: FastAPI, staff: Staff, sign_in: SignIn, saved_answer_id: str
) -> None:
    editor = sign_in(staff.editor)
    article = _create(editor, saved_answer_id)
    revision = _revision(editor.get(article).text)
    evil = {"Origin": "https://evil.example"}
    form = {"action": "submit", "comment": "", "expected_revision": str(revision)}
    refused = editor.post(f"{article}/actions", data=form, headers=evil, follow_redirects=False)
    assert refused.status_code == 403 and "cross-site request refused" in refused.text
    assert editor.post(f"/answers/{saved_answer_id}/article", headers=evil).status_code == 403
    assert editor.post("/logout", headers={"Origin": "null"}).status_code == 403
    assert editor.get("/editorial", follow_redirects=False).status_code == 200  # still signed in
    assert ">Draft<" in editor.get(article).text  # nothing moved
    same_site = editor.post(
        f"{article}/actions", data=form, headers={"Origin": "http://testserver"}, follow_redirects=False
    )
    assert same_site.status_code == 303


def test_roles_limit_the_buttons_and_the_server_refuses_the_rest(
    staff: Staff, sign_in: SignIn, saved_answer_id: str
) -> None:
    editor, reviewer = sign_in(staff.editor), sign_in(staff.reviewer)
    assert "Create article from this answer" in editor.get(f"/answers/{saved_answer_id}").text
    assert "Create article from this answer" not in reviewer.get(f"/answers/{saved_answer_id}").text
    refused = reviewer.post(f"/answers/{saved_answer_id}/article")
    assert refused.status_code == 403 and "rev.one (reviewer) may not create articles" in refused.text
    article = _create(editor, saved_answer_id)
    page = reviewer.get(article).text
    assert "expected_revision" not in page  # a reviewer has nothing to do with a draft
    _act(editor, article, "submit")
    page = editor.get(article).text
    assert 'value="start_review"' not in page and 'value="sign_off"' not in page
    forged = editor.post(f"{article}/actions", data={"action": "start_review"})  # no button: forged
    assert forged.status_code == 403 and "edith (editor) may not start_review" in forged.text
    assert 'role="alert"' in forged.text and ">Submitted<" in forged.text  # the page again, with why
    _act(reviewer, article, "start_review")
    assert 'value="publish"' not in reviewer.get(article).text
    early = editor.post(f"{article}/actions", data={"action": "publish"})
    assert early.status_code == 409 and "cannot publish" in early.text
    silent = reviewer.post(f"{article}/actions", data={"action": "reject", "comment": ""})
    assert silent.status_code == 400 and "needs a comment" in silent.text
    unknown = reviewer.post(f"{article}/actions", data={"action": "approve_everything"})
    assert unknown.status_code == 400 and "unknown action" in unknown.text
    comment = editor.post(f"{article}/comments", data={"claim": "1.1", "body": "editors do not review"})
    assert comment.status_code == 403


def test_the_author_of_a_version_cannot_sign_it_off(
    staff: Staff, sign_in: SignIn, saved_answer_id: str
) -> None:
    admin, reviewer = sign_in(staff.admin), sign_in(staff.reviewer)
    article = _create(admin, saved_answer_id)
    _act(admin, article, "submit")
    _act(reviewer, article, "start_review")
    page = admin.get(article).text
    assert 'value="sign_off"' not in page and 'value="reject"' in page  # admins review, but not their own
    own = admin.post(
        f"{article}/actions", data={"action": "sign_off", "expected_revision": str(_revision(page))}
    )
    assert own.status_code == 403 and "you wrote this version" in own.text


def test_a_stale_form_is_refused_with_a_conflict(staff: Staff, sign_in: SignIn, saved_answer_id: str) -> None:
    editor, reviewer, reviewer2 = sign_in(staff.editor), sign_in(staff.reviewer), sign_in(staff.reviewer2)
    article = _create(editor, saved_answer_id)
    _act(editor, article, "submit")
    _act(reviewer, article, "start_review")
    loaded = reviewer2.get(article).text  # reviewer two opens the page ...
    _act(reviewer, article, "sign_off")  # ... reviewer one signs off first
    stale = reviewer2.post(
        f"{article}/actions",
        data={"action": "sign_off", "comment": "fine", "expected_revision": str(_revision(loaded))},
    )
    assert stale.status_code == 409 and "reload it and try again" in stale.text
    assert ">fine</textarea>" in stale.text and "1 of 2 required" in stale.text  # comment kept, page fresh
    _act(reviewer2, article, "sign_off")  # with the fresh page it works
    assert ">Approved by the Medical Advisory Board<" in editor.get(article).text


# -- the allowed path ----------------------------------------------------------------------------------


def test_an_article_from_answer_to_reader(
    editorial_app: FastAPI, staff: Staff, sign_in: SignIn, saved_answer_id: str
) -> None:
    editor, reviewer, reviewer2 = sign_in(staff.editor), sign_in(staff.reviewer), sign_in(staff.reviewer2)
    article = _create(editor, saved_answer_id)

    draft = editor.get(article)
    assert draft.status_code == 200
    html = draft.text
    _no_inline_code(html)
    assert "Content pending human review" in html and 'class="article-status status-draft">Draft<' in html
    assert "Last updated" in html and '<article class="evidex-answer' in html
    assert 'href="/documents/file:' in html and "Adult Asthma: Diagnosis and Management" in html
    assert 'name="action" value="submit">Submit for review<' in html and "History" in html
    _act(editor, article, "submit")

    awaiting = reviewer.get("/editorial").text
    mine = awaiting.split('id="my-reviews"', 1)[1].split("Signed off by me", 1)[0]
    assert f'href="{article}"' in mine  # waiting for review
    _act(reviewer, article, "start_review")
    page = reviewer.get(article).text
    assert 'id="comment-claim"' in page and 'value="1.1"' in page
    noted = reviewer.post(
        f"{article}/comments", data={"claim": "1.1", "body": "Check the dose table."}, follow_redirects=False
    )
    assert noted.status_code == 303 and noted.headers["location"] == f"{article}#comments"
    _act(reviewer, article, "sign_off")
    under = editor.get(article).text
    assert "1 of 2 required" in under and "Dr Ada One" in under and "Content pending human review" in under
    assert "Check the dose table." in under
    _act(reviewer2, article, "sign_off", "Claims match their passages.")

    approved = editor.get(article).text
    assert "Approved by the Medical Advisory Board</span>" in approved
    assert "Content pending human review" not in approved
    assert "Claims match their passages." in approved  # in the history table
    signed = reviewer.get("/editorial").text.split("Signed off by me", 1)[1].split("</section>", 1)[0]
    assert f'href="{article}"' in signed
    with TestClient(editorial_app) as reader:
        assert reader.get(article).status_code == 404  # approved, not yet published
    _act(editor, article, "publish")

    with TestClient(editorial_app) as reader:
        listing = reader.get("/articles")
        assert listing.status_code == 200 and f'href="{article}"' in listing.text
        assert "Last updated" in listing.text
        page = reader.get(article)
        assert page.status_code == 200
        html = page.text
        _no_inline_code(html)
        assert 'class="article-status status-published">Published<' in html
        assert "Approved by the Medical Advisory Board" in html
        assert "Dr Ada One" in html and "Dr Ben Two" in html
        assert re.search(r"Last updated <time datetime=\"[^\"]+\">\d\d \w{3} \d{4}</time>", html)
        assert "pending human review" not in html.lower()
        assert '<article class="evidex-answer' in html and "Adult Asthma: Diagnosis and Management" in html
        for staff_only in (
            "expected_revision",
            "History",
            "Claim comments",
            "Check the dose table.",
            "Sign out",
        ):
            assert staff_only not in html, staff_only
        assert 'href="/editorial"' not in html and 'href="/login"' in html

    # the evidence moves: back to review for staff, still readable (with a notice) for readers
    editorial_app.state.editorial.flag_evidence_change(
        article.rsplit("/", 1)[1], "a cited guideline was updated"
    )
    with TestClient(editorial_app) as reader:
        html = reader.get(article).text
        assert (
            "The evidence behind this article has changed" in html and "a cited guideline was updated" in html
        )
        assert ">Published<" in html
    staff_page = editor.get(article).text
    assert ">Submitted<" in staff_page and "Content pending human review" in staff_page
    assert "The evidence behind this article has changed" in staff_page


def test_the_dashboard_counts_and_queues_articles_by_status(
    staff: Staff, sign_in: SignIn, saved_answer_id: str
) -> None:
    editor = sign_in(staff.editor)
    article = _create(editor, saved_answer_id)
    _act(editor, article, "submit")
    page = editor.get("/editorial")
    assert page.status_code == 200
    html = page.text
    _no_inline_code(html)
    for label in (
        "Submitted",
        "Under review",
        "Changes requested",
        "Approved by the Medical Advisory Board",
        "Published",
    ):
        assert f">{label}</a> <strong>" in html, label
    submitted = html.split('id="queue-submitted"', 1)[1].split("</section>", 1)[0]
    assert f'href="{article}"' in submitted
    assert 'id="my-articles"' in html and 'id="my-reviews"' not in html  # editors do not review
    reviewer_page = sign_in(staff.reviewer).get("/editorial").text
    assert 'id="my-reviews"' in reviewer_page and 'id="my-articles"' not in reviewer_page


def test_the_editorial_policy_states_the_configured_sign_offs(web_library: Library) -> None:
    with TestClient(create_app(web_library, preset="fast", rate_limit=0, signoffs_required=3)) as reader:
        page = reader.get("/editorial-policy")
        assert page.status_code == 200
        html = page.text
        _no_inline_code(html)
        assert "<strong>3</strong> different reviewers" in html
        for heading in (
            "How answers are composed",
            "How answers are verified",
            "What review means",
            "Sign-offs required",
            "When the evidence changes",
            "Corrections",
            "Disclaimer",
        ):
            assert f">{heading}</h2>" in html, heading
        assert "Educational purpose only" in html and 'href="/editorial-policy"' in html


def test_every_page_links_articles_and_the_account_state(
    editorial_app: FastAPI, staff: Staff, sign_in: SignIn
) -> None:
    with TestClient(editorial_app) as reader:
        home = reader.get("/").text
        assert 'href="/articles"' in home and 'href="/login"' in home and 'href="/editorial"' not in home
    signed_in = sign_in(staff.reviewer).get("/").text
    assert 'href="/editorial"' in signed_in and 'action="/logout"' in signed_in and "Dr Ada One" in signed_in


def test_an_editor_writes_a_new_version_from_the_article_page(
    staff: Staff, sign_in: SignIn, saved_answer_id: str
) -> None:
    editor, reviewer = sign_in(staff.editor), sign_in(staff.reviewer)
    article = _create(editor, saved_answer_id)
    page = editor.get(article).text
    assert "Write a new version" in page and "version 2, in draft" in page
    assert "Write a new version" not in reviewer.get(article).text  # reviewers do not write versions
    refused = reviewer.post(f"{article}/versions", data={"expected_revision": str(_revision(page))})
    assert refused.status_code == 403
    stale = editor.post(f"{article}/versions", data={"expected_revision": "0"})
    assert stale.status_code == 409 and "reload it and try again" in stale.text
    written = editor.post(
        f"{article}/versions", data={"expected_revision": str(_revision(page))}, follow_redirects=False
    )
    assert written.status_code == 303 and written.headers["location"] == article
    after = editor.get(article).text
    assert "Sign-offs for version 2" in after and "version 3, in draft" in after
    _act(editor, article, "submit")
    _act(reviewer, article, "start_review")
    assert "Write a new version" not in editor.get(article).text  # not while under review
