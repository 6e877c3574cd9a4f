"""A small real library (the docs and PubMed fixtures, one of them retracted) and the real app over it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from evidex.ingest.runner import ingest
from evidex.store.accounts import AccountStore, Role, User
from evidex.store.library import Library
from evidex.web.app import create_app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def web_library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    library = Library(tmp_path_factory.mktemp("web") / "lib", create=True)
    summary = ingest(library, [FIXTURES / "docs", FIXTURES / "pubmed" / "efetch_sample.xml"])
    assert summary.added == 8, summary
    yield library
    library.close()


@pytest.fixture(scope="module")
def client(web_library: Library) -> Iterator[TestClient]:
    app = create_app(web_library, preset="fast", rate_limit=0, max_request_bytes=4_096)
    with TestClient(app) as test_client:
        yield test_client


# -- editorial: the real app with accounts, a team of staff, and saved answers to make articles of --------

ASTHMA = "What is the first-line maintenance therapy for asthma in adults?"
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Staff:
    """Real accounts in the app's database, each with an API token."""

    editor: User
    editor2: User
    reviewer: User
    reviewer2: User
    admin: User
    tokens: dict[str, str]

    def bearer(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[user.username]}"}


@pytest.fixture(scope="module")
def editorial_app(web_library: Library) -> FastAPI:
    return create_app(web_library, preset="fast", rate_limit=0, signoffs_required=2)


@pytest.fixture(scope="module")
def staff(editorial_app: FastAPI) -> Staff:
    accounts: AccountStore = editorial_app.state.accounts
    users = {
        "editor": accounts.create_user("edith", PASSWORD, Role.EDITOR, "Edith Editor"),
        "editor2": accounts.create_user("eddie", PASSWORD, Role.EDITOR, "Eddie Second"),
        "reviewer": accounts.create_user("rev.one", PASSWORD, Role.REVIEWER, "Dr Ada One"),
        "reviewer2": accounts.create_user("rev.two", PASSWORD, Role.REVIEWER, "Dr Ben Two"),
        "admin": accounts.create_user("admin", PASSWORD, Role.ADMIN, "Ann Admin"),
    }
    tokens = {user.username: accounts.issue_token(user, "tests") for user in users.values()}
    return Staff(tokens=tokens, **users)


@pytest.fixture(scope="module")
def saved_answer_id(editorial_app: FastAPI) -> str:
    """A real composed answer, saved as the ask page saves it."""
    saved = editorial_app.state.service.answer(ASTHMA)
    assert not saved.answer.insufficient
    return str(saved.id)


@pytest.fixture(scope="module")
def sign_in(editorial_app: FastAPI) -> Iterator[Callable[[User], TestClient]]:
    """A browser per user, signed in through the real login form (the session cookie kept by the client)."""
    opened: list[TestClient] = []

    def open_browser(user: User) -> TestClient:
        browser = TestClient(editorial_app)
        opened.append(browser)
        response = browser.post(
            "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
        )
        assert response.status_code == 303, response.text
        return browser

    yield open_browser
    for browser in opened:
        browser.close()
