"""The lexical index: SQLite FTS5 with BM25 ranking, in its own file inside the library folder.

It is kept apart from the records database so the records can move to PostgreSQL while lexical
search stays embedded; passage ids tie the two together, and `reconcile` repairs any gap left by
an ingest that was killed between the two commits.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evidex.store.records import PassageRow

PRUNE_MIN_PASSAGES = 10_000
"""`FtsIndex.prune_common` never drops a term found in this many passages or fewer."""

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
        # term -> (matching passages, LIMIT the count ran under or None when exact); valid while the
        # index holds `_df_rows` passages (any add/remove from any process changes that count)
        self._df_cache: dict[str, tuple[int, int | None]] = {}
        self._df_rows = -1

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
        self._df_cache.clear()
        with self.conn:
            self.conn.executemany(
                "INSERT OR REPLACE INTO passage_fts"
                "(rowid, body, document_id, kind, year, source, retracted) VALUES (?,?,?,?,?,?,?)",
                data,
            )
        return len(data)

    def remove(self, ids: Iterable[int]) -> None:
        self._df_cache.clear()
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
        """BM25 scores of the given passages for `match` (0 for those that match no term).

        The rowid test is written `+rowid` so that SQLite does not hand it to FTS5: with a plain
        `rowid IN (...)` FTS5 runs the whole query once per id, recomputing every term's statistics
        each time (≈1.2 s for 100 ids of a common-word query at a million passages). Here the query
        runs once and only its matches are tested against the ids.
        """
        if not ids:
            return {}
        placeholders = ",".join("?" * len(ids))
        sql = (
            "SELECT rowid, -bm25(passage_fts) FROM passage_fts WHERE passage_fts MATCH ? "
            f"AND +rowid IN ({placeholders})"
        )
        found = {int(r): float(s) for r, s in self.conn.execute(sql, [match, *ids])}
        return {pid: found.get(pid, 0.0) for pid in ids}

    def document_frequency(self, match: str) -> int:
        """How many passages match an FTS5 expression (for IDF weights of question terms)."""
        row = self.conn.execute(
            "SELECT count(*) FROM passage_fts WHERE passage_fts MATCH ?", [match]
        ).fetchone()
        return int(row[0])

    def passage_count(self) -> int:
        """Number of indexed passages, read from FTS5's own statistics record (no table scan).

        FTS5 keeps the row count as the first varint of record 1 of its `_data` table (the
        "averages" record that BM25 uses); `count(*)` would scan the index (≈1 s at a million).
        """
        return self._statistics()[0]

    def _statistics(self) -> tuple[int, float]:
        """(passages, mean tokens per passage) from FTS5's averages record, as BM25 sees them."""
        row = self.conn.execute("SELECT block FROM passage_fts_data WHERE id = 1").fetchone()
        if row is None or not row[0]:
            return 0, 0.0
        values = _varints(bytes(row[0]), 2)
        if len(values) < 2:
            rows = self.count()
            return rows, 0.0
        rows, tokens = values  # tokens of the body, the only indexed column
        return rows, tokens / rows if rows else 0.0

    def common_term_scores(self, terms: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
        """BM25 contribution of `terms` to each given passage, counting each term once per passage.

        For the very common terms that `prune_common` leaves out of the MATCH query: their weight
        is still added to the candidates the query found, by one rowid-restricted lookup per term
        (which only tests presence, so a term is counted once however often it occurs; FTS5
        offers no term frequency without a C extension). Same formula and constants as FTS5's
        `bm25()` (k1 = 1.2, b = 0.75, IDF floored at 1e-6).
        """
        scores = dict.fromkeys(ids, 0.0)
        if not terms or not ids:
            return scores
        rows, mean_length = self._statistics()
        if not rows or not mean_length:
            return scores
        placeholders = ",".join("?" * len(ids))
        lengths = {
            int(pid): (_varints(bytes(size), 1) or [0])[0]
            for pid, size in self.conn.execute(
                f"SELECT id, sz FROM passage_fts_docsize WHERE id IN ({placeholders})", list(ids)
            )
        }
        k1, b = 1.2, 0.75
        for term in terms:
            hits = self.term_frequency(term)
            idf = max(math.log((rows - hits + 0.5) / (hits + 0.5)), 1e-6)
            expression = '"' + term.replace('"', '""') + '"'
            sql = f"SELECT rowid FROM passage_fts WHERE passage_fts MATCH ? AND rowid IN ({placeholders})"
            for (pid,) in self.conn.execute(sql, [expression, *ids]):
                length = lengths.get(int(pid), mean_length)
                scores[int(pid)] += idf * (k1 + 1) / (1 + k1 * (1 - b + b * length / mean_length))
        return scores

    def term_frequency(self, term: str, limit: int | None = None) -> int:
        """Passages that contain `term` (one query term, quoted as a phrase), at most `limit`.

        Bounded counting is what keeps this cheap: a term in a third of a million passages costs
        ≈5 ms to count to 100,000 but ≈10–40 ms to count in full (or to read from an fts5vocab
        table, which walks the whole posting list). Results are cached until the index changes.
        """
        rows = self.passage_count()
        if rows != self._df_rows:
            self._df_cache.clear()
            self._df_rows = rows
        cached = self._df_cache.get(term)
        if cached is not None:
            count, bound = cached
            exact = bound is None or count < bound
            if exact or (limit is not None and bound is not None and bound >= limit):
                return count if limit is None else min(count, limit)
        expression = '"' + term.replace('"', '""') + '"'
        params: list[object] = [expression]
        if limit is None:
            sql = "SELECT count(*) FROM passage_fts WHERE passage_fts MATCH ?"
        else:
            sql = "SELECT count(*) FROM (SELECT 1 FROM passage_fts WHERE passage_fts MATCH ? LIMIT ?)"
            params.append(limit)
        try:
            count = int(self.conn.execute(sql, params).fetchone()[0])
        except sqlite3.OperationalError:  # a term FTS5 cannot parse cannot be counted either
            return 0
        self._df_cache[term] = (count, limit)
        return count

    def prune_common(
        self,
        terms: Sequence[str],
        max_share: float,
        keep: int = 2,
        min_count: int = PRUNE_MIN_PASSAGES,
        max_postings: int = 0,
    ) -> list[str]:
        """`terms` without those too common to be worth an OR query over them, in their order.

        A term in, say, 30% of passages adds little to BM25 (low IDF) but makes an OR query visit a
        third of the index: terms found in more than `max_share` of all passages go first. Then,
        when `max_postings` is set, the most common of the remaining terms go until the passages
        the query must visit (the sum of the terms' passage counts) fit the budget — an FTS5 OR
        query costs time in proportion to that sum (≈0.7 µs per posting at a million passages),
        so the budget bounds the cost of a long question. At least the `keep` rarest terms always
        stay by share (so a question of common words alone still searches for its most specific
        ones) and, unless `keep` is 0, the rarest one by budget; a term in no more than `min_count` passages
        always stays: visiting that few costs a few milliseconds, so small libraries (where a share
        says little) are never pruned.
        """
        if (max_share >= 1 and not max_postings) or not terms:
            return list(terms)
        cap = max(int(max_share * self.passage_count()), min_count) if max_share < 1 else None
        counts = {term: self.term_frequency(term, None if cap is None else cap + 1) for term in terms}
        kept = {term for term in terms if cap is None or counts[term] <= cap}
        if len(kept) < keep:
            common = [term for term in terms if term not in kept]
            exact = {term: self.term_frequency(term) for term in common}
            counts.update(exact)
            kept.update(sorted(common, key=lambda term: exact[term])[: keep - len(kept)])
        if max_postings and sum(counts[term] for term in kept) > max_postings:
            visited = 0
            budgeted: set[str] = set()
            for term in sorted(kept, key=lambda term: (counts[term], term)):
                over = visited + counts[term] > max_postings and counts[term] > min_count
                if over and len(budgeted) >= min(keep, 1):
                    break
                budgeted.add(term)
                visited += counts[term]
            kept = budgeted
        return [term for term in terms if term in kept]


def _varints(data: bytes, count: int) -> list[int]:
    """Up to `count` SQLite variable-length integers from the start of `data`."""
    values: list[int] = []
    position = 0
    while len(values) < count and position < len(data):
        value = 0
        for index in range(9):
            if position + index >= len(data):
                return values
            byte = data[position + index]
            if index == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        position += index + 1
        values.append(value)
    return values
