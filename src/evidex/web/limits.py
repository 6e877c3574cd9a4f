"""Request guards shared by the API and the pages: rate limit per client and request size."""

from __future__ import annotations

from fastapi import HTTPException, Request

from evidex.web.ratelimit import RateLimiter


def client_key(request: Request) -> str:
    """The client's address; behind a proxy, run uvicorn with --proxy-headers so this is the real one."""
    return request.client.host if request.client else "unknown"


def limit(request: Request) -> None:
    """Spend one of the client's answer/search tokens or refuse with 429 and Retry-After."""
    limiter: RateLimiter = request.app.state.limiter
    wait = limiter.take(client_key(request))
    if wait > 0:
        raise HTTPException(
            429,
            f"too many requests: at most {limiter.per_minute} answers and searches a minute; "
            f"retry in {RateLimiter.retry_after(wait)} s",
            headers={"Retry-After": RateLimiter.retry_after(wait)},
        )
