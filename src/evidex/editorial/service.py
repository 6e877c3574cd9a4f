"""Articles, versions and their review, with every rule checked and every change audited.

Each change runs in one transaction that reads the article's `revision` and writes only if it is still
the same (`UPDATE ... WHERE revision = :seen`): of two editors or reviewers acting on one article at
once, one wins and the other gets `Conflict` and must reload. That works the same on SQLite and on
PostgreSQL, and across app replicas, because the database decides.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from evidex.editorial.workflow import NEW_VERSION_FROM, RULES, Action, Status
from evidex.models import Answer
from evidex.store.accounts import Role, User
from evidex.store.migrate import migrate
from evidex.store.schema import (
    article_versions,
    articles,
    audit_log,
    claim_comments,
    signoffs,
    transitions,
    users,
)
from evidex.store.times import as_utc

EDIT_ROLES = (Role.EDITOR,)
REVIEW_ROLES = (Role.REVIEWER,)
MAX_COMMENT = 4_000


class EditorialError(Exception):
    """Base of the workflow's refusals; each message says what to do instead."""


class Forbidden(EditorialError):
    """The user's role does not allow this."""


class NotFound(EditorialError):
    """No such article, version or claim."""


class Conflict(EditorialError):
    """The article changed since it was read, or the action does not fit its status."""


@dataclass(frozen=True)
class Article:
    id: str
    question: str
    audience: str
    status: Status
    revision: int
    current_version: int
    published_version: int | None
    review_round: int
    evidence_changed: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def published(self) -> bool:
        return self.published_version is not None


@dataclass(frozen=True)
class Version:
    number: int
    answer: Answer
    library_state: dict[str, Any]
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Transition:
    version: int
    action: str
    from_status: str
    to_status: str
    user: str
    comment: str
    at: datetime


@dataclass(frozen=True)
class ClaimComment:
    version: int
    claim: str
    user: str
    body: str
    at: datetime


@dataclass(frozen=True)
class SignOff:
    version: int
    review_round: int
    reviewer: str
    display_name: str
    at: datetime


def _names(conn: Connection) -> dict[int, str]:
    return {int(row.id): str(row.username) for row in conn.execute(select(users.c.id, users.c.username))}


