"""Passage ids are never reused (SQLite AUTOINCREMENT).

Without AUTOINCREMENT SQLite hands out max(id) + 1, so replacing the newest document's passages gave the
new passages the old ids — and the vector store, keyed by id, kept the old text's vectors for them.
PostgreSQL sequences never reuse values, so only SQLite tables are rebuilt.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CREATE = """
CREATE TABLE passages_new (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    document_id VARCHAR(200) NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    section TEXT NOT NULL,
    text TEXT NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    page INTEGER
)
"""


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    query = text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'passages'")
    sql = bind.execute(query).scalar()
    if sql is None or "AUTOINCREMENT" in sql.upper():
        return
    op.execute(CREATE)
    op.execute(
        'INSERT INTO passages_new (id, document_id, ordinal, section, text, start, "end", page) '
        'SELECT id, document_id, ordinal, section, text, start, "end", page FROM passages'
    )
    op.execute("DROP TABLE passages")
    op.execute("ALTER TABLE passages_new RENAME TO passages")
    op.execute("CREATE UNIQUE INDEX ix_passages_document ON passages (document_id, ordinal)")


def downgrade() -> None:
    """Keeping AUTOINCREMENT is harmless, so there is nothing to undo."""
