"""Tables of the records database, written with SQLAlchemy Core so they run on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

documents = Table(
    "documents",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("title", Text, nullable=False),
    Column("authors", JSON, nullable=False),
    Column("journal", Text),
    Column("publisher", Text),
    Column("year", Integer, index=True),
    Column("date", String(100)),
    Column("url", Text),
    Column("doi", String(200), index=True),
    Column("pmid", String(20), index=True),
    Column("mesh_terms", JSON, nullable=False),
    Column("publication_types", JSON, nullable=False),
    Column("licence", Text),
    Column("retracted", Boolean, nullable=False, default=False),
    Column("source", String(50), nullable=False, index=True),
    Column("kind", String(40), nullable=False, index=True),
    Column("extra", JSON, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("source_file", Text),
    Column("ingested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

passages = Table(
    "passages",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "document_id",
        String(200),
        ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("ordinal", Integer, nullable=False),
    Column("section", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("page", Integer),
    Index("ix_passages_document", "document_id", "ordinal", unique=True),
    # never reuse an id: vectors and the lexical index are keyed by it, and a reused id would pair a
    # new passage with the old passage's vector (migration 0003 rebuilds older SQLite libraries)
    sqlite_autoincrement=True,
)

# One row per source file fully ingested: lets an unchanged file be skipped without re-reading it.
ingested_files = Table(
    "ingested_files",
    metadata,
    Column("path", Text, primary_key=True),
    Column("format", String(40), nullable=False),
    Column("size", Integer, nullable=False),
    Column("mtime_ns", Integer, nullable=False),
    Column("documents", Integer, nullable=False),
    Column("completed_at", DateTime(timezone=True), nullable=False),
)

# Answer pages served by the web app and API, kept so a permalink shows the same page on every replica.
answers = Table(
    "answers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("question", Text, nullable=False),
    Column("audience", String(20), nullable=False),
    Column("parent_id", String(32), ForeignKey("answers.id", ondelete="SET NULL")),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
    Column("payload", Text, nullable=False),
)

# ------------------------------------------------------------------------------------ editorial
# Accounts, articles and their review. Every table is plain SQLAlchemy Core so the same code runs on
# SQLite and PostgreSQL; Alembic migrations (store/migrations/) create and evolve them on both.

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", Text, nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Web sessions and API tokens are stored as SHA-256 hashes: a leaked database reveals no usable secret.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
)

articles = Table(
    "articles",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("question", Text, nullable=False),
    Column("audience", String(20), nullable=False),
    Column("status", String(30), nullable=False, index=True),
    # bumped by every change: a writer that read an older revision loses the race and must reload
    Column("revision", Integer, nullable=False),
    Column("current_version", Integer, nullable=False),
    Column("published_version", Integer),
    Column("review_round", Integer, nullable=False),
    Column("evidence_changed", Text),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

article_versions = Table(
    "article_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(32), ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("answer", Text, nullable=False),
    Column("library_state", JSON, nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_article_versions_number", "article_id", "number", unique=True),
)

transitions = Table(
    "transitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(32), ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("action", String(30), nullable=False),
    Column("from_status", String(30), nullable=False),
    Column("to_status", String(30), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("comment", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_transitions_article", "article_id", "id"),
)

signoffs = Table(
    "signoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(32), ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("review_round", Integer, nullable=False),
    Column("reviewer_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_signoffs_unique", "article_id", "version", "review_round", "reviewer_id", unique=True),
)

claim_comments = Table(
    "claim_comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("article_id", String(32), ForeignKey("articles.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("claim", String(20), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_claim_comments_article", "article_id", "version"),
)

# Append-only: the code never updates or deletes a row, and the migration adds triggers that refuse it.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("object_type", String(30), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_audit_object", "object_type", "object_id"),
)
