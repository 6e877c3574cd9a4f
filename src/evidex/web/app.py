"""The FastAPI application: JSON API under /api, pages at /, static files cached, guards on every request.

`create_app` takes an open library so tests and `evidex serve` build the same app; the answer engine is
created once and kept warm, so only the first answer pays for loading models.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from evidex import __version__
from evidex.answer.live import LiveSearch
from evidex.editorial.recheck import recheck
from evidex.editorial.service import EditorialService
from evidex.llm.protocol import ChatModel
from evidex.search.retriever import Retriever
from evidex.search.settings import RetrievalSettings
from evidex.store.accounts import AccountStore
from evidex.store.library import Library
from evidex.web import api, editorial_api, editorial_pages, pages
from evidex.web.ratelimit import RateLimiter
from evidex.web.service import AnswerService

STATIC_DIR = Path(__file__).parent / "static"
STATIC_MAX_AGE = 86_400

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
}


class GuardMiddleware:
    """Refuses bodies over the size limit (413, before the app reads them) and adds security headers."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._too_large(scope, receive, send)
            return
        if declared is None and scope["method"] in ("POST", "PUT", "PATCH"):
            # no declared length (chunked): read up to the limit here, then replay it to the app
            body = bytearray()
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > self.max_bytes:
                    await self._too_large(scope, receive, send)
                    return
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if replayed:
                    return await receive()
                replayed = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}

            receive = replay

        async def guarded_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, guarded_send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": f"request body too large: at most {self.max_bytes} bytes; send a shorter question"},
            status_code=413,
        )
        await response(scope, receive, send)


class CachedStatic(StaticFiles):
    """Static files with a long cache lifetime; pages link them with ?v=<version> so upgrades refetch."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = f"public, max-age={STATIC_MAX_AGE}"
        return response


def create_app(
    library: Library,
    preset: str = "default",
    rate_limit: int = 60,
    max_request_bytes: int = 16_384,
    failed_claims: str = "drop",
    signoffs_required: int = 2,
    live: LiveSearch | None = None,
    llm: ChatModel | None = None,
) -> FastAPI:
    app = FastAPI(
        title="Evidex",
        version=__version__,
        summary="Clinical evidence answers with verified citations, from a local evidence library.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    editorial = EditorialService(library.records.engine, signoffs_required)

    def recheck_articles() -> object:
        # new evidence from a live PubMed search is weighed against approved articles, as after an
        # ingest (editorial/recheck.py); the answer service calls this under its lock
        return recheck(editorial, library, Retriever(library, RetrievalSettings.preset("default")))

    app.state.service = AnswerService(library, preset, failed_claims, live, llm, recheck_articles)
    app.state.limiter = RateLimiter(rate_limit)
    app.state.accounts = AccountStore(library.records.engine)
    app.state.editorial = editorial
    app.include_router(api.router)
    app.include_router(editorial_api.router)
    app.include_router(pages.router)
    app.include_router(editorial_pages.router)
    app.mount("/static", CachedStatic(directory=STATIC_DIR), name="static")
    app.add_middleware(GuardMiddleware, max_bytes=max_request_bytes)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api") or request.url.path.startswith("/static"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        title = {404: "Not found", 429: "Too many requests"}.get(exc.status_code, "Request refused")
        return pages.templates.TemplateResponse(
            request,
            "error.html",
            {"title": title, "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'] if p != 'body')}: {err['msg']}" for err in exc.errors()
        )
        errors = jsonable_encoder(exc.errors(), exclude={"input", "ctx", "url"})
        return JSONResponse({"detail": f"invalid request: {problems}", "errors": errors}, 422)

    return app
