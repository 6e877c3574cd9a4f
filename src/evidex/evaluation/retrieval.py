"""Retrieval evaluation: ingest a benchmark corpus into its own library, run every query per preset
and score the ranked documents against the judgments.

Why a library per dataset: benchmark corpora must not mix with the user's evidence (other documents
would change BM25 statistics and rankings), and building one takes seconds to minutes, so it is
cached under `cache_dir` and reused; ingest is idempotent and vectors are only computed for passages
that lack one. BM25 always runs as the baseline column, so every preset is read against it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rich.table import Table

from evidex.evaluation.datasets import RetrievalDataset, prepare_corpus
from evidex.evaluation.metrics import mean, mrr_at_k, ndcg_at_k, percentile, recall_at_k
from evidex.ingest.embedding import (
    embed_missing,
    embed_missing_sentences,
    missing_passages,
    missing_sentence_passages,
)
from evidex.ingest.runner import ingest
from evidex.models import SearchHit
from evidex.search.embedder import EmbedderUnavailable, load_embedder
from evidex.search.query import QueryError
from evidex.search.retriever import Retriever
from evidex.search.settings import RetrievalSettings
from evidex.store.library import Library
from evidex.store.vectors import VectorStoreError

BASELINE = "bm25"
PRESETS = ("bm25", "fast", "default", "best")
WARMUP_QUERIES = 3
"""Queries run (unscored, untimed) before each preset so first-call costs do not skew latency."""


class EvalError(RuntimeError):
    """The evaluation cannot run as asked; the message says what to change."""


class EvalProgress(Protocol):
    """Receives progress of the slow steps (ingest, embedding, queries); the CLI draws bars."""

    def start(self, description: str, total: int | None) -> None: ...

    def advance(self, amount: int) -> None: ...

    def end(self) -> None: ...


class _IngestReporter:
    """Adapts EvalProgress to the ingest runner's Reporter protocol."""

    def __init__(self, progress: EvalProgress) -> None:
        self.progress = progress

    def start_file(self, path: Path, fmt: str) -> None:
        self.progress.start(f"ingest {path.name}", None)

    def advance(self, documents: int) -> None:
        self.progress.advance(documents)

    def end_file(self) -> None:
        self.progress.end()


