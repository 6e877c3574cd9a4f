"""Accounts: users with roles, argon2 password hashes, web sessions and API tokens.

Secrets handed to people (session cookies, API tokens) are random 32-byte tokens; only their SHA-256
is stored, so a copy of the database cannot be used to sign in. Passwords are hashed with argon2id.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from evidex.store.migrate import migrate
from evidex.store.schema import api_tokens, users, web_sessions
from evidex.store.times import as_utc

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
SESSION_DAYS = 14

_hasher = PasswordHasher()


class Role(StrEnum):
    """Editors write and publish articles; reviewers sit on the medical advisory board; admins do both."""

    EDITOR = "editor"
    REVIEWER = "reviewer"
    ADMIN = "admin"


class AccountError(ValueError):
    """A request about accounts that cannot be met; the message says why."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool

    def can(self, *roles: Role) -> bool:
        return self.active and (self.role in roles or self.role is Role.ADMIN)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _user(row: object) -> User:
    mapping = row._mapping  # type: ignore[attr-defined]
    return User(
        mapping["id"], mapping["username"], mapping["display_name"], Role(mapping["role"]), mapping["active"]
    )


class AccountStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        migrate(engine)

    def create_user(self, username: str, password: str, role: Role, display_name: str | None = None) -> User:
        if not USERNAME.match(username):
            raise AccountError(
                f"invalid username {username!r}: use 2–64 lower-case letters, digits, '.', '_' or '-'"
            )
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password too short: use at least {MIN_PASSWORD} characters")
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(
                    insert(users).values(
                        username=username,
                        display_name=display_name or username,
                        role=role.value,
                        password_hash=_hasher.hash(password),
                        active=True,
                        created_at=datetime.now(UTC),
                    )
                ).inserted_primary_key
        except IntegrityError as exc:
            raise AccountError(f"user {username!r} already exists") from exc
        assert new_id is not None
        return User(int(new_id[0]), username, display_name or username, role, True)

    def user(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        return _user(row) if row is not None else None

    def user_by_id(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row is not None else None

    def list_users(self) -> list[User]:
        with self.engine.connect() as conn:
            return [_user(row) for row in conn.execute(select(users).order_by(users.c.username))]

    def set_active(self, username: str, active: bool) -> None:
        with self.engine.begin() as conn:
            if not conn.execute(
                update(users).where(users.c.username == username).values(active=active)
            ).rowcount:
                raise AccountError(f"no user {username!r}")
            if not active:
                ids = select(users.c.id).where(users.c.username == username).scalar_subquery()
                conn.execute(delete(web_sessions).where(web_sessions.c.user_id == ids))

    def set_password(self, username: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"password too short: use at least {MIN_PASSWORD} characters")
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(users).where(users.c.username == username).values(password_hash=_hasher.hash(password))
            ).rowcount
        if not changed:
            raise AccountError(f"no user {username!r}")

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password matches and the account is active; None otherwise (same for both)."""
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            _hasher.hash(password)  # spend the same time as a real check, so names cannot be probed
            return None
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        user = _user(row)
        return user if user.active else None

    # -- web sessions ----------------------------------------------------------------------------

    def open_session(self, user: User, days: int = SESSION_DAYS) -> str:
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(web_sessions).values(
                    token_hash=_digest(token),
                    user_id=user.id,
                    created_at=now,
                    expires_at=now + timedelta(days=days),
                )
            )
        return token

    def session_user(self, token: str) -> User | None:
        query = (
            select(users, web_sessions.c.expires_at)
            .join(web_sessions, web_sessions.c.user_id == users.c.id)
            .where(web_sessions.c.token_hash == _digest(token))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        user = _user(row)
        return user if user.active and as_utc(row.expires_at) > datetime.now(UTC) else None

    def close_session(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == _digest(token)))

    # -- API tokens ------------------------------------------------------------------------------

    def issue_token(self, user: User, name: str) -> str:
        """A new API token for `user`; shown once, stored only as a hash."""
        token = "evx_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_tokens).values(
                    user_id=user.id,
                    name=name[:100] or "token",
                    token_hash=_digest(token),
                    created_at=datetime.now(UTC),
                    revoked=False,
                )
            )
        return token

    def token_user(self, token: str) -> User | None:
        query = (
            select(users)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == _digest(token), api_tokens.c.revoked.is_(False))
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        user = _user(row)
        return user if user.active else None

    def revoke_tokens(self, username: str) -> int:
        ids = select(users.c.id).where(users.c.username == username).scalar_subquery()
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    update(api_tokens).where(api_tokens.c.user_id == ids).values(revoked=True)
                ).rowcount
            )
