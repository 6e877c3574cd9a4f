"""Ingest speed of the sample library, and SciFact BM25 quality/latency against a plain reference BM25.

Run from the repository root:

    .venv/bin/python bench/ingest.py                      # both parts
    .venv/bin/python bench/ingest.py --skip-sample        # only the SciFact comparison
    .venv/bin/python bench/ingest.py --json               # machine-readable

Part (a) builds the sample library (all six shared corpora) with `ingest_sample` into a fresh folder
and reports, per corpus file and in total, documents, passages, seconds and documents/second.

Part (b) ingests only `scifact_corpus.jsonl`, runs the SciFact train claims that have relevance
judgments through `Retriever.search(query, k=100)`, collapses passage hits to documents (first
occurrence) and scores nDCG@10, Recall@100 and MRR@10. The reference is `rank_bm25.BM25Okapi`
(k1=1.2, b=0.75, FTS5's bm25() defaults) over title + " " + text, tokenized plainly: lower-case,
unicode words, the same stopwords as evidex's query parser, no stemming (evidex's index uses FTS5's
porter stemmer). Per-query latency covers the whole search call on each side.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

from _metrics import add_data_dir_argument, machine, table
from evidex.evaluation.metrics import mean, mrr_at_k, ndcg_at_k, percentile, recall_at_k
from evidex.ingest.runner import ingest, ingest_sample
from evidex.search.query import STOPWORDS, QueryError
from evidex.search.retriever import Retriever
from evidex.search.settings import RetrievalSettings
from evidex.store.library import Library

SCIFACT_CORPUS = "scifact_corpus.jsonl"
K_SEARCH = 100
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


# ----------------------------------------------------------------------------------- (a) ingest


@dataclass
class FileTiming:
    path: Path
    fmt: str
    started: float = 0.0
    seconds: float = 0.0
    documents: int = 0
    passages: int = 0


@dataclass
class TimingReporter:
    """Implements evidex's ingest Reporter protocol to time each corpus file."""

    library: Library
    files: list[FileTiming] = field(default_factory=list)
    _passages_before: int = 0

    def start_file(self, path: Path, fmt: str) -> None:
        self._passages_before = self.library.lexical.count()
        self.files.append(FileTiming(path, fmt, started=time.perf_counter()))

    def advance(self, documents: int) -> None:
        self.files[-1].documents += documents

    def end_file(self) -> None:
        current = self.files[-1]
        current.seconds = time.perf_counter() - current.started
        current.passages = self.library.lexical.count() - self._passages_before


def run_sample(corpus_dir: Path, library_dir: Path, batch_size: int) -> dict[str, Any]:
    with Library(library_dir, create=True) as library:
        reporter = TimingReporter(library)
        summary = ingest_sample(library, corpus_dir, batch_size=batch_size, reporter=reporter)
        size = library.size_on_disk()
    per_file = [
        {
            "file": t.path.name,
            "format": t.fmt,
            "documents_read": t.documents,
            "passages": t.passages,
            "seconds": round(t.seconds, 3),
            "docs_per_s": round(t.documents / t.seconds, 1) if t.seconds else 0.0,
        }
        for t in reporter.files
    ]
    documents = summary.added + summary.updated
    return {
        "library": str(library_dir),
        "files": per_file,
        "documents_added": documents,
        "documents_skipped": summary.skipped,
        "skip_reasons": dict(summary.skip_reasons),
        "rejected": len(summary.rejected),
        "passages": summary.passages_added,
        "seconds": round(summary.seconds, 3),
        "docs_per_s": round(documents / summary.seconds, 1) if summary.seconds else 0.0,
        "passages_per_s": round(summary.passages_added / summary.seconds, 1) if summary.seconds else 0.0,
        "files_plus_optimize_gap_s": round(summary.seconds - sum(t.seconds for t in reporter.files), 3),
        "library_mb": round(size / 1e6, 1),
    }


def print_sample(number: int, run: dict[str, Any]) -> None:
    rows = [
        [f["file"], f["format"], f["documents_read"], f["passages"], f["seconds"], f["docs_per_s"]]
        for f in run["files"]
    ]
    print(
        table(
            ["file", "format", "docs read", "passages", "seconds", "docs/s"],
            rows,
            title=f"\n(a) Sample library ingest, run {number} → {run['library']}",
        )
    )
    print(
        f"total: {run['documents_added']:,} documents added, {run['documents_skipped']:,} skipped "
        f"{run['skip_reasons'] or ''}, {run['rejected']} rejected; {run['passages']:,} passages; "
        f"{run['seconds']:.2f} s → {run['docs_per_s']:,.1f} docs/s, {run['passages_per_s']:,.1f} "
        f"passages/s; reconcile+optimize outside the per-file times "
        f"{run['files_plus_optimize_gap_s']:.2f} s; "
        f"library {run['library_mb']} MB on disk"
    )


# ------------------------------------------------------------------------------- (b) retrieval


