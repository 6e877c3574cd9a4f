"""The lexical index: SQLite FTS5 with BM25 ranking, in its own file inside the library folder.

It is kept apart from the records database so the records can move to PostgreSQL while lexical
search stays embedded; passage ids tie the two together, and `reconcile` repairs any gap left by
an ingest that was killed between the two commits.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evidex.store.records import PassageRow

_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS passage_fts USING fts5(
    body,
    document_id UNINDEXED,
    kind UNINDEXED,
    year UNINDEXED,
    source UNINDEXED,
    retracted UNINDEXED,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
"""


@dataclass(frozen=True)
class LexicalFilter:
    """Restrictions applied inside the index so that `k` results survive filtering."""

    kinds: Sequence[str] = ()
    sources: Sequence[str] = ()
    year_from: int | None = None
    year_to: int | None = None
    include_retracted: bool = True


class FtsIndex:
    """Add, remove and BM25-search passages; the body is the title followed by the passage text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)

    def close(self) -> None:
        self.conn.close()

    def add(self, rows: Iterable[PassageRow]) -> int:
        data = [
            (
                row.id,
                f"{row.title}\n{row.text}",
                row.document_id,
                row.kind,
                row.year,
                row.source,
                int(row.retracted),
            )
            for row in rows
        ]
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO passage_fts"
                "(rowid, body, document_id, kind, year, source, retracted) VALUES (?,?,?,?,?,?,?)",
                data,
            )
        return len(data)

    def remove(self, ids: Iterable[int]) -> None:
        with self.conn:
            self.conn.executemany("DELETE FROM passage_fts WHERE rowid = ?", [(i,) for i in ids])

    def ids(self) -> set[int]:
        return {row[0] for row in self.conn.execute("SELECT rowid FROM passage_fts")}

    def count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM passage_fts").fetchone()[0])

    def optimize(self) -> None:
        """Merge index segments after a large ingest: faster queries, smaller file."""
        with self.conn:
            self.conn.execute("INSERT INTO passage_fts(passage_fts) VALUES ('optimize')")

    def search(self, match: str, k: int, where: LexicalFilter | None = None) -> list[tuple[int, float]]:
        """(passage id, BM25 score; higher is better) for an FTS5 MATCH expression."""
        clauses = ["passage_fts MATCH ?"]
        params: list[object] = [match]
        if where is not None:
            if where.kinds:
                clauses.append(f"kind IN ({','.join('?' * len(where.kinds))})")
                params.extend(where.kinds)
            if where.sources:
                clauses.append(f"source IN ({','.join('?' * len(where.sources))})")
                params.extend(where.sources)
            if where.year_from is not None:
                clauses.append("year >= ?")
                params.append(where.year_from)
            if where.year_to is not None:
                clauses.append("year <= ?")
                params.append(where.year_to)
            if not where.include_retracted:
                clauses.append("retracted = 0")
        sql = (
            "SELECT rowid, -bm25(passage_fts) FROM passage_fts WHERE "
            + " AND ".join(clauses)
            + " ORDER BY bm25(passage_fts) LIMIT ?"
        )
        params.append(k)
        return [(int(rowid), float(score)) for rowid, score in self.conn.execute(sql, params)]

    def scores_for(self, match: str, ids: Sequence[int]) -> dict[int, float]:
        """BM25 scores of the given passages for `match` (0 for those that match no term)."""
        if not ids:
            return {}
        placeholders = ",".join("?" * len(ids))
        sql = (
            "SELECT rowid, -bm25(passage_fts) FROM passage_fts WHERE passage_fts MATCH ? "
            f"AND rowid IN ({placeholders})"
        )
        found = {int(r): float(s) for r, s in self.conn.execute(sql, [match, *ids])}
        return {pid: found.get(pid, 0.0) for pid in ids}

    def document_frequency(self, match: str) -> int:
        """How many passages match an FTS5 expression (for IDF weights of question terms)."""
        row = self.conn.execute(
            "SELECT count(*) FROM passage_fts WHERE passage_fts MATCH ?", [match]
        ).fetchone()
        return int(row[0])
