"""Server-rendered pages: ask, answer (with follow-ups and audience switch), document, and errors.

Every page works without JavaScript (forms post and redirect); the small script in static/app.js adds the
streamed progress while an answer is composed and the citation pop-overs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from evidex import __version__
from evidex.answer.analysis import QuestionError
from evidex.answer.render import audience_label, render_html, safe_url
from evidex.models import DISCLAIMER, Audience
from evidex.web.api import service
from evidex.web.limits import limit
from evidex.web.service import MAX_QUESTION_CHARS, NotFound

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(
    version=__version__,
    disclaimer=DISCLAIMER,
    audiences=[(a.value, a.value.capitalize(), audience_label(a)) for a in Audience],
    max_question=MAX_QUESTION_CHARS,
)

router = APIRouter(include_in_schema=False)


def document_href(document_id: str) -> str:
    return "/documents/" + quote(document_id, safe=":")


def not_found(request: Request, message: str) -> HTMLResponse:
    return templates.TemplateResponse(
        request, "error.html", {"title": "Not found", "message": message}, status_code=404
    )


@router.get("/", response_class=HTMLResponse)
def ask_page(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "ask.html",
        {"recent": service(request).recent(), "question": "", "audience": Audience.CLINICIAN.value},
    )


@router.post("/answers", response_model=None)
async def ask(
    request: Request,
    question: Annotated[str, Form(max_length=MAX_QUESTION_CHARS)] = "",
    audience: Annotated[Audience, Form()] = Audience.CLINICIAN,
    follow_up_of: Annotated[str | None, Form(max_length=32)] = None,
) -> Response:
    """The no-script path: compose the answer, then redirect to its permalink (303, so reload is safe)."""
    limit(request)
    svc = service(request)
    try:
        saved = await run_in_threadpool(svc.answer, question, audience, follow_up_of or None)
    except (QuestionError, NotFound) as exc:
        return templates.TemplateResponse(
            request,
            "ask.html",
            {"recent": svc.recent(), "question": question, "audience": audience.value, "error": str(exc)},
            status_code=400 if isinstance(exc, QuestionError) else 404,
        )
    return RedirectResponse(f"/answers/{saved.id}", status_code=303)


@router.get("/answers/{answer_id}", response_class=HTMLResponse)
def answer_page(request: Request, answer_id: str) -> HTMLResponse:
    svc = service(request)
    try:
        saved = svc.saved(answer_id)
    except NotFound as exc:
        return not_found(request, str(exc))
    thread = svc.thread(answer_id)[:-1]
    article = render_html(saved.answer, document_href=document_href, follow_ups=False)
    return templates.TemplateResponse(
        request,
        "answer.html",
        {
            "saved": saved,
            "answer": saved.answer,
            "article": article,
            "thread": thread,
            "permalink": str(request.url_for("answer_page", answer_id=saved.id)),
        },
    )


@router.get("/documents/{document_id:path}", response_class=HTMLResponse)
def document_page(request: Request, document_id: str) -> HTMLResponse:
    try:
        view = service(request).document(document_id)
    except NotFound as exc:
        return not_found(request, str(exc))
    return templates.TemplateResponse(
        request,
        "document.html",
        {"document": view.document, "passages": view.passages, "safe_url": safe_url(view.document.url)},
    )
