"""Datetimes read back from the database, made timezone-aware.

Evidex stores every time in UTC, but SQLite hands datetimes back naive (and `max()` of one as text),
while PostgreSQL returns them aware; every reader goes through `as_utc` so they compare alike.
"""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(value: datetime | str) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
