"""The Retriever: one entry point for `evidex search`, the answer engine, evaluation and the API.

Flow: query → BM25 candidates (the user's words, then down-weighted medical expansions; words too
common or over the posting budget are scored on the candidates afterwards) while, on a worker thread,
the query is embedded and its nearest passages found → fusion of both scores over all candidates
(convex by default, RRF by setting) → optional Rocchio re-scoring → evidence-aware boosts → optional
re-ranking of the top candidates by their best sentence (`best`) → top k. Missing parts degrade
instead of failing: with no vectors (or no model installed) the search is lexical, without sentence
vectors `best` skips that step, and `notes` says why, so a caller can show it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from evidex.ingest.abbreviations import load_table
from evidex.models import EvidenceKind, SearchHit
from evidex.search.dense import DenseIndex
from evidex.search.embedder import EmbedderUnavailable, load_embedder
from evidex.search.fusion import convex_combination, reciprocal_rank_fusion
from evidex.search.query import match_expression, query_terms, terms_expression
from evidex.search.sentence_index import SentenceIndex
from evidex.search.settings import RetrievalSettings
from evidex.search.synonyms import expand_query, phrases_expression
from evidex.store.fts import LexicalFilter
from evidex.store.library import Library
from evidex.store.vectors import VectorStoreError

MAX_K = 1000
_PHRASE = re.compile(r'"((?:[^"]|"")*)"')


@dataclass(frozen=True)
class SearchFilters:
    """Which evidence a search may return."""

    kinds: Sequence[EvidenceKind] = ()
    sources: Sequence[str] = ()
    year_from: int | None = None
    year_to: int | None = None
    include_retracted: bool = True

    @property
    def active(self) -> bool:
        return bool(
            self.kinds or self.sources or self.year_from or self.year_to or not self.include_retracted
        )

    def admits(self, row: dict[str, Any]) -> bool:
        """Whether a joined passage row passes (used for dense candidates, filtered after search)."""
        year = row["year"]
        return (
            (not self.kinds or row["kind"] in {kind.value for kind in self.kinds})
            and (not self.sources or row["source"] in self.sources)
            and (self.year_from is None or (year is not None and year >= self.year_from))
            and (self.year_to is None or (year is not None and year <= self.year_to))
            and (self.include_retracted or not row["retracted"])
        )


class Retriever:
    """Ranks passages of a library; the embedder and vectors load on first dense query."""

    def __init__(self, library: Library, settings: RetrievalSettings | None = None) -> None:
        self.library = library
        self.settings = settings or RetrievalSettings.preset("default")
        self.notes: list[str] = []
        self._dense: DenseIndex | None = None
        self._embedder: Any = None
        self._dense_ready: bool | None = None
        self._sentences: SentenceIndex | None = None
        self._sentences_ready: bool | None = None
        self._abbreviations: Any = None
        self._this_year = dt.date.today().year
        self._pool: ThreadPoolExecutor | None = None

    # -- parts ----------------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def dense_ready(self) -> bool:
        """Load model and vectors once; False (with a note) when either is missing."""
        if self._dense_ready is None:
            self._dense_ready = False
            try:
                embedder = load_embedder()
                self.library.vectors.check_model(embedder.name, embedder.dimensions)
            except EmbedderUnavailable as exc:
                self._note(f"dense search off: {exc}")
                return False
            dense = DenseIndex(self.library)
            if not len(dense):
                self._note(
                    "dense search off: the library has no passage vectors yet; run `evidex library embed`"
                )
                return False
            self._embedder, self._dense, self._dense_ready = embedder, dense, True
        return self._dense_ready

    def sentences_ready(self) -> bool:
        """Load the sentence vectors once; False (with a note) when the library has none."""
        if self._sentences_ready is None:
            self._sentences_ready = False
            if not self.dense_ready():
                return False
            assert self._embedder is not None
            try:
                self.library.sentence_vectors.check_model(self._embedder.name, self._embedder.dimensions)
            except VectorStoreError as exc:
                self._note(f"sentence re-ranking off: {exc}")
                return False
            sentences = SentenceIndex(self.library)
            if not len(sentences):
                self._note(
                    "sentence re-ranking off: the library has no sentence vectors; "
                    "run `evidex library embed --sentences`"
                )
                return False
            self._sentences, self._sentences_ready = sentences, True
        return self._sentences_ready

    def _expansions(self, query: str) -> str | None:
        """FTS5 expression of the query's synonyms and abbreviation expansions (None if none)."""
        if not self.settings.expand_query or not self.settings.expansion_weight:
            return None
        if self._abbreviations is None:
            self._abbreviations = load_table(self.library.path) or False
        extra = phrases_expression(query, expand_query(query, self._abbreviations or None))
        share, budget = self.settings.max_term_share, self.settings.max_postings
        if extra is None or (share >= 1 and not budget):
            return extra
        # an expansion as common as a pruned word would cost a visit to much of the index for a
        # down-weighted recall aid: leave it out (no minimum kept; the user's words remain)
        phrases = [phrase.replace('""', '"') for phrase in _PHRASE.findall(extra)]
        kept = self.library.lexical.prune_common(phrases, share, keep=0, max_postings=budget)
        return terms_expression(kept) if kept else None

    def _match(self, query: str) -> tuple[str, list[str]]:
        """FTS5 expression of the user's words, and the words too common to be worth matching.

        The common words (in more than `max_term_share` of passages) are left out of the MATCH
        query, which would otherwise visit most of a large index, and are scored afterwards on
        the candidates only (`FtsIndex.common_term_scores`). Raises QueryError for a query with
        nothing to search for.
        """
        match = match_expression(query)
        share, budget = self.settings.max_term_share, self.settings.max_postings
        if share >= 1 and not budget:
            return match, []
        terms = query_terms(query)
        kept = self.library.lexical.prune_common(terms, share, max_postings=budget)
        return terms_expression(kept), [term for term in terms if term not in kept]

    def _bm25_of(self, match: str, common: list[str], ids: list[int]) -> dict[int, float]:
        """BM25 of the user's words for passages the MATCH query did not rank (0 if none match)."""
        scores = self.library.lexical.scores_for(match, ids)
        if common:
            for pid, added in self.library.lexical.common_term_scores(common, ids).items():
                scores[pid] += added
        return scores

    def _lexical(
        self, query: str, depth: int, where: LexicalFilter
    ) -> tuple[str, list[str], list[tuple[int, float]]]:
        """BM25 of the user's words plus the down-weighted BM25 of the expansions, best first."""
        match, common = self._match(query)
        scores = dict(self.library.lexical.search(match, depth, where))
        if common and scores:
            for pid, added in self.library.lexical.common_term_scores(common, list(scores)).items():
                scores[pid] += added
        extra = self._expansions(query)
        if extra:
            expanded = dict(self.library.lexical.search(extra, depth, where))
            new = [pid for pid in expanded if pid not in scores]
            scores.update(self._bm25_of(match, common, new))
            weight = self.settings.expansion_weight
            for pid, score in expanded.items():
                scores[pid] += weight * score
            match = f"{match} OR {extra}"
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:depth]
        return match, common, ranked

    # -- search ---------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: SearchFilters | None = None) -> list[SearchHit]:
        """The `k` best passages; raises QueryError for a query with nothing to search for."""
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}, got {k}")
        settings = self.settings
        filters = filters or SearchFilters()
        if settings.retracted == "exclude":
            filters = SearchFilters(
                filters.kinds, filters.sources, filters.year_from, filters.year_to, include_retracted=False
            )
        where = LexicalFilter(
            kinds=[kind.value for kind in filters.kinds],
            sources=list(filters.sources),
            year_from=filters.year_from,
            year_to=filters.year_to,
            include_retracted=filters.include_retracted,
        )
        depth = max(k, settings.lexical_k)
        pending: Future[tuple[np.ndarray, list[tuple[int, float]]]] | None = None
        if settings.needs_vectors and self.dense_ready():
            # the query embedding and the scan of the vectors run beside the BM25 queries (NumPy and
            # SQLite both release the GIL), so a hybrid query costs the slower of the two, not the sum
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidex-dense")
            dense_k = max(k, settings.dense_k) * (5 if filters.active else 1)
            pending = self._pool.submit(self._dense_candidates, query, dense_k)
        try:
            if settings.lexical:
                match, common, lexical = self._lexical(query, depth, where)
            else:
                (match, common), lexical = self._match(query), []
        except BaseException:
            if pending is not None:
                wait([pending])  # never leave the worker busy with a query that already failed
            raise
        query_vector, dense = pending.result() if pending is not None else (None, [])

        if dense and settings.fusion == "rrf":
            scores = reciprocal_rank_fusion(
                [[pid for pid, _ in lexical], [pid for pid, _ in dense]],
                [settings.lexical_weight, settings.dense_weight],
                settings.rrf_k,
            )
        elif dense and query_vector is not None:
            scores = self._convex(match, common, query_vector, dict(lexical), dict(dense))
        else:
            scores = {pid: score for pid, score in lexical}
        rows = self.library.records.passage_rows(scores)
        if dense and filters.active:
            scores = {pid: s for pid, s in scores.items() if pid in rows and filters.admits(rows[pid])}
        if settings.evidence_boosts or settings.retracted == "penalize":
            scores = {pid: s * self._boost(rows[pid]) for pid, s in scores.items() if pid in rows}
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
        if settings.sentence_rerank and query_vector is not None and ranked and self.sentences_ready():
            ranked = self._by_sentence(query_vector, ranked)
        return [self._hit(pid, score, rows[pid]) for pid, score in ranked[:k] if pid in rows]

    def _by_sentence(
        self, query_vector: np.ndarray, ranked: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        """The top `sentence_depth` candidates re-ordered by score (scaled to the top one) plus the
        weighted cosine of their best sentence; the rest follow, scaled alike."""
        assert self._sentences is not None
        settings = self.settings
        top = ranked[0][1] or 1.0
        head = ranked[: settings.sentence_depth]
        best = self._sentences.best_sentence(query_vector, [pid for pid, _ in head])
        rescored = sorted(
            ((pid, score / top + settings.sentence_weight * best.get(pid, 0.0)) for pid, score in head),
            key=lambda item: (-item[1], item[0]),
        )
        return rescored + [(pid, score / top) for pid, score in ranked[settings.sentence_depth :]]

    def _dense_candidates(self, query: str, k: int) -> tuple[np.ndarray, list[tuple[int, float]]]:
        """The query's vector and its `k` nearest passages (runs on the dense worker thread)."""
        assert self._embedder is not None and self._dense is not None
        vector: np.ndarray = self._embedder.embed([query])[0]
        return vector, self._dense.search(vector, k)

    def _convex(
        self,
        match: str,
        common: list[str],
        query_vector: np.ndarray,
        bm25: dict[int, float],
        cosine: dict[int, float],
    ) -> dict[int, float]:
        """Score every candidate of either list on both signals, then combine the normalised scores.

        Filling in the missing score (BM25 of a dense-only hit, cosine of a lexical-only hit) is what
        lets agreement between the two lists count. With `rerank`, a second pass first moves the query
        vector toward the best candidates (Rocchio pseudo-relevance feedback) and re-scores them all.
        """
        assert self._dense is not None
        settings = self.settings
        candidates = list(bm25.keys() | cosine.keys())
        lexical = dict(bm25)
        lexical.update(self._bm25_of(match, common, [p for p in candidates if p not in bm25]))
        dense = dict(cosine)
        dense.update(self._dense.similarity(query_vector, [p for p in candidates if p not in cosine]))
        fused = convex_combination(lexical, dense, settings.dense_share)
        if settings.rerank and settings.feedback_docs and settings.feedback_weight:
            top = sorted(fused, key=lambda pid: -fused[pid])[: settings.feedback_docs]
            vector = query_vector + settings.feedback_weight * self._dense.vectors(top).mean(axis=0)
            vector = vector / np.linalg.norm(vector)
            fused = convex_combination(
                lexical, self._dense.similarity(vector, candidates), settings.dense_share
            )
        return fused

    def _boost(self, row: dict[str, Any]) -> float:
        settings = self.settings
        factor = 1.0
        if settings.evidence_boosts:
            factor *= settings.kind_boosts.get(EvidenceKind(row["kind"]), 1.0)
            year = row["year"]
            if year and settings.recency_boost:
                age = max(0, self._this_year - int(year))
                factor *= 1 + settings.recency_boost * max(0.0, 1 - age / settings.recency_years)
        if row["retracted"] and settings.retracted == "penalize":
            factor *= settings.retracted_penalty
        return factor

    @staticmethod
    def _hit(passage_id: int, score: float, row: dict[str, Any]) -> SearchHit:
        return SearchHit(
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
            source_label=row["journal"] or row["publisher"] or row["source"],
            url=row["url"],
        )
