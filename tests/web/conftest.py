"""A small real library (the docs and PubMed fixtures, one of them retracted) and the real app over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from evidex.ingest.runner import ingest
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
