"""Editorial pages: sign in and out, the dashboard, articles for readers and staff, the editorial policy.

Readers (not signed in) see published articles only, in their published version, with the reviewers who
approved them. Editors and reviewers sign in with a session cookie and see every article in its current
version, with the actions their role allows as form buttons; every form posts and redirects (303), so the
pages work without JavaScript. Every POST checks the Origin header against the Host (see `auth`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from evidex.answer.render import render_html
from evidex.editorial import service as ed
from evidex.editorial.workflow import RULES, Action, Status
from evidex.models import Audience
from evidex.store.accounts import Role, User
from evidex.web import auth
from evidex.web.editorial_api import (
    actions_for,
    approvers,
    current_signoffs,
    http_error,
    library_state,
    reader_article,
    reader_summary,
    saved_answer,
    version_diff,
)
from evidex.web.limits import limit
from evidex.web.pages import document_href, not_found, templates

router = APIRouter(include_in_schema=False)

ACTION_LABELS = {
    Action.SUBMIT: "Submit for review",
    Action.START_REVIEW: "Start review",
    Action.SIGN_OFF: "Sign off",
    Action.REQUEST_CHANGES: "Request changes",
    Action.REJECT: "Reject",
    Action.PUBLISH: "Publish",
    Action.UNPUBLISH: "Unpublish",
}
QUEUES = (
    Status.SUBMITTED,
    Status.UNDER_REVIEW,
    Status.CHANGES_REQUESTED,
    Status.APPROVED,
    Status.PUBLISHED,
    Status.DRAFT,
    Status.REJECTED,
)
REVIEWED = (Status.APPROVED, Status.PUBLISHED)
LOGIN_FAILED = "Wrong username or password, or the account is deactivated. Check both and try again."


def _user_context(request: Request) -> dict[str, Any]:
    """Every page knows who is signed in, for the navigation and the answer page's "Create article"."""
    user = auth.session_user(request)
    return {
        "me": user,
        "me_editor": bool(user and user.can(Role.EDITOR)),
        "me_reviewer": bool(user and user.can(Role.REVIEWER)),
    }


templates.context_processors.append(_user_context)


def _date(value: Any) -> str:
    return str(value.strftime("%d %b %Y"))


def _datetime(value: Any) -> str:
    return str(value.strftime("%d %b %Y %H:%M UTC"))


templates.env.filters["date"] = _date
templates.env.filters["datetime"] = _datetime


# -- signing in and out ------------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/editorial") -> HTMLResponse:
    return templates.TemplateResponse(
        request, "login.html", {"next": auth.safe_next(next), "username": "", "error": None}
    )


@router.post("/login", response_model=None)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1_024)] = "",
    next: Annotated[str, Form(max_length=2_000)] = "/editorial",
) -> Response:
    """Check the password; the same message whether the user exists or not, so names cannot be probed."""
    auth.check_origin(request)
    limit(request)
    name = username.strip().lower()
    user = auth.accounts(request).authenticate(name, password) if name and password else None
    if user is None:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": auth.safe_next(next), "username": username, "error": LOGIN_FAILED},
            status_code=401,
        )
    response = RedirectResponse(auth.safe_next(next), status_code=303)
    auth.start_session(request, response, user)
    return response


@router.post("/logout", response_model=None)
def logout(request: Request) -> Response:
    auth.check_origin(request)
    response = RedirectResponse("/", status_code=303)
    auth.end_session(request, response)
    return response


# -- the dashboard -----------------------------------------------------------------------------------


