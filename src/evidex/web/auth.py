"""Who is asking: a web session (cookie) for the pages, an API token (Bearer) for scripts.

Sessions live in the `evidex_session` cookie: HttpOnly, SameSite=Strict, Secure when the request came
over https, holding a random token whose hash is all the database keeps. A cookie is sent by the browser
on its own, so every state-changing request authenticated by it also checks the Origin header (when the
browser sends one) against the Host it was sent to — a cheap guard against cross-site forms, on top of
SameSite. A Bearer token is never sent by a browser on its own, so API calls with one need no such check.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote, urlsplit

from fastapi import HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from evidex.editorial.service import EditorialService
from evidex.store.accounts import SESSION_DAYS, AccountStore, User

SESSION_COOKIE = "evidex_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Via = Literal["session", "token"]

_UNSET = object()


def accounts(request: Request) -> AccountStore:
    store: AccountStore = request.app.state.accounts
    return store


def editorial(request: Request) -> EditorialService:
    svc: EditorialService = request.app.state.editorial
    return svc


def _bearer(request: Request) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; "" for any other Authorization header."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def session_user(request: Request) -> User | None:
    """The user of the request's session cookie, or None (no cookie, expired, signed out, deactivated)."""
    cached = getattr(request.state, "evidex_session_user", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    token = request.cookies.get(SESSION_COOKIE)
    user = None
    if token and hasattr(request.app.state, "accounts"):
        user = accounts(request).session_user(token)
    request.state.evidex_session_user = user
    return user


def check_origin(request: Request) -> None:
    """Refuse (403) a state-changing request whose Origin names another site than the Host it reached."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise HTTPException(403, "cross-site request refused: submit the form from this site")
    if origin is None:
        return
    host = request.headers.get("host", "").lower()
    parts = urlsplit(origin)
    if origin == "null" or parts.scheme not in ("http", "https") or parts.netloc.lower() != host:
        raise HTTPException(403, "cross-site request refused: submit the form from this site")


def api_credentials(request: Request) -> tuple[User, Via] | None:
    """The caller of an API request: a Bearer token first, else the session cookie (Origin-checked).

    A request that presents a token which is wrong, revoked or of a deactivated account gets 401, never
    the anonymous reader's view, so a broken script fails loudly.
    """
    token = _bearer(request)
    if token is not None:
        user = accounts(request).token_user(token) if token else None
        if user is None:
            raise HTTPException(
                401,
                "invalid API token: it is wrong, revoked or its account is deactivated; ask an admin for one",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        return user, "token"
    user = session_user(request)
    if user is None:
        return None
    check_origin(request)
    return user, "session"


def api_user(request: Request) -> User | None:
    found = api_credentials(request)
    return found[0] if found else None


def unauthorized() -> HTTPException:
    return HTTPException(
        401,
        "sign in required: send Authorization: Bearer <token>, or sign in on /login",
        headers={"WWW-Authenticate": "Bearer"},
    )


def require_api_user(request: Request) -> User:
    """The caller, or 401 with WWW-Authenticate when the request carries no credentials."""
    user = api_user(request)
    if user is None:
        raise unauthorized()
    return user


def safe_next(target: str | None, default: str = "/editorial") -> str:
    """A local path to return to after signing in; anything that could leave the site becomes `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 32 for c in target):
        return default
    return target


def login_redirect(request: Request) -> RedirectResponse:
    """Send a signed-out visitor to the sign-in page, to come back here afterwards."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in SAFE_METHODS:
        here = request.headers.get("referer", "") or request.url.path
        here = urlsplit(here).path or request.url.path
    return RedirectResponse("/login?next=" + quote(safe_next(here), safe="/"), status_code=303)


def start_session(request: Request, response: Response, user: User) -> None:
    """Sign `user` in: a fresh session token (never the one the browser came with) in the cookie."""
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        accounts(request).close_session(old)
    token = accounts(request).open_session(user)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_DAYS * 86_400,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def end_session(request: Request, response: Response) -> None:
    """Sign out: the session is deleted on the server, so a copied cookie no longer works either."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts(request).close_session(token)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    request.state.evidex_session_user = None