class EditorialService:
    def __init__(self, engine: Engine, signoffs_required: int = 2) -> None:
        if signoffs_required < 1:
            raise ValueError("signoffs_required must be at least 1")
        self.engine = engine
        self.signoffs_required = signoffs_required
        migrate(engine)

    # -- reading ---------------------------------------------------------------------------------

    def article(self, article_id: str) -> Article:
        with self.engine.connect() as conn:
            return self._article(conn, article_id)

    def _article(self, conn: Connection, article_id: str) -> Article:
        row = conn.execute(
            select(articles, users.c.username)
            .join(users, users.c.id == articles.c.created_by)
            .where(articles.c.id == article_id)
        ).first()
        if row is None:
            raise NotFound(f"no article {article_id!r}")
        m = row._mapping
        return Article(
            m["id"],
            m["question"],
            m["audience"],
            Status(m["status"]),
            m["revision"],
            m["current_version"],
            m["published_version"],
            m["review_round"],
            m["evidence_changed"],
            m["username"],
            as_utc(m["created_at"]),
            as_utc(m["updated_at"]),
        )

    def articles(self, status: Status | None = None, published_only: bool = False) -> list[Article]:
        query = select(articles.c.id).order_by(articles.c.updated_at.desc())
        if status is not None:
            query = query.where(articles.c.status == status.value)
        if published_only:
            query = query.where(articles.c.published_version.is_not(None))
        with self.engine.connect() as conn:
            return [self._article(conn, article_id) for article_id in conn.execute(query).scalars()]

    def version(self, article_id: str, number: int | None = None) -> Version:
        with self.engine.connect() as conn:
            article = self._article(conn, article_id)
            wanted = article.current_version if number is None else number
            row = conn.execute(
                select(article_versions, users.c.username)
                .join(users, users.c.id == article_versions.c.created_by)
                .where(article_versions.c.article_id == article_id, article_versions.c.number == wanted)
            ).first()
        if row is None:
            raise NotFound(f"article {article_id!r} has no version {wanted}")
        m = row._mapping
        return Version(
            m["number"],
            Answer.model_validate_json(m["answer"]),
            dict(m["library_state"]),
            m["username"],
            as_utc(m["created_at"]),
        )

    def published(self, article_id: str) -> tuple[Article, Version]:
        """What a reader may see: the published version, or NotFound (drafts are not disclosed)."""
        try:
            article = self.article(article_id)
        except NotFound:
            raise NotFound(f"no published article {article_id!r}") from None
        if article.published_version is None:
            raise NotFound(f"no published article {article_id!r}")
        return article, self.version(article_id, article.published_version)

    def history(self, article_id: str) -> list[Transition]:
        with self.engine.connect() as conn:
            names = _names(conn)
            rows = conn.execute(
                select(transitions).where(transitions.c.article_id == article_id).order_by(transitions.c.id)
            ).all()
        return [
            Transition(
                r.version,
                r.action,
                r.from_status,
                r.to_status,
                names.get(r.user_id, "system") if r.user_id is not None else "system",
                r.comment,
                as_utc(r.at),
            )
            for r in rows
        ]

    def _signoff_rows(self, where: ColumnElement[bool]) -> list[tuple[str, SignOff]]:
        """(article id, sign-off) for the sign-offs matching `where`, oldest first, with reviewer names."""
        query = (
            select(signoffs, users.c.username, users.c.display_name)
            .join(users, users.c.id == signoffs.c.reviewer_id)
            .where(where)
            .order_by(signoffs.c.id)
        )
        with self.engine.connect() as conn:
            return [
                (r.article_id, SignOff(r.version, r.review_round, r.username, r.display_name, as_utc(r.at)))
                for r in conn.execute(query)
            ]

    def signoffs(self, article_id: str, version: int | None = None) -> list[SignOff]:
        where = signoffs.c.article_id == article_id
        if version is not None:
            where = and_(where, signoffs.c.version == version)
        return [signoff for _, signoff in self._signoff_rows(where)]

    def signoffs_by(self, username: str) -> dict[str, list[SignOff]]:
        """Every sign-off one reviewer gave, by article id, in one query (for the dashboard's queues)."""
        found: dict[str, list[SignOff]] = {}
        for article_id, signoff in self._signoff_rows(users.c.username == username):
            found.setdefault(article_id, []).append(signoff)
        return found

    def comments(self, article_id: str, version: int | None = None) -> list[ClaimComment]:
        query = (
            select(claim_comments, users.c.username)
            .join(users, users.c.id == claim_comments.c.user_id)
            .where(claim_comments.c.article_id == article_id)
            .order_by(claim_comments.c.id)
        )
        if version is not None:
            query = query.where(claim_comments.c.version == version)
        with self.engine.connect() as conn:
            return [
                ClaimComment(r.version, r.claim, r.username, r.body, as_utc(r.at))
                for r in conn.execute(query)
            ]

    def audit(self, object_id: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if object_id is not None:
            query = query.where(audit_log.c.object_id == object_id)
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(articles.c.status, func.count()).group_by(articles.c.status)).all()
        return {status: int(count) for status, count in rows}

    # -- writing ---------------------------------------------------------------------------------

    def record(
        self, conn: Connection, actor: str, action: str, kind: str, object_id: str, **detail: Any
    ) -> None:
        """Append one audit entry in the caller's transaction, so it commits (or not) with the change."""
        conn.execute(
            insert(audit_log).values(
                at=datetime.now(UTC),
                actor=actor,
                action=action,
                object_type=kind,
                object_id=object_id,
                detail=detail,
            )
        )

    def create_article(self, user: User, answer: Answer, library_state: dict[str, Any]) -> Article:
        """A new draft article from a composed answer (version 1)."""
        self._require(user, EDIT_ROLES, "create articles")
        if answer.insufficient:
            raise Conflict("this answer found too little evidence; an article needs a substantive answer")
        article_id = secrets.token_urlsafe(9)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(articles).values(
                    id=article_id,
                    question=answer.question,
                    audience=answer.audience.value,
                    status=Status.DRAFT.value,
                    revision=1,
                    current_version=1,
                    published_version=None,
                    review_round=1,
                    evidence_changed=None,
                    created_by=user.id,
                    created_at=now,
                    updated_at=now,
                )
            )
            self._add_version(conn, article_id, 1, answer, library_state, user, now)
            conn.execute(
                insert(transitions).values(
                    article_id=article_id,
                    version=1,
                    action="create",
                    from_status="",
                    to_status=Status.DRAFT.value,
                    user_id=user.id,
                    comment="",
                    at=now,
                )
            )
            self.record(
                conn, user.username, "article.create", "article", article_id, question=answer.question
            )
        return self.article(article_id)

    def new_version(
        self,
        user: User,
        article_id: str,
        answer: Answer,
        library_state: dict[str, Any],
        expected_revision: int | None = None,
    ) -> Article:
        """A fresh answer becomes the next version, back in draft; the published version stays visible."""
        self._require(user, EDIT_ROLES, "write new versions")
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            article = self._article(conn, article_id)
            self._check_revision(article, expected_revision)
            if article.status not in NEW_VERSION_FROM:
                raise Conflict(
                    "the article is under review; wait for the reviewers or ask them to request changes"
                )
            number = article.current_version + 1
            self._add_version(conn, article_id, number, answer, library_state, user, now)
            self._write(
                conn,
                article,
                Status.DRAFT,
                now,
                current_version=number,
                review_round=article.review_round + 1,
                evidence_changed=None,
            )
            self._transition(
                conn, article_id, number, "new_version", article.status, Status.DRAFT, user, "", now
            )
            self.record(conn, user.username, "article.new_version", "article", article_id, version=number)
        return self.article(article_id)

    def act(
        self,
        user: User,
        article_id: str,
        action: Action,
        comment: str = "",
        expected_revision: int | None = None,
    ) -> Article:
        """Take one workflow action; raises Forbidden, NotFound or Conflict with a reason."""
        rule = RULES[action]
        comment = comment.strip()
        if len(comment) > MAX_COMMENT:
            raise EditorialError(f"comment too long: at most {MAX_COMMENT} characters")
        if not user.active or user.role not in rule.roles:
            allowed = " or ".join(sorted(r.value for r in rule.roles))
            raise Forbidden(f"{user.username} ({user.role.value}) may not {action.value}; it needs {allowed}")
        if rule.needs_comment and not comment:
            raise EditorialError(f"{action.value} needs a comment saying why")
        now = datetime.now(UTC)
        try:
            return self._act(user, article_id, action, comment, expected_revision, now)
        except IntegrityError:
            raise Conflict(
                f"article {article_id} was changed by someone else just now; reload it and try again"
            ) from None

    def _act(
        self,
        user: User,
        article_id: str,
        action: Action,
        comment: str,
        expected_revision: int | None,
        now: datetime,
    ) -> Article:
        rule = RULES[action]
        with self.engine.begin() as conn:
            article = self._article(conn, article_id)
            self._check_revision(article, expected_revision)
            if article.status not in rule.sources:
                raise Conflict(
                    f"cannot {action.value} an article that is {article.status.label.lower()}"
                    f" (allowed from: {', '.join(sorted(s.value for s in rule.sources))})"
                )
            target = rule.target
            extra: dict[str, Any] = {}
            if action is Action.SIGN_OFF:
                target = self._sign_off(conn, article, user, now)
            elif action is Action.PUBLISH:
                extra["published_version"] = article.current_version
                extra["evidence_changed"] = None
            elif action is Action.UNPUBLISH:
                extra["published_version"] = None
            self._write(conn, article, target, now, **extra)
            self._transition(
                conn,
                article_id,
                article.current_version,
                action.value,
                article.status,
                target,
                user,
                comment,
                now,
            )
            self.record(
                conn,
                user.username,
                f"article.{action.value}",
                "article",
                article_id,
                version=article.current_version,
                from_status=article.status.value,
                to_status=target.value,
                comment=comment,
            )
        return self.article(article_id)

    def comment_claim(self, user: User, article_id: str, claim: str, body: str) -> ClaimComment:
        """A reviewer's note on one claim ("section.claim", 1-based) of the current version."""
        self._require(user, REVIEW_ROLES, "comment on claims")
        body = body.strip()
        if not body or len(body) > MAX_COMMENT:
            raise EditorialError(f"a comment needs 1–{MAX_COMMENT} characters")
        version = self.version(article_id)
        try:
            section_no, claim_no = (int(part) for part in claim.split("."))
            version.answer.sections[section_no - 1].claims[claim_no - 1]
            if section_no < 1 or claim_no < 1:
                raise IndexError
        except (ValueError, IndexError):
            raise NotFound(
                f"version {version.number} has no claim {claim!r} (use section.claim, e.g. 1.2)"
            ) from None
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(
                insert(claim_comments).values(
                    article_id=article_id,
                    version=version.number,
                    claim=claim,
                    user_id=user.id,
                    body=body,
                    at=now,
                )
            )
            self.record(conn, user.username, "claim.comment", "article", article_id, claim=claim, body=body)
        return ClaimComment(version.number, claim, user.username, body, now)

    def flag_evidence_change(self, article_id: str, reason: str) -> Article | None:
        """Return an approved or published article to review because its evidence moved."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            article = self._article(conn, article_id)
            if article.status not in (Status.APPROVED, Status.PUBLISHED):
                return None
            self._write(
                conn,
                article,
                Status.SUBMITTED,
                now,
                review_round=article.review_round + 1,
                evidence_changed=reason,
            )
            self._transition(
                conn,
                article_id,
                article.current_version,
                "evidence_changed",
                article.status,
                Status.SUBMITTED,
                None,
                reason,
                now,
            )
            self.record(conn, "system", "article.evidence_changed", "article", article_id, reason=reason)
        return self.article(article_id)

    # -- internals -------------------------------------------------------------------------------

    @staticmethod
    def _require(user: User, roles: tuple[Role, ...], what: str) -> None:
        if not user.can(*roles):
            raise Forbidden(f"{user.username} ({user.role.value}) may not {what}")

    @staticmethod
    def _check_revision(article: Article, expected: int | None) -> None:
        if expected is not None and expected != article.revision:
            raise Conflict(
                f"article {article.id} changed since you loaded it (revision {expected} → "
                f"{article.revision}); reload it and try again"
            )

    def _sign_off(self, conn: Connection, article: Article, user: User, now: datetime) -> Status:
        author = conn.execute(
            select(article_versions.c.created_by).where(
                article_versions.c.article_id == article.id,
                article_versions.c.number == article.current_version,
            )
        ).scalar_one()
        if author == user.id:
            raise Forbidden("you wrote this version; another reviewer must sign it off")
        already = conn.execute(
            select(signoffs.c.id).where(
                signoffs.c.article_id == article.id,
                signoffs.c.version == article.current_version,
                signoffs.c.review_round == article.review_round,
                signoffs.c.reviewer_id == user.id,
            )
        ).first()
        if already is not None:
            raise Conflict(f"{user.username} has already signed off this version")
        # no SAVEPOINT here (pysqlite commits at RELEASE); a concurrent duplicate fails the whole transaction
        conn.execute(
            insert(signoffs).values(
                article_id=article.id,
                version=article.current_version,
                review_round=article.review_round,
                reviewer_id=user.id,
                at=now,
            )
        )
        count = conn.execute(
            select(func.count())
            .select_from(signoffs)
            .where(
                signoffs.c.article_id == article.id,
                signoffs.c.version == article.current_version,
                signoffs.c.review_round == article.review_round,
            )
        ).scalar_one()
        return Status.APPROVED if count >= self.signoffs_required else Status.UNDER_REVIEW

    def _write(
        self, conn: Connection, article: Article, status: Status, now: datetime, **values: Any
    ) -> None:
        changed = conn.execute(
            update(articles)
            .where(articles.c.id == article.id, articles.c.revision == article.revision)
            .values(status=status.value, revision=article.revision + 1, updated_at=now, **values)
        ).rowcount
        if changed != 1:
            raise Conflict(
                f"article {article.id} was changed by someone else just now; reload it and try again"
            )

    @staticmethod
    def _transition(
        conn: Connection,
        article_id: str,
        version: int,
        action: str,
        source: Status,
        target: Status,
        user: User | None,
        comment: str,
        now: datetime,
    ) -> None:
        conn.execute(
            insert(transitions).values(
                article_id=article_id,
                version=version,
                action=action,
                from_status=source.value,
                to_status=target.value,
                user_id=user.id if user else None,
                comment=comment,
                at=now,
            )
        )

    @staticmethod
    def _add_version(
        conn: Connection,
        article_id: str,
        number: int,
        answer: Answer,
        library_state: dict[str, Any],
        user: User,
        now: datetime,
    ) -> None:
        conn.execute(
            insert(article_versions).values(
                article_id=article_id,
                number=number,
                answer=answer.model_dump_json(),
                library_state=library_state,
                created_by=user.id,
                created_at=now,
            )
        )
