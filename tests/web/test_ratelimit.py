"""Rate limiting: the token bucket on a fake clock, and 429 with Retry-After from the real app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evidex.store.library import Library
from evidex.web.app import create_app
from evidex.web.ratelimit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_minute_of_burst_then_the_steady_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(6, clock)  # 6 a minute: one token every 10 s
    assert [limiter.take("a") for _ in range(6)] == [0.0] * 6
    wait = limiter.take("a")
    assert 9.9 < wait <= 10.0
    assert limiter.take("b") == 0.0  # clients are independent
    clock.now += 10.0
    assert limiter.take("a") == 0.0
    assert limiter.take("a") > 0


def test_zero_disables_the_limit() -> None:
    limiter = RateLimiter(0)
    assert not limiter.enabled and all(limiter.take("a") == 0 for _ in range(1000))


def test_app_answers_429_with_retry_after_past_the_limit(web_library: Library) -> None:
    with TestClient(create_app(web_library, preset="fast", rate_limit=2)) as client:
        assert client.get("/api/search", params={"q": "asthma"}).status_code == 200
        assert client.get("/api/search", params={"q": "asthma"}).status_code == 200
        refused = client.get("/api/search", params={"q": "asthma"})
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 1 and "too many requests" in refused.json()["detail"]
        page = client.post("/answers", data={"question": "asthma treatment"})
        assert page.status_code == 429 and "Too many requests" in page.text  # pages get an HTML page
        assert client.get("/api/health").status_code == 200  # cheap endpoints are not limited
