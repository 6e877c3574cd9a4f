"""Query latency of each retrieval preset on the sample library (≈38k documents, 83,516 passages).

Run from the repository root:

    .venv/bin/python bench/latency.py                     # builds the sample library in a temp folder
    .venv/bin/python bench/latency.py --library DIR       # an existing sample library
    .venv/bin/python bench/latency.py --queries 300 --json

Queries are real consumer questions (../shared/data/eval/healthsearchqa/questions.txt). The timer covers
the whole `Retriever.search(query, k=10)` call, query embedding included, after warm-up queries.
When the library has no passage vectors (embedding all 83,516 passages takes about 1.5 hours on
2 cores), the benchmark works on a temporary copy given random unit vectors for every passage (and
for every sentence of each passage, which `best` re-ranks by) and says so: the cost of dense search
does not depend on the vector values, only on their number.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from _metrics import add_data_dir_argument, table
from evidex.evaluation.metrics import percentile
from evidex.ingest.embedding import missing_sentence_passages, passage_sentences
from evidex.ingest.runner import ingest_sample
from evidex.search.embedder import load_embedder
from evidex.search.retriever import Retriever
from evidex.search.settings import PRESETS, RetrievalSettings
from evidex.store.library import Library
from evidex.store.vectors import SENTENCE_SLOTS

TARGETS_MS = {"default": 150.0, "best": 600.0}


def _questions(data_dir: Path, count: int) -> list[str]:
    path = data_dir / "eval" / "healthsearchqa" / "questions.txt"
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:count]


def _random_units(rng: np.random.Generator, rows: int, dimensions: int) -> npt.NDArray[np.float32]:
    vectors = rng.standard_normal((rows, dimensions)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors


def _synthetic_vectors(library: Library) -> int:
    """Random unit vectors for every passage without one, and for every sentence of passages without
    sentence vectors (the `best` preset's re-ranking); marks the run as synthetic."""
    embedder = load_embedder()
    missing = sorted(library.records.passage_ids() - library.vectors.ids())
    rng = np.random.default_rng(7)
    for start in range(0, len(missing), 50_000):
        chunk = missing[start : start + 50_000]
        library.vectors.append(chunk, _random_units(rng, len(chunk), embedder.dimensions), embedder.name)
    no_sentences = missing_sentence_passages(library)
    for start in range(0, len(no_sentences), 20_000):
        rows = library.records.passage_rows(no_sentences[start : start + 20_000])
        keys = [
            pid * SENTENCE_SLOTS + number
            for pid, row in rows.items()
            for number in range(len(passage_sentences(row["text"])))
        ]
        library.sentence_vectors.append(
            keys, _random_units(rng, len(keys), embedder.dimensions), embedder.name
        )
    return max(len(missing), len(no_sentences))


def run(library_path: Path, questions: list[str], warmup: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with Library(library_path) as library:
        counts = library.records.counts()
        results["documents"], results["passages"] = counts["documents"], counts["passages"]
        for preset in PRESETS:
            retriever = Retriever(library, RetrievalSettings.preset(preset))
            started = time.perf_counter()
            for question in questions[:warmup]:
                retriever.search(question, k=10)
            cold = time.perf_counter() - started
            timings = []
            for question in questions:
                begin = time.perf_counter()
                retriever.search(question, k=10)
                timings.append((time.perf_counter() - begin) * 1000)
            results[preset] = {
                "p50_ms": round(percentile(timings, 50), 1),
                "p95_ms": round(percentile(timings, 95), 1),
                "p99_ms": round(percentile(timings, 99), 1),
                "warmup_s": round(cold, 2),
                "notes": retriever.notes,
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--library", type=Path, help="existing sample library (default: build one)")
    add_data_dir_argument(parser)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="evidex-latency-") as tmp:
        work = Path(tmp) / "library"
        if args.library:
            shutil.copytree(args.library, work)
        else:
            with Library(work, create=True) as library:
                ingest_sample(library, args.data_dir / "corpus")
        with Library(work) as library:
            synthetic = _synthetic_vectors(library)
        results = run(work, _questions(args.data_dir, args.queries), args.warmup)
    results["synthetic_vectors"] = synthetic
    results["queries"] = args.queries
    results["machine"] = f"{platform.processor() or platform.machine()}, Python {platform.python_version()}"
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"sample library: {results['documents']:,} documents, {results['passages']:,} passages; "
        f"{args.queries} HealthSearchQA questions, k=10"
    )
    if synthetic:
        print(
            f"note: {synthetic:,} passages had no vector (or no sentence vectors) and were given "
            "random unit vectors (timing only)"
        )
    rows = []
    for preset in PRESETS:
        r = results[preset]
        target = TARGETS_MS.get(preset)
        verdict = (
            "" if target is None else ("meets" if r["p95_ms"] <= target else "MISSES") + f" p95 ≤ {target:g}"
        )
        rows.append([preset, r["p50_ms"], r["p95_ms"], r["p99_ms"], r["warmup_s"], verdict])
    print(table(["preset", "p50 ms", "p95 ms", "p99 ms", "warm-up s", "target"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
