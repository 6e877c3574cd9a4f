"""The JSON API: answers, search, documents, health and version, with an OpenAPI schema at /openapi.json.

Errors are JSON `{"detail": ...}` with the status that says whose fault it was: 400 for a question or
query with nothing to answer, 404 for an unknown id, 413 for an oversized body, 422 for a malformed one,
429 past the rate limit (with Retry-After).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from evidex import __version__
from evidex.answer.analysis import QuestionError
from evidex.models import ANSWER_SCHEMA_VERSION, Answer, Audience, Document, EvidenceKind, Passage, SearchHit
from evidex.search.query import QueryError
from evidex.search.retriever import SearchFilters
from evidex.store.answers import SavedAnswer
from evidex.web.limits import limit
from evidex.web.service import MAX_QUESTION_CHARS, MAX_SEARCH_K, AnswerService, NotFound

router = APIRouter(prefix="/api", tags=["api"])

AnswerId = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]


class AnswerRequest(BaseModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description="The clinical question.")
    audience: Audience = Field(default=Audience.CLINICIAN, description="Who the page is written for.")
    follow_up_of: AnswerId | None = Field(
        default=None, description="Id of an earlier answer whose entities carry into this question."
    )


class AnswerResource(BaseModel):
    id: str
    url: str
    parent_id: str | None
    created_at: str
    answer: Answer


class SearchResponse(BaseModel):
    query: str
    preset: str
    hits: list[SearchHit]


class PassageOut(BaseModel):
    id: int
    passage: Passage


class DocumentResource(BaseModel):
    document: Document
    passages: list[PassageOut]


class Health(BaseModel):
    status: str
    documents: int
    passages: int
    answers: int


class Version(BaseModel):
    version: str
    answer_schema: str


def service(request: Request) -> AnswerService:
    svc: AnswerService = request.app.state.service
    return svc


def resource(saved: SavedAnswer) -> AnswerResource:
    return AnswerResource(
        id=saved.id,
        url=f"/answers/{saved.id}",
        parent_id=saved.parent_id,
        created_at=saved.created_at.isoformat(),
        answer=saved.answer,
    )


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    svc = service(request)
    counts = svc.counts()
    return Health(status="ok", answers=svc.answers.count(), **counts)


@router.get("/version", response_model=Version)
def version() -> Version:
    return Version(version=__version__, answer_schema=ANSWER_SCHEMA_VERSION)


@router.post("/answers", response_model=AnswerResource, status_code=201)
def create_answer(body: AnswerRequest, request: Request) -> AnswerResource:
    """Answer a question from the library; the page is saved and readable at its `url`."""
    limit(request)
    try:
        saved = service(request).answer(body.question, body.audience, body.follow_up_of)
    except QuestionError as exc:
        raise HTTPException(400, str(exc)) from exc
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return resource(saved)


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


@router.get("/answers/stream", response_class=StreamingResponse)
async def stream_answer(
    request: Request,
    question: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS)],
    audience: Audience = Audience.CLINICIAN,
    follow_up_of: Annotated[str | None, Query(max_length=32)] = None,
) -> StreamingResponse:
    """Server-sent events while an answer is composed: `stage` (queued, analysing, retrieving, composing,
    verifying), then
    `answer` with the saved page's id and url, or `error` with what was wrong."""
    limit(request)
    svc = service(request)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def progress(stage: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, _event("stage", {"stage": stage}))

    async def work() -> None:
        try:
            saved = await run_in_threadpool(svc.answer, question, audience, follow_up_of or None, progress)
            queue.put_nowait(_event("answer", {"id": saved.id, "url": f"/answers/{saved.id}"}))
        except (QuestionError, NotFound) as exc:
            queue.put_nowait(_event("error", {"detail": str(exc)}))
        except Exception:  # the client must hear that it failed rather than wait forever
            queue.put_nowait(_event("error", {"detail": "the answer could not be composed; try again"}))
            raise
        finally:
            queue.put_nowait(None)

    task = asyncio.create_task(work())

    async def events() -> AsyncIterator[str]:
        yield _event("stage", {"stage": "queued"})
        while (item := await queue.get()) is not None:
            yield item
        await task

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/answers/{answer_id}", response_model=AnswerResource)
def get_answer(answer_id: str, request: Request) -> AnswerResource:
    try:
        return resource(service(request).saved(answer_id))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc


@router.get("/search", response_model=SearchResponse)
def search(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS, description="Search text.")],
    k: Annotated[int, Query(ge=1, le=MAX_SEARCH_K)] = 10,
    kind: Annotated[list[EvidenceKind] | None, Query(description="Only these evidence kinds.")] = None,
    source: Annotated[list[str] | None, Query(description="Only these sources, e.g. ngc.")] = None,
    year_from: Annotated[int | None, Query(ge=1800, le=2100)] = None,
    year_to: Annotated[int | None, Query(ge=1800, le=2100)] = None,
    exclude_retracted: bool = False,
    preset: Annotated[str | None, Query(pattern="^(fast|default|best|bm25)$")] = None,
) -> SearchResponse:
    """Ranked passages with their documents' facts, filtered by kind, source, year and retraction."""
    limit(request)
    if year_from is not None and year_to is not None and year_from > year_to:
        raise HTTPException(400, f"year_from ({year_from}) is after year_to ({year_to})")
    filters = SearchFilters(
        kinds=tuple(kind or ()),
        sources=tuple(source or ()),
        year_from=year_from,
        year_to=year_to,
        include_retracted=not exclude_retracted,
    )
    svc = service(request)
    try:
        hits = svc.search(q, k, filters, preset)
    except QueryError as exc:
        raise HTTPException(400, str(exc)) from exc
    return SearchResponse(query=q, preset=preset or svc.preset, hits=hits)


@router.get("/documents/{document_id:path}", response_model=DocumentResource)
def get_document(document_id: str, request: Request) -> DocumentResource:
    try:
        view = service(request).document(document_id)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return DocumentResource(
        document=view.document, passages=[PassageOut(id=i, passage=p) for i, p in view.passages]
    )