def plain_tokens(text: str) -> list[str]:
    """Reference tokenizer: lower-case unicode words minus evidex's STOPWORDS, no stemming."""
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def load_scifact(eval_dir: Path) -> tuple[dict[str, str], dict[str, dict[str, int]], int]:
    """(queries with judgments, qrels by query, number of queries in the file)."""
    qrels: dict[str, dict[str, int]] = {}
    with (eval_dir / "qrels" / "train.tsv").open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            parts = line.split()
            if number == 0 and parts[:1] == ["query-id"]:
                continue
            if len(parts) >= 3:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    queries: dict[str, str] = {}
    total = 0
    with (eval_dir / "queries.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            total += 1
            record = json.loads(line)
            qid = str(record["_id"])
            if qid in qrels:
                queries[qid] = str(record["text"])
    return queries, {q: qrels[q] for q in queries}, total


def load_corpus(path: Path) -> tuple[list[str], list[list[str]]]:
    ids: list[str] = []
    tokens: list[list[str]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            ids.append(str(record["_id"]))
            tokens.append(plain_tokens(f"{record.get('title') or ''} {record.get('text') or ''}"))
    return ids, tokens


def evaluate(
    runs: dict[str, list[str]], qrels: dict[str, dict[str, int]], latencies: Sequence[float]
) -> dict[str, float]:
    qids = list(qrels)
    return {
        "ndcg@10": mean([ndcg_at_k(runs.get(q, []), qrels[q], 10) for q in qids]),
        "recall@100": mean([recall_at_k(runs.get(q, []), qrels[q], 100) for q in qids]),
        "mrr@10": mean([mrr_at_k(runs.get(q, []), qrels[q], 10) for q in qids]),
        "latency_p50_ms": percentile(latencies, 50) * 1000,
        "latency_p95_ms": percentile(latencies, 95) * 1000,
        "latency_mean_ms": mean(latencies) * 1000,
    }


def run_scifact(data_dir: Path, library_dir: Path, batch_size: int) -> dict[str, Any]:
    corpus_path = data_dir / "corpus" / SCIFACT_CORPUS
    queries, qrels, total_queries = load_scifact(data_dir / "eval" / "scifact")
    judged_docs = {doc for rel in qrels.values() for doc in rel}

    # --- evidex: FTS5 bm25 over passages, aggregated to documents
    with Library(library_dir, create=True) as library:
        summary = ingest(library, [corpus_path], fmt="beir", batch_size=batch_size)
        retriever = Retriever(library, RetrievalSettings.preset("bm25"))  # plain BM25, like the reference
        for text in list(queries.values())[:20]:  # warm the page cache and statement cache
            with contextlib.suppress(QueryError):
                retriever.search(text, k=K_SEARCH)
        ours: dict[str, list[str]] = {}
        ours_latency: list[float] = []
        passages_returned: list[int] = []
        empty_queries = 0
        for qid, text in queries.items():
            started = time.perf_counter()
            try:
                hits = retriever.search(text, k=K_SEARCH)
            except QueryError:
                hits = []
                empty_queries += 1
            docs: list[str] = []
            seen: set[str] = set()
            for hit in hits:
                if hit.document_id not in seen:
                    seen.add(hit.document_id)
                    docs.append(hit.document_id.removeprefix("scifact:"))
            ours_latency.append(time.perf_counter() - started)
            ours[qid] = docs
            passages_returned.append(len(hits))

    # --- reference: rank_bm25 over whole documents
    build_started = time.perf_counter()
    doc_ids, doc_tokens = load_corpus(corpus_path)
    bm25 = BM25Okapi(doc_tokens, k1=1.2, b=0.75)
    reference_build_s = time.perf_counter() - build_started
    reference: dict[str, list[str]] = {}
    reference_latency: list[float] = []
    for qid, text in queries.items():
        started = time.perf_counter()
        terms = list(dict.fromkeys(plain_tokens(text)))  # unique terms, as evidex ORs each term once
        scores = np.asarray(bm25.get_scores(terms), dtype=float)
        top = np.argsort(-scores, kind="stable")[:K_SEARCH]
        reference[qid] = [doc_ids[int(i)] for i in top if scores[int(i)] > 0]
        reference_latency.append(time.perf_counter() - started)

    ours_metrics = evaluate(ours, qrels, ours_latency)
    reference_metrics = evaluate(reference, qrels, reference_latency)
    return {
        "corpus_documents": len(doc_ids),
        "judged_documents_missing_from_corpus": len(judged_docs - set(doc_ids)),
        "queries_in_file": total_queries,
        "queries_with_qrels": len(queries),
        "judgments": sum(len(r) for r in qrels.values()),
        "ingest": {
            "documents": summary.added,
            "passages": summary.passages_added,
            "seconds": round(summary.seconds, 3),
        },
        "evidex_empty_queries": empty_queries,
        "evidex_mean_passages_returned": mean([float(n) for n in passages_returned]),
        "evidex_mean_documents_returned": mean([float(len(d)) for d in ours.values()]),
        "reference_build_seconds": round(reference_build_s, 3),
        "evidex": ours_metrics,
        "reference": reference_metrics,
        "ndcg@10_difference": ours_metrics["ndcg@10"] - reference_metrics["ndcg@10"],
        "latency_ratio_p50_reference_over_evidex": _ratio(
            reference_metrics["latency_p50_ms"], ours_metrics["latency_p50_ms"]
        ),
        "latency_ratio_p95_reference_over_evidex": _ratio(
            reference_metrics["latency_p95_ms"], ours_metrics["latency_p95_ms"]
        ),
        "reference_settings": (
            "rank_bm25.BM25Okapi k1=1.2 b=0.75 epsilon=0.25 over title+' '+text; tokenizer: lower-case, "
            "unicode words [^\\W_]+, evidex STOPWORDS removed, NO stemming; query terms de-duplicated"
        ),
        "evidex_settings": (
            "SQLite FTS5 bm25() (k1=1.2 b=0.75) over passages (title + passage text), porter stemmer; "
            "top 100 passages collapsed to documents by first occurrence"
        ),
    }


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def print_scifact(result: dict[str, Any]) -> None:
    ing = result["ingest"]
    print(
        f"\n(b) SciFact retrieval: {result['queries_with_qrels']} of {result['queries_in_file']} train "
        f"queries have judgments ({result['judgments']} judgments); corpus {result['corpus_documents']:,} "
        f"documents ({result['judged_documents_missing_from_corpus']} judged ids missing from it)"
    )
    print(
        f"evidex ingest: {ing['documents']:,} documents → {ing['passages']:,} passages "
        f"in {ing['seconds']:.2f} s; "
        f"reference index build {result['reference_build_seconds']:.2f} s"
    )
    ours, ref = result["evidex"], result["reference"]
    rows: list[list[object]] = []
    for key, label in (
        ("ndcg@10", "nDCG@10"),
        ("recall@100", "Recall@100"),
        ("mrr@10", "MRR@10"),
        ("latency_p50_ms", "latency p50 (ms)"),
        ("latency_p95_ms", "latency p95 (ms)"),
        ("latency_mean_ms", "latency mean (ms)"),
    ):
        rows.append([label, float(ours[key]), float(ref[key]), float(ours[key] - ref[key])])
    print(table(["metric", "evidex", "reference", "evidex - ref"], rows))
    print(f"nDCG@10 difference (evidex - reference): {result['ndcg@10_difference']:+.4f}")
    print(
        f"latency ratio reference / evidex: p50 {result['latency_ratio_p50_reference_over_evidex']:.2f}x, "
        f"p95 {result['latency_ratio_p95_reference_over_evidex']:.2f}x"
    )
    print(
        f"evidex returned on average {result['evidex_mean_passages_returned']:.1f} passages → "
        f"{result['evidex_mean_documents_returned']:.1f} distinct documents per query "
        f"({result['evidex_empty_queries']} queries had no searchable terms)"
    )
    print(f"evidex:    {result['evidex_settings']}")
    print(f"reference: {result['reference_settings']}")
    print(
        "(published orientation: BM25 Anserini flat on SciFact test nDCG@10 0.679; this is the train split)"
    )


# ----------------------------------------------------------------------------------------- main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add_data_dir_argument(parser)
    parser.add_argument(
        "--library",
        type=Path,
        default=None,
        help="empty or new folder for the sample library (default: a fresh temporary folder, removed after)",
    )
    parser.add_argument("--runs", type=int, default=1, help="sample ingest runs, each into a fresh library")
    parser.add_argument("--batch-size", type=int, default=500, help="ingest batch size (default 500)")
    parser.add_argument("--skip-sample", action="store_true", help="skip part (a), the sample ingest")
    parser.add_argument("--skip-scifact", action="store_true", help="skip part (b), the SciFact comparison")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)

    corpus_dir: Path = args.data_dir / "corpus"
    result: dict[str, Any] = {"machine": machine()}
    if not args.json:
        m = result["machine"]
        print(f"machine: {m['cpu']}, {m['cpus']} CPUs, Python {m['python']}, {m['date']}")
    with tempfile.TemporaryDirectory(prefix="evidex-bench-") as tmp:
        if not args.skip_sample:
            runs: list[dict[str, Any]] = []
            for number in range(1, args.runs + 1):
                if args.library is None:
                    target = Path(tmp) / f"sample-{number}"
                else:
                    target = args.library if args.runs == 1 else args.library / f"run-{number}"
                runs.append(run_sample(corpus_dir, target, args.batch_size))
                if not args.json:
                    print_sample(number, runs[-1])
            result["sample"] = runs
        if not args.skip_scifact:
            result["scifact"] = run_scifact(args.data_dir, Path(tmp) / "scifact", args.batch_size)
            if not args.json:
                print_scifact(result["scifact"])
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
