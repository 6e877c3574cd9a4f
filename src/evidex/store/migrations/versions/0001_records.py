"""Baseline: the records tables (documents, passages, ingested files) and saved answers.

Libraries made before migrations existed already hold some of these tables, so each table is created
only where it is missing; the definitions are frozen here as they were at this revision.
"""

from __future__ import annotations

from alembic import op
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

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

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
)

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


def upgrade() -> None:
    metadata.create_all(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
