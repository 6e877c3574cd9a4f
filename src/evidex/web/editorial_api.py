"""The editorial JSON API: articles made from saved answers, their review, and who is asking.

Readers (no credentials) see published articles only, in their published version; an unpublished
article is a 404 to them, the same as one that does not exist. Staff (a Bearer API token, or the web
session cookie) see every article with its current version, history, sign-offs, claim comments and the
actions their role allows now. Errors are `{"detail": ...}`: 401 without (or with wrong) credentials,
403 when the role forbids the action or the request came from another site, 404 for an unknown id,
409 when the article changed since it was read (stale `expected_revision`) or the action does not fit
its status, 400 for a request the workflow refuses for another reason (a missing comment).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from evidex.editorial import service as ed
from evidex.editorial.diff import VersionDiff, diff
from evidex.editorial.service import Article, EditorialService, SignOff, Transition
from evidex.editorial.workflow import Action, Status, allowed_actions
from evidex.models import Answer
from evidex.store.accounts import Role, User
from evidex.web import auth
from evidex.web.api import AnswerId
from evidex.web.service import AnswerService
from evidex.web.service import NotFound as AnswerNotFound

router = APIRouter(prefix="/api", tags=["editorial"])

ArticleId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
EDITOR_ROLES = (Role.EDITOR,)
REVIEWER_ROLES = (Role.REVIEWER,)


# -- shared with the pages ---------------------------------------------------------------------------


def http_error(exc: ed.EditorialError) -> HTTPException:
    """The status that says whose fault a workflow refusal was."""
    if isinstance(exc, ed.Forbidden):
        return HTTPException(403, str(exc))
    if isinstance(exc, ed.NotFound):
        return HTTPException(404, str(exc))
    if isinstance(exc, ed.Conflict):
        return HTTPException(409, str(exc))
    return HTTPException(400, str(exc))


def approvers(svc: EditorialService, article_id: str, version: int) -> list[SignOff]:
    """The reviewers who approved `version`: its latest review round with enough sign-offs."""
    rounds: dict[int, list[SignOff]] = {}
    for signoff in svc.signoffs(article_id, version):
        rounds.setdefault(signoff.review_round, []).append(signoff)
    for number in sorted(rounds, reverse=True):
        if len(rounds[number]) >= svc.signoffs_required:
            return rounds[number]
    return rounds[max(rounds)] if rounds else []


def current_signoffs(svc: EditorialService, article: Article) -> list[SignOff]:
    """Sign-offs that count toward approving the current version in the current review round."""
    return [
        s for s in svc.signoffs(article.id, article.current_version) if s.review_round == article.review_round
    ]


def published_at(article: Article, history: list[Transition]) -> datetime:
    """When the version readers see was published (the article's last change when unknown)."""
    for step in reversed(history):
        if step.action == Action.PUBLISH.value and step.version == article.published_version:
            return step.at
    return article.updated_at


def actions_for(user: User, article: Article, author: str, signed: list[SignOff]) -> list[Action]:
    """The workflow actions `user` may take now; no sign-off on one's own version or a second time."""
    actions = allowed_actions(article.status, user.role) if user.active else []
    if user.username == author or any(s.reviewer == user.username for s in signed):
        actions = [a for a in actions if a is not Action.SIGN_OFF]
    return actions


def answer_service(request: Request) -> AnswerService:
    svc: AnswerService = request.app.state.service
    return svc


def saved_answer(request: Request, answer_id: str) -> Answer:
    try:
        return answer_service(request).saved(answer_id).answer
    except AnswerNotFound as exc:
        raise HTTPException(404, str(exc)) from exc


def library_state(request: Request) -> dict[str, Any]:
    return answer_service(request).library.records.state()


def version_diff(svc: EditorialService, article_id: str, old: int, new: int) -> VersionDiff:
    return diff(svc.version(article_id, old).answer, svc.version(article_id, new).answer)


# -- resources ---------------------------------------------------------------------------------------


class Me(BaseModel):
    username: str
    display_name: str
    role: Role
    via: str = Field(description="How the request was authenticated: session (cookie) or token (Bearer).")


class Reviewer(BaseModel):
    display_name: str
    signed_at: datetime


class ReaderSummary(BaseModel):
    id: str
    url: str
    question: str
    audience: str
    status_label: str
    version: int
    last_updated: datetime


class ReaderArticle(BaseModel):
    """What a reader sees: the published version, who approved it, and whether its evidence moved."""

    id: str
    url: str
    question: str
    audience: str
    status_label: str
    version: int
    last_updated: datetime
    reviewers: list[Reviewer]
    evidence_changed: str | None
    answer: Answer


class StaffSummary(BaseModel):
    id: str
    url: str
    question: str
    audience: str
    status: Status
    status_label: str
    revision: int = Field(description="Send back as expected_revision so a concurrent change gives 409.")
    current_version: int
    published_version: int | None
    created_by: str
    updated_at: datetime
    evidence_changed: str | None


class SignOffOut(BaseModel):
    version: int
    review_round: int
    reviewer: str
    display_name: str
    at: datetime


class TransitionOut(BaseModel):
    version: int
    action: str
    from_status: str
    to_status: str
    user: str
    comment: str
    at: datetime


class CommentOut(BaseModel):
    version: int
    claim: str
    user: str
    body: str
    at: datetime


class VersionOut(BaseModel):
    number: int
    created_by: str
    created_at: datetime
    library_state: dict[str, Any]
    answer: Answer


class StaffArticle(StaffSummary):
    """The whole record for editors and reviewers, with the actions the caller may take now."""

    review_round: int
    created_at: datetime
    signoffs_required: int
    version: VersionOut
    signoffs: list[SignOffOut] = Field(description="Every sign-off of every version and round.")
    history: list[TransitionOut]
    comments: list[CommentOut]
    allowed_actions: list[Action]


class DiffOut(BaseModel):
    from_version: int
    to_version: int
    claims_added: list[str]
    claims_removed: list[str]
    references_added: list[str]
    references_removed: list[str]
    verdict: tuple[str | None, str | None] | None


class CreateArticle(BaseModel):
    answer_id: AnswerId = Field(description="Id of a saved answer (as in /api/answers/{id}).")


class NewVersion(BaseModel):
    answer_id: AnswerId
    expected_revision: int | None = None


class ActionRequest(BaseModel):
    action: Action
    comment: str = Field(default="", max_length=ed.MAX_COMMENT)
    expected_revision: int | None = Field(
        default=None, description="The revision you read; if the article changed since, 409."
    )


class CommentRequest(BaseModel):
    claim: str = Field(pattern=r"^[1-9][0-9]{0,2}\.[1-9][0-9]{0,2}$", description="section.claim, e.g. 1.2")
    body: str = Field(min_length=1, max_length=ed.MAX_COMMENT)


def _url(article_id: str) -> str:
    return f"/articles/{article_id}"


def reader_article(svc: EditorialService, article_id: str) -> ReaderArticle:
    article, version = svc.published(article_id)
    return ReaderArticle(
        id=article.id,
        url=_url(article.id),
        question=version.answer.question,
        audience=version.answer.audience.value,
        status_label=Status.PUBLISHED.label,
        version=version.number,
        last_updated=published_at(article, svc.history(article.id)),
        reviewers=[
            Reviewer(display_name=s.display_name, signed_at=s.at)
            for s in approvers(svc, article.id, version.number)
        ],
        evidence_changed=article.evidence_changed,
        answer=version.answer,
    )


def staff_article(svc: EditorialService, article_id: str, user: User) -> StaffArticle:
    article = svc.article(article_id)
    version = svc.version(article_id)
    return StaffArticle(
        **_staff_summary(article).model_dump(),
        review_round=article.review_round,
        created_at=article.created_at,
        signoffs_required=svc.signoffs_required,
        version=VersionOut(
            number=version.number,
            created_by=version.created_by,
            created_at=version.created_at,
            library_state=version.library_state,
            answer=version.answer,
        ),
        signoffs=[SignOffOut(**vars(s)) for s in svc.signoffs(article_id)],
        history=[TransitionOut(**vars(t)) for t in svc.history(article_id)],
        comments=[CommentOut(**vars(c)) for c in svc.comments(article_id)],
        allowed_actions=actions_for(user, article, version.created_by, current_signoffs(svc, article)),
    )


def _staff_summary(article: Article) -> StaffSummary:
    return StaffSummary(
        id=article.id,
        url=_url(article.id),
        question=article.question,
        audience=article.audience,
        status=article.status,
        status_label=article.status.label,
        revision=article.revision,
        current_version=article.current_version,
        published_version=article.published_version,
        created_by=article.created_by,
        updated_at=article.updated_at,
        evidence_changed=article.evidence_changed,
    )


def reader_summary(svc: EditorialService, article: Article) -> ReaderSummary:
    assert article.published_version is not None
    return ReaderSummary(
        id=article.id,
        url=_url(article.id),
        question=article.question,
        audience=article.audience,
        status_label=Status.PUBLISHED.label,
        version=article.published_version,
        last_updated=published_at(article, svc.history(article.id)),
    )


# -- endpoints ---------------------------------------------------------------------------------------


@router.get("/me", response_model=Me)
def me(request: Request) -> Me:
    """Who the credentials belong to; 401 without them."""
    found = auth.api_credentials(request)
    if found is None:
        raise auth.unauthorized()
    user, via = found
    return Me(username=user.username, display_name=user.display_name, role=user.role, via=via)


@router.get("/articles", response_model=list[StaffSummary] | list[ReaderSummary])
def list_articles(
    request: Request, status: Annotated[Status | None, Query(description="Staff only: one status.")] = None
) -> list[StaffSummary] | list[ReaderSummary]:
    """Readers: published articles. Staff: every article, newest change first, optionally of one status."""
    svc = auth.editorial(request)
    user = auth.api_user(request)
    if user is None:
        return [reader_summary(svc, a) for a in svc.articles(published_only=True)]
    return [_staff_summary(a) for a in svc.articles(status)]


@router.post("/articles", response_model=StaffArticle, status_code=201)
def create_article(body: CreateArticle, request: Request) -> StaffArticle:
    """A new draft article (version 1) from a saved answer; editors and admins only."""
    user = auth.require_api_user(request)
    if not user.can(*EDITOR_ROLES):
        raise HTTPException(403, f"{user.username} ({user.role.value}) may not create articles")
    svc = auth.editorial(request)
    answer = saved_answer(request, body.answer_id)
    try:
        article = svc.create_article(user, answer, library_state(request))
    except ed.EditorialError as exc:
        raise http_error(exc) from exc
    return staff_article(svc, article.id, user)


@router.get("/articles/{article_id}", response_model=StaffArticle | ReaderArticle)
def get_article(article_id: str, request: Request) -> StaffArticle | ReaderArticle:
    """Readers: the published version (404 when none is published). Staff: the current version and more."""
    svc = auth.editorial(request)
    user = auth.api_user(request)
    try:
        if user is None:
            return reader_article(svc, article_id)
        return staff_article(svc, article_id, user)
    except ed.EditorialError as exc:
        raise http_error(exc) from exc


@router.post("/articles/{article_id}/actions", response_model=StaffArticle)
def act(article_id: str, body: ActionRequest, request: Request) -> StaffArticle:
    """Take one workflow action (submit, start_review, sign_off, request_changes, reject, publish,
    unpublish); request_changes, reject and unpublish need a comment."""
    user = auth.require_api_user(request)
    svc = auth.editorial(request)
    try:
        svc.act(user, article_id, body.action, body.comment, body.expected_revision)
        return staff_article(svc, article_id, user)
    except ed.EditorialError as exc:
        raise http_error(exc) from exc


@router.post("/articles/{article_id}/versions", response_model=StaffArticle, status_code=201)
def new_version(article_id: str, body: NewVersion, request: Request) -> StaffArticle:
    """A saved answer becomes the next version, back in draft; the published version stays visible."""
    user = auth.require_api_user(request)
    if not user.can(*EDITOR_ROLES):
        raise HTTPException(403, f"{user.username} ({user.role.value}) may not write new versions")
    svc = auth.editorial(request)
    answer = saved_answer(request, body.answer_id)
    try:
        svc.new_version(user, article_id, answer, library_state(request), body.expected_revision)
        return staff_article(svc, article_id, user)
    except ed.EditorialError as exc:
        raise http_error(exc) from exc


@router.post("/articles/{article_id}/comments", response_model=CommentOut, status_code=201)
def comment(article_id: str, body: CommentRequest, request: Request) -> CommentOut:
    """A reviewer's note on one claim of the current version."""
    user = auth.require_api_user(request)
    try:
        note = auth.editorial(request).comment_claim(user, article_id, body.claim, body.body)
    except ed.EditorialError as exc:
        raise http_error(exc) from exc
    return CommentOut(**vars(note))


@router.get("/articles/{article_id}/diff", response_model=DiffOut)
def get_diff(
    article_id: str,
    request: Request,
    from_version: Annotated[int | None, Query(alias="from", ge=1)] = None,
    to_version: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> DiffOut:
    """Claims and references added or removed between two versions (default: the previous and current)."""
    auth.require_api_user(request)
    svc = auth.editorial(request)
    try:
        article = svc.article(article_id)
        new = to_version or article.current_version
        old = from_version or max(new - 1, 1)
        changes = version_diff(svc, article_id, old, new)
    except ed.EditorialError as exc:
        raise http_error(exc) from exc
    return DiffOut(from_version=old, to_version=new, **vars(changes))