@router.get("/editorial", response_model=None)
def dashboard(request: Request) -> Response:
    user = auth.session_user(request)
    if user is None:
        return auth.login_redirect(request)
    svc = auth.editorial(request)
    everything = svc.articles()
    counts = svc.counts()
    queues = [(status, [a for a in everything if a.status is status]) for status in QUEUES]
    awaiting: list[ed.Article] = []
    signed: list[ed.Article] = []
    if user.can(Role.REVIEWER):
        given = svc.signoffs_by(user.username)
        for article in everything:
            offs = given.get(article.id, [])
            if offs:
                signed.append(article)
            mine_now = any(
                s.version == article.current_version and s.review_round == article.review_round for s in offs
            )
            if article.status in (Status.SUBMITTED, Status.UNDER_REVIEW) and not mine_now:
                awaiting.append(article)
    own = [a for a in everything if a.created_by == user.username] if user.can(Role.EDITOR) else []
    return templates.TemplateResponse(
        request,
        "editorial_dashboard.html",
        {
            "user": user,
            "counts": [(s, counts.get(s.value, 0)) for s in QUEUES],
            "total": len(everything),
            "queues": queues,
            "awaiting": awaiting,
            "signed": signed,
            "own": own,
            "reviewer": user.can(Role.REVIEWER),
            "editor": user.can(Role.EDITOR),
        },
    )


# -- articles ----------------------------------------------------------------------------------------


@router.get("/articles", response_class=HTMLResponse)
def articles_page(request: Request) -> HTMLResponse:
    svc = auth.editorial(request)
    published = [reader_summary(svc, a) for a in svc.articles(published_only=True)]
    return templates.TemplateResponse(request, "articles.html", {"articles": published})


def _staff_context(
    request: Request, user: User, article_id: str, error: str | None = None, comment: str = ""
) -> dict[str, Any]:
    """Everything the staff view of an article shows; raises ed.NotFound for an unknown id."""
    svc = auth.editorial(request)
    article = svc.article(article_id)
    version = svc.version(article_id)
    signed = current_signoffs(svc, article)
    claims = [
        (f"{i}.{j}", claim.text)
        for i, section in enumerate(version.answer.sections, start=1)
        for j, claim in enumerate(section.claims, start=1)
    ]
    changes = None
    if version.number > 1:
        changes = version_diff(svc, article_id, version.number - 1, version.number)
    actions = actions_for(user, article, version.created_by, signed)
    return {
        "staff": True,
        "article": article,
        "article_id": article.id,
        "status_value": article.status.value,
        "status_label": article.status.label,
        "pending": article.status not in REVIEWED,
        "version_number": version.number,
        "version_author": version.created_by,
        "last_updated": article.updated_at,
        "evidence_changed": article.evidence_changed,
        "html": render_html(version.answer, document_href=document_href, follow_ups=False),
        "question": version.answer.question,
        "signed": [(s.display_name, s.at) for s in signed],
        "signoffs_required": svc.signoffs_required,
        "approvers": [(s.display_name, s.at) for s in approvers(svc, article.id, article.published_version)]
        if article.published_version
        else [],
        "history": svc.history(article_id),
        "comments": svc.comments(article_id),
        "claims": claims,
        "actions": [(a.value, ACTION_LABELS[a], RULES[a].needs_comment) for a in actions],
        "needs_comment": ", ".join(ACTION_LABELS[a].lower() for a in actions if RULES[a].needs_comment),
        "can_comment": user.can(Role.REVIEWER),
        "diff": changes,
        "error": error,
        "comment": comment,
    }


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, article_id: str) -> HTMLResponse:
    user = auth.session_user(request)
    svc = auth.editorial(request)
    try:
        if user is not None:
            context = _staff_context(request, user, article_id)
            return templates.TemplateResponse(request, "article.html", context)
        view = reader_article(svc, article_id)
    except ed.NotFound:
        return not_found(request, f"no published article {article_id!r}")
    return templates.TemplateResponse(
        request,
        "article.html",
        {
            "staff": False,
            "article_id": view.id,
            "status_value": Status.PUBLISHED.value,
            "status_label": view.status_label,
            "pending": False,
            "version_number": view.version,
            "last_updated": view.last_updated,
            "evidence_changed": view.evidence_changed,
            "html": render_html(view.answer, document_href=document_href, follow_ups=False),
            "question": view.question,
            "approvers": [(r.display_name, r.signed_at) for r in view.reviewers],
        },
    )


