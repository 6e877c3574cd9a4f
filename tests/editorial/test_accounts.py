"""Accounts on SQLite and PostgreSQL: hashing, sign-in, sessions, API tokens, deactivation."""

from __future__ import annotations

import pytest
from editorial_helpers import PASSWORD, Team
from sqlalchemy import Engine, select, text

from evidex.store.accounts import AccountError, AccountStore, Role
from evidex.store.schema import api_tokens, users, web_sessions


def test_passwords_are_argon2_hashed_and_checked(accounts: AccountStore, team: Team, engine: Engine) -> None:
    with engine.connect() as conn:
        stored = conn.execute(select(users.c.password_hash).where(users.c.username == "edith")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate("edith", PASSWORD) == team.editor
    assert accounts.authenticate("edith", PASSWORD + "!") is None
    assert accounts.authenticate("nobody", PASSWORD) is None


def test_bad_accounts_are_refused_with_reasons(accounts: AccountStore, team: Team) -> None:
    with pytest.raises(AccountError, match="already exists"):
        accounts.create_user("edith", PASSWORD, Role.EDITOR)
    with pytest.raises(AccountError, match="too short"):
        accounts.create_user("newbie", "short", Role.EDITOR)
    with pytest.raises(AccountError, match="invalid username"):
        accounts.create_user("Robert'); DROP TABLE users;--", PASSWORD, Role.EDITOR)
    assert [u.username for u in accounts.list_users()] == ["admin", "edith", "rev.one", "rev.two"]


def test_sessions_and_tokens_are_stored_hashed_and_end(
    accounts: AccountStore, team: Team, engine: Engine
) -> None:
    session = accounts.open_session(team.reviewer)
    token = accounts.issue_token(team.editor, "ci")
    assert accounts.session_user(session) == team.reviewer
    assert accounts.token_user(token) == team.editor
    assert accounts.session_user("forged") is None and accounts.token_user("evx_forged") is None
    with engine.connect() as conn:
        stored = [*conn.execute(select(web_sessions.c.token_hash)).scalars()]
        stored += [*conn.execute(select(api_tokens.c.token_hash)).scalars()]
    assert session not in stored and token not in stored and all(len(h) == 64 for h in stored)
    accounts.close_session(session)
    assert accounts.session_user(session) is None
    assert accounts.revoke_tokens("edith") == 1
    assert accounts.token_user(token) is None


def test_expired_sessions_and_deactivated_users_are_refused(
    accounts: AccountStore, team: Team, engine: Engine
) -> None:
    expired = accounts.open_session(team.editor, days=-1)
    assert accounts.session_user(expired) is None
    session = accounts.open_session(team.editor)
    token = accounts.issue_token(team.editor, "script")
    accounts.set_active("edith", False)
    assert accounts.session_user(session) is None and accounts.token_user(token) is None
    assert accounts.authenticate("edith", PASSWORD) is None
    accounts.set_active("edith", True)
    assert accounts.token_user(token) is not None
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM web_sessions")).scalar_one() == 0
    accounts.set_password("edith", "a brand new passphrase")
    assert accounts.authenticate("edith", "a brand new passphrase") is not None
    with pytest.raises(AccountError):
        accounts.set_active("nobody", False)