@dataclass
class PresetResult:
    """Mean metrics of one preset over all queries, and per-query search latency."""

    preset: str
    ndcg_at_10: float
    recall_at_10: float
    recall_at_100: float
    mrr_at_10: float
    latency_p50_ms: float
    latency_p95_ms: float
    queries: int
    unsearchable_queries: int
    ndcg_vs_baseline: float | None = None
    """nDCG@10 of this preset divided by BM25's (None when BM25 scored 0)."""
    notes: list[str] = field(default_factory=list)
    """What the retriever had to leave out (e.g. dense search off), so a row is never silently lexical."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "ndcg@10": self.ndcg_at_10,
            "recall@10": self.recall_at_10,
            "recall@100": self.recall_at_100,
            "mrr@10": self.mrr_at_10,
            "latency_p50_ms": self.latency_p50_ms,
            "latency_p95_ms": self.latency_p95_ms,
            "queries": self.queries,
            "unsearchable_queries": self.unsearchable_queries,
            "ndcg@10_vs_bm25": self.ndcg_vs_baseline,
            "notes": list(self.notes),
        }


@dataclass
class EvalReport:
    """What `evidex eval retrieval` prints: one row per preset, BM25 first."""

    dataset: str
    library: Path
    documents: int
    passages: int
    queries: int
    judgments: int
    k: int
    results: list[PresetResult] = field(default_factory=list)
    ingest_seconds: float = 0.0
    embedded_passages: int = 0
    embed_seconds: float = 0.0

    def result(self, preset: str) -> PresetResult:
        return next(r for r in self.results if r.preset == preset)

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "library": str(self.library),
            "documents": self.documents,
            "passages": self.passages,
            "queries": self.queries,
            "judgments": self.judgments,
            "k": self.k,
            "baseline": BASELINE,
            "presets": {r.preset: r.as_dict() for r in self.results},
            "ingest_seconds": round(self.ingest_seconds, 3),
            "embedded_passages": self.embedded_passages,
            "embed_seconds": round(self.embed_seconds, 3),
        }

    def as_table(self) -> Table:
        table = Table(
            title=(
                f"{self.dataset}: {self.queries:,} queries, {self.judgments:,} judgments, "
                f"{self.documents:,} documents ({self.passages:,} passages), top {self.k} passages"
            ),
            caption="R = Recall · ×BM25 = nDCG@10 relative to bm25 · latency per query (ms)",
        )
        table.add_column("preset")
        for name in ("nDCG@10", "×BM25", "R@10", "R@100", "MRR@10", "p50 ms", "p95 ms"):
            table.add_column(name, justify="right")
        for r in self.results:
            ratio = f"{r.ndcg_vs_baseline:.3f}" if r.ndcg_vs_baseline is not None else "-"
            table.add_row(
                r.preset,
                f"{r.ndcg_at_10:.4f}",
                ratio,
                f"{r.recall_at_10:.4f}",
                f"{r.recall_at_100:.4f}",
                f"{r.mrr_at_10:.4f}",
                f"{r.latency_p50_ms:.1f}",
                f"{r.latency_p95_ms:.1f}",
            )
        return table


def _presets(requested: Sequence[str]) -> list[str]:
    """BM25 first, then the requested presets in order, each once."""
    ordered = [BASELINE, *requested]
    return list(dict.fromkeys(ordered))


def _settings(preset: str) -> RetrievalSettings:
    try:
        return RetrievalSettings.preset(preset)
    except (KeyError, ValueError) as exc:
        raise EvalError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}") from exc


def documents_of(hits: Sequence[SearchHit], dataset: RetrievalDataset) -> list[str]:
    """Dataset ids of the documents behind ranked passage hits, each at its first (best) rank."""
    seen: dict[str, None] = {}
    for hit in hits:
        seen.setdefault(dataset.dataset_id(hit.document_id), None)
    return list(seen)


def _score(
    preset: str,
    retriever: Retriever,
    dataset: RetrievalDataset,
    k: int,
    progress: EvalProgress | None,
) -> PresetResult:
    queries = list(dataset.queries.items())
    for _, text in queries[:WARMUP_QUERIES]:
        with contextlib.suppress(QueryError):
            retriever.search(text, k)
    ndcg10: list[float] = []
    recall10: list[float] = []
    recall100: list[float] = []
    mrr10: list[float] = []
    latencies: list[float] = []
    unsearchable = 0
    if progress:
        progress.start(f"{dataset.name} · {preset}", len(queries))
    try:
        for qid, text in queries:
            started = time.perf_counter()
            try:
                hits = retriever.search(text, k)
            except QueryError:
                hits = []
                unsearchable += 1
            latencies.append((time.perf_counter() - started) * 1000.0)
            ranked = documents_of(hits, dataset)
            judged = dataset.qrels[qid]
            ndcg10.append(ndcg_at_k(ranked, judged, 10))
            recall10.append(recall_at_k(ranked, judged, 10))
            recall100.append(recall_at_k(ranked, judged, 100))
            mrr10.append(mrr_at_k(ranked, judged, 10))
            if progress:
                progress.advance(1)
    finally:
        if progress:
            progress.end()
    return PresetResult(
        preset=preset,
        ndcg_at_10=mean(ndcg10),
        recall_at_10=mean(recall10),
        recall_at_100=mean(recall100),
        mrr_at_10=mean(mrr10),
        latency_p50_ms=percentile(latencies, 50),
        latency_p95_ms=percentile(latencies, 95),
        queries=len(queries),
        unsearchable_queries=unsearchable,
        notes=list(retriever.notes),
    )


def _embed(library: Library, progress: EvalProgress | None, sentences: bool = False) -> int:
    """Vectors for every passage without one (and its sentences' vectors when a preset re-ranks by
    sentence); EvalError when the embedding model is not installed."""
    try:
        embedder = load_embedder()
    except EmbedderUnavailable as exc:
        raise EvalError(
            f"the embedding model needed by the hybrid presets is not available ({exc}); "
            "use --preset fast, or install it with `make install`"
        ) from exc
    jobs: list[tuple[str, Callable[[Library], list[int]], Callable[..., int]]] = [
        ("embed passages", missing_passages, embed_missing)
    ]
    if sentences:
        jobs.append(("embed sentences", missing_sentence_passages, embed_missing_sentences))
    embedded: list[int] = []  # passages first, then (when asked) passages whose sentences were embedded
    for label, missing, embed in jobs:
        if progress:
            progress.start(label, len(missing(library)))
        try:
            done = embed(library, embedder, progress=progress.advance if progress else None)
        except VectorStoreError as exc:
            raise EvalError(
                f"{exc}; or delete the cached evaluation library {library.path} and run again"
            ) from exc
        finally:
            if progress:
                progress.end()
        embedded.append(done)
    return embedded[0]


def run_retrieval_eval(
    dataset: RetrievalDataset,
    presets: Sequence[str],
    cache_dir: Path,
    limit: int | None = None,
    k: int = 100,
    progress: EvalProgress | None = None,
) -> EvalReport:
    """Score each preset (and BM25) on `dataset`, building or reusing its library in `cache_dir`."""
    names = _presets(presets)
    settings = {name: _settings(name) for name in names}
    dataset = dataset.limited(limit)
    if not dataset.queries:
        raise EvalError(f"{dataset.name} has no queries with relevance judgments to evaluate")
    folder = cache_dir.expanduser() / dataset.cache_key
    corpus, fmt = prepare_corpus(dataset, folder / "corpus")
    with Library(folder / "library", create=True) as library:
        summary = ingest(library, [corpus], fmt=fmt, reporter=_IngestReporter(progress) if progress else None)
        if summary.rejected and not summary.read_anything:
            raise EvalError(f"could not ingest {corpus}: {summary.rejected[0].describe()}")
        counts = library.records.counts()
        report = EvalReport(
            dataset=dataset.name,
            library=library.path,
            documents=int(counts["documents"]),
            passages=int(counts["passages"]),
            queries=len(dataset.queries),
            judgments=dataset.judgments,
            k=k,
            ingest_seconds=summary.seconds,
        )
        if any(s.needs_vectors for s in settings.values()):
            started = time.perf_counter()
            sentences = any(s.sentence_rerank for s in settings.values())
            report.embedded_passages = _embed(library, progress, sentences)
            report.embed_seconds = time.perf_counter() - started
        for name in names:
            retriever = Retriever(library, settings[name])
            report.results.append(_score(name, retriever, dataset, k, progress))
    baseline = report.result(BASELINE).ndcg_at_10
    for result in report.results:
        result.ndcg_vs_baseline = result.ndcg_at_10 / baseline if baseline > 0 else None
    return report