def _refused(request: Request, user: User, article_id: str, exc: ed.EditorialError, comment: str) -> Response:
    """The article page again, with the reason the workflow refused and the comment kept."""
    status = http_error(exc).status_code
    try:
        context = _staff_context(request, user, article_id, error=str(exc), comment=comment)
    except ed.NotFound:
        return not_found(request, str(exc))
    return templates.TemplateResponse(request, "article.html", context, status_code=status)


@router.post("/articles/{article_id}/actions", response_model=None)
def article_action(
    request: Request,
    article_id: str,
    action: Annotated[str, Form(max_length=32)] = "",
    comment: Annotated[str, Form(max_length=ed.MAX_COMMENT)] = "",
    expected_revision: Annotated[int | None, Form()] = None,
) -> Response:
    auth.check_origin(request)
    user = auth.session_user(request)
    if user is None:
        return auth.login_redirect(request)
    try:
        chosen = Action(action)
    except ValueError:
        return _refused(request, user, article_id, ed.EditorialError(f"unknown action {action!r}"), comment)
    try:
        auth.editorial(request).act(user, article_id, chosen, comment, expected_revision)
    except ed.EditorialError as exc:
        return _refused(request, user, article_id, exc, comment)
    return RedirectResponse(f"/articles/{article_id}", status_code=303)


@router.post("/articles/{article_id}/comments", response_model=None)
def claim_comment(
    request: Request,
    article_id: str,
    claim: Annotated[str, Form(max_length=8)] = "",
    body: Annotated[str, Form(max_length=ed.MAX_COMMENT)] = "",
) -> Response:
    auth.check_origin(request)
    user = auth.session_user(request)
    if user is None:
        return auth.login_redirect(request)
    try:
        auth.editorial(request).comment_claim(user, article_id, claim, body)
    except ed.EditorialError as exc:
        return _refused(request, user, article_id, exc, "")
    return RedirectResponse(f"/articles/{article_id}#comments", status_code=303)


@router.post("/articles/{article_id}/versions", response_model=None)
def new_version(
    request: Request, article_id: str, expected_revision: Annotated[int | None, Form()] = None
) -> Response:
    """Answer the article's question again from the library as it is now: the next version, in draft."""
    auth.check_origin(request)
    user = auth.session_user(request)
    if user is None:
        return auth.login_redirect(request)
    if not user.can(Role.EDITOR):
        raise HTTPException(403, f"{user.username} ({user.role.value}) may not write new versions")
    editorial = auth.editorial(request)
    try:
        article = editorial.article(article_id)
    except ed.EditorialError as exc:
        raise http_error(exc) from exc
    limit(request)
    saved = request.app.state.service.answer(article.question, Audience(article.audience))
    try:
        editorial.new_version(user, article_id, saved.answer, library_state(request), expected_revision)
    except ed.EditorialError as exc:
        return _refused(request, user, article_id, exc, "")
    return RedirectResponse(f"/articles/{article_id}", status_code=303)


@router.post("/answers/{answer_id}/article", response_model=None)
def create_article(request: Request, answer_id: str) -> Response:
    """ "Create article from this answer": a new draft, for editors and admins."""
    auth.check_origin(request)
    user = auth.session_user(request)
    if user is None:
        return auth.login_redirect(request)
    if not user.can(Role.EDITOR):
        raise HTTPException(403, f"{user.username} ({user.role.value}) may not create articles")
    answer = saved_answer(request, answer_id)
    try:
        article = auth.editorial(request).create_article(user, answer, library_state(request))
    except ed.EditorialError as exc:
        raise http_error(exc) from exc
    return RedirectResponse(f"/articles/{article.id}", status_code=303)


# -- the policy --------------------------------------------------------------------------------------


@router.get("/editorial-policy", response_class=HTMLResponse)
def policy_page(request: Request) -> HTMLResponse:
    required = auth.editorial(request).signoffs_required
    return templates.TemplateResponse(request, "policy.html", {"signoffs_required": required})
