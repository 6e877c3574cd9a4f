"""The Retriever: one entry point for `evidex search`, the answer engine and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evidex.models import EvidenceKind, SearchHit
from evidex.search.query import match_expression
from evidex.store.fts import LexicalFilter
from evidex.store.library import Library

MAX_K = 1000


@dataclass(frozen=True)
class SearchFilters:
    """Which evidence a search may return."""

    kinds: Sequence[EvidenceKind] = ()
    sources: Sequence[str] = ()
    year_from: int | None = None
    year_to: int | None = None
    include_retracted: bool = True


class Retriever:
    """Ranks passages of a library for a query (BM25 over title + passage text)."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[SearchHit]:
        """The `k` best passages; raises QueryError for a query with nothing to search for."""
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
        filters = filters or SearchFilters()
        where = LexicalFilter(
            kinds=[kind.value for kind in filters.kinds],
            sources=list(filters.sources),
            year_from=filters.year_from,
            year_to=filters.year_to,
            include_retracted=filters.include_retracted,
        )
        ranked = self.library.lexical.search(match_expression(query), k, where)
        rows = self.library.records.passage_rows(pid for pid, _ in ranked)
        hits: list[SearchHit] = []
        for passage_id, score in ranked:
            row = rows.get(passage_id)
            if row is None:  # index ahead of records after a crash; reconcile will drop it
                continue
            hits.append(
                SearchHit(
                    passage_id=passage_id,
                    document_id=row["document_id"],
                    title=row["title"],
                    kind=EvidenceKind(row["kind"]),
                    year=row["year"],
                    source=row["source"],
                    section=row["section"],
                    text=row["text"],
                    score=score,
                    retracted=bool(row["retracted"]),
                )
            )
        return hits
