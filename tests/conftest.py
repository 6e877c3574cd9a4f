"""Shared fixtures: the real shared data folder and one sample library built per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from evidex.ingest.runner import IngestSummary, ingest_sample
from evidex.store.library import Library
from openai_stub import Stub

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """`../shared/data` beside the checkout (or $EVIDEX_DATA_DIR); the tests need the real files."""
    path = Path(os.environ.get("EVIDEX_DATA_DIR", REPO.parent / "shared" / "data"))
    assert (path / "corpus").is_dir(), f"shared data not found at {path}"
    return path


@pytest.fixture(scope="session")
def corpus_dir(data_dir: Path) -> Path:
    return data_dir / "corpus"


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> tuple[Path, IngestSummary]:
    """The full sample library, built once: (its folder, the summary of building it)."""
    path = tmp_path_factory.mktemp("sample") / "library"
    with Library(path, create=True) as library:
        summary = ingest_sample(library, corpus_dir)
    return path, summary


@pytest.fixture(scope="session")
def sample_library_path(sample_build: tuple[Path, IngestSummary]) -> Path:
    return sample_build[0]


@pytest.fixture()
def sample_library(sample_library_path: Path) -> Library:
    library = Library(sample_library_path)
    yield library  # type: ignore[misc]
    library.close()


@pytest.fixture()
def stub() -> Iterator[Stub]:
    """An OpenAI-compatible stub server on 127.0.0.1 (tests/openai_stub.py), closed after the test."""
    server = Stub()
    yield server
    server.close()
