"""Each editorial test runs on a fresh SQLite file and on a fresh PostgreSQL database.

PostgreSQL comes from EVIDEX_TEST_POSTGRES_URL (`.ci/postgres.sh start` prints one; `.ci/run` sets it).
Without it the PostgreSQL half is skipped locally — but never under CI, where a missing server fails.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from editorial_helpers import Team
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from evidex.editorial.service import EditorialService
from evidex.store.accounts import AccountStore

POSTGRES_URL = os.environ.get("EVIDEX_TEST_POSTGRES_URL")


def _postgres_engine() -> Iterator[Engine]:
    if not POSTGRES_URL:
        if os.environ.get("CI"):
            pytest.fail("EVIDEX_TEST_POSTGRES_URL is not set: .ci/run must start PostgreSQL")
        pytest.skip("no PostgreSQL: run `.ci/postgres.sh start` and set EVIDEX_TEST_POSTGRES_URL")
    name = "evx_" + secrets.token_hex(6)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    engine = create_engine(make_url(POSTGRES_URL).set(database=name), pool_size=10)
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        sqlite = create_engine(f"sqlite:///{tmp_path / 'records.sqlite'}")
        yield sqlite
        sqlite.dispose()
    else:
        yield from _postgres_engine()


@pytest.fixture()
def accounts(engine: Engine) -> AccountStore:
    return AccountStore(engine)


@pytest.fixture()
def service(engine: Engine) -> EditorialService:
    return EditorialService(engine, signoffs_required=2)


@pytest.fixture()
def team(accounts: AccountStore) -> Team:
    return Team(accounts)
