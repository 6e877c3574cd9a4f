"""Persistence: the records database (SQLAlchemy; SQLite by default) of documents and passages."""
