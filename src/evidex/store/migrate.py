"""Bring a records database (SQLite or PostgreSQL) to the schema this Evidex needs, with Alembic.

Called whenever a library is opened, so it must be cheap when nothing is to do: it reads the stored
revision first and starts Alembic only when that is behind. On PostgreSQL an advisory lock keeps two
replicas that start together from migrating at once.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, inspect, text

HEAD = "0003"
MIGRATIONS = Path(__file__).parent / "migrations"
ADVISORY_LOCK = 7_242_024  # any constant shared by all Evidex processes


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine, target: str = HEAD) -> None:
    """Upgrade the database to `target` (default: the newest revision); a no-op when already there."""
    with engine.connect() as connection:
        if current_revision(connection) == target:
            return
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})
        if current_revision(connection) != target:
            command.upgrade(_config(connection), target)


def downgrade(engine: Engine, target: str) -> None:
    """Step back to an older revision (for operators rolling back an upgrade)."""
    with engine.begin() as connection:
        command.downgrade(_config(connection), target)
