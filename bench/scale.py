"""Scale benchmark: build time, size, memory and query latency of a library of a million passages.

Run from the repository root:

    .venv/bin/python bench/scale.py --passages 50000        # quick run (~2 minutes on 2 cores)
    .venv/bin/python bench/scale.py                         # 1,000,000 passages (~15-20 minutes)
    .venv/bin/python bench/scale.py --library DIR --keep    # keep the library; rerun on it later
    .venv/bin/python bench/scale.py --json

The library is synthetic but built through the real store. Its text comes from the shared sample
corpora (../shared/data/corpus): every sample file is read with its real loader, graded and cut into
passages as ingest does, giving the empirical unigram distribution of lower-case words and the
distribution of words per passage. Each synthetic passage draws its length from the latter and its
words independently from the former (NumPy, seeded), so term and document frequencies are realistic
for BM25 (though with no topical clustering). Passages are grouped 4 per document; each document gets
a title of sampled words and the kind, source, year and retraction flag of a random sample document.

Build: `Library(create=True)`, `RecordStore.write_batch` with `Document`/`Passage` objects in
batches, `FtsIndex.add` after each batch and `FtsIndex.optimize` at the end, then one
`VectorStore.append` per 50,000 passages. The vectors are RANDOM unit vectors (float32, seeded):
embedding a million passages for real would take about 20 hours on 2 cores, and the cost of exact
dense search depends only on how many vectors there are, not on their values.

Search runs in a fresh child process (so its memory is not the build's): each preset's `Retriever`
is created and its model and vectors loaded (resident memory measured from /proc/self/status VmRSS
after loading), 5 warm-up queries run, then the first `--queries` HealthSearchQA questions are timed
one by one around the whole `Retriever.search(question, k=10)` call, query embedding by the real
model included. The time inside each part of the search (FTS5 queries, records join, query embedding,
dense search) is measured by wrapping those methods, and reported per preset.

Targets, at 1,000,000 passages: `default` p95 ≤ 300 ms; resident memory ≤ 6 GB while searching.
The generated library is deleted at the end unless `--keep`; a `--library DIR` that already holds a
library is searched as it is, without building.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import numpy as np
import numpy.typing as npt

from _metrics import add_data_dir_argument, table
from _metrics import machine as common_machine
from evidex.evaluation.metrics import mean, percentile
from evidex.ingest.chunking import split_document
from evidex.ingest.formats import loader
from evidex.ingest.grading import graded
from evidex.ingest.records import Rejected
from evidex.ingest.runner import SAMPLE_FILES
from evidex.models import Document, EvidenceKind, Passage
from evidex.search.embedder import load_embedder
from evidex.search.query import QueryError
from evidex.search.retriever import Retriever
from evidex.search.settings import RetrievalSettings
from evidex.store.library import MARKER_FILE, Library

PRESETS = ("bm25", "fast", "default", "best")
PASSAGES_PER_DOCUMENT = 4
TARGET_PASSAGES = 1_000_000
TARGET_P95_MS = {"default": 300.0}
TARGET_RESIDENT_GB = 6.0
VECTOR_SHARD = 50_000
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

P = ParamSpec("P")
R = TypeVar("R")


# ------------------------------------------------------------------------------------ sample


@dataclass(frozen=True)
class Facet:
    """The document facts a synthetic document copies from one sample document."""

    kind: EvidenceKind
    source: str
    year: int | None
    retracted: bool


@dataclass
class SampleStats:
    """Empirical distributions of the sample corpora."""

    vocabulary: list[str]
    counts: npt.NDArray[np.int64]
    passage_words: npt.NDArray[np.int64]
    title_words: npt.NDArray[np.int64]
    facets: list[Facet]
    files: list[str]
    seconds: float

    @property
    def tokens(self) -> int:
        return int(self.counts.sum())


def sample_stats(corpus_dir: Path, files: Sequence[tuple[str, str]]) -> SampleStats:
    """Read the sample files as ingest does (loader → grading → passages) and count words."""
    started = time.perf_counter()
    counter: Counter[str] = Counter()
    passage_words: list[int] = []
    title_words: list[int] = []
    facets: list[Facet] = []
    for name, fmt in files:
        for item in loader(fmt)(corpus_dir / name):
            if isinstance(item, Rejected):
                continue
            document = graded(item)
            passages = split_document(document)
            if not passages:
                continue
            facets.append(Facet(document.kind, document.source, document.year, document.retracted))
            title_words.append(len(_WORD.findall(document.title)))
            for passage in passages:
                words = _WORD.findall(passage.text.lower())
                if words:
                    counter.update(words)
                    passage_words.append(len(words))
    ordered = counter.most_common()
    return SampleStats(
        vocabulary=[word for word, _ in ordered],
        counts=np.array([count for _, count in ordered], dtype=np.int64),
        passage_words=np.array(passage_words, dtype=np.int64),
        title_words=np.maximum(np.array(title_words, dtype=np.int64), 1),
        facets=facets,
        files=[name for name, _ in files],
        seconds=time.perf_counter() - started,
    )


class TextGenerator:
    """Passages and titles of words drawn independently from the sample's unigram distribution."""

    def __init__(self, stats: SampleStats, seed: int) -> None:
        self.stats = stats
        self.rng = np.random.default_rng(seed)
        self.words = np.array(stats.vocabulary, dtype=object)
        self.cdf = np.cumsum(stats.counts).astype(np.float64)
        self.cdf /= self.cdf[-1]

    def texts(self, lengths: npt.NDArray[np.int64]) -> list[str]:
        """One text per entry of `lengths`, that many words each."""
        draws = self.rng.random(int(lengths.sum()))
        index = np.minimum(np.searchsorted(self.cdf, draws, side="right"), len(self.cdf) - 1)
        tokens: list[str] = self.words[index].tolist()
        bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
        return [" ".join(tokens[a:b]) for a, b in pairwise(bounds)]

    def passage_lengths(self, count: int) -> npt.NDArray[np.int64]:
        return self.rng.choice(self.stats.passage_words, size=count)

    def titles(self, count: int) -> list[str]:
        return [text.capitalize() for text in self.texts(self.rng.choice(self.stats.title_words, size=count))]

    def facets(self, count: int) -> list[Facet]:
        return [self.stats.facets[i] for i in self.rng.integers(0, len(self.stats.facets), size=count)]


def synthetic_batches(
    generator: TextGenerator, passages: int, batch_documents: int
) -> Iterator[list[tuple[Document, str, list[Passage]]]]:
    """write_batch items: `passages` passages, 4 per document, `batch_documents` documents a batch."""
    documents = -(-passages // PASSAGES_PER_DOCUMENT)
    for first in range(0, documents, batch_documents):
        count = min(batch_documents, documents - first)
        per_document = [
            min(PASSAGES_PER_DOCUMENT, passages - (first + j) * PASSAGES_PER_DOCUMENT) for j in range(count)
        ]
        texts = iter(generator.texts(generator.passage_lengths(sum(per_document))))
        items: list[tuple[Document, str, list[Passage]]] = []
        for j, (title, facet) in enumerate(
            zip(generator.titles(count), generator.facets(count), strict=True)
        ):
            number = first + j
            document = Document(
                id=f"synthetic:{number:08d}",
                title=title,
                year=facet.year,
                retracted=facet.retracted,
                source=facet.source,
                kind=facet.kind,
            )
            doc_passages: list[Passage] = []
            offset = 0
            for ordinal in range(per_document[j]):
                text = next(texts)
                doc_passages.append(
                    Passage(
                        document_id=document.id,
                        ordinal=ordinal,
                        section="TEXT",
                        text=text,
                        start=offset,
                        end=offset + len(text),
                    )
                )
                offset += len(text) + 1
            items.append((document, f"{number:064x}", doc_passages))
        yield items


# ------------------------------------------------------------------------------------- build


@dataclass
class BuildResult:
    documents: int = 0
    passages: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    peak_rss_mb: float = 0.0


def build(
    library_path: Path, stats: SampleStats, passages: int, seed: int, batch_documents: int
) -> BuildResult:
    result = BuildResult()
    seconds = dict.fromkeys(
        ("generate text", "records", "lexical add", "lexical optimize", "vectors generate", "vectors append"),
        0.0,
    )
    generator = TextGenerator(stats, seed)
    embedder_name, dimensions = _model_identity()
    ids: list[int] = []
    with Library(library_path, create=True) as library:
        batches = synthetic_batches(generator, passages, batch_documents)
        progress_every = max(passages // 10, 1)
        next_report = progress_every
        while True:
            started = time.perf_counter()
            items = next(batches, None)
            seconds["generate text"] += time.perf_counter() - started
            if items is None:
                break
            started = time.perf_counter()
            written = library.records.write_batch(items, set(), "bench/scale.py")
            seconds["records"] += time.perf_counter() - started
            started = time.perf_counter()
            library.lexical.add(written.added_passages)
            seconds["lexical add"] += time.perf_counter() - started
            ids.extend(row.id for row in written.added_passages)
            result.documents += len(items)
            if len(ids) >= next_report:
                _log(f"  {len(ids):,} passages written ({_rates(seconds, len(ids))})")
                next_report += progress_every
        started = time.perf_counter()
        library.lexical.optimize()
        seconds["lexical optimize"] = time.perf_counter() - started
        _log("  lexical index optimized")
        rng = np.random.default_rng(seed + 1)
        for start in range(0, len(ids), VECTOR_SHARD):
            chunk = ids[start : start + VECTOR_SHARD]
            began = time.perf_counter()
            vectors = rng.standard_normal((len(chunk), dimensions), dtype=np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            seconds["vectors generate"] += time.perf_counter() - began
            began = time.perf_counter()
            library.vectors.append(chunk, vectors, embedder_name)
            seconds["vectors append"] += time.perf_counter() - began
    result.passages = len(ids)
    result.seconds = seconds
    result.peak_rss_mb = _peak_rss_mb()
    return result


def _rates(seconds: dict[str, float], passages: int) -> str:
    return ", ".join(f"{name} {passages / s:,.0f}/s" for name, s in seconds.items() if s > 0)


def _model_identity() -> tuple[str, int]:
    """Name and width of the installed embedding model, so `check_model` accepts the vectors."""
    embedder = load_embedder()
    return embedder.name, embedder.dimensions


# ------------------------------------------------------------------------------------ search


class StageClock:
    """Seconds spent inside wrapped methods during the current query series."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: Counter[str] = Counter()

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def wrap(self, name: str, function: Callable[P, R]) -> Callable[P, R]:
        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
                self.calls[name] += 1

        return timed


def _instrument(clock: StageClock, target: object, attribute: str, name: str) -> None:
    setattr(target, attribute, clock.wrap(name, getattr(target, attribute)))


STAGES = (
    "fts search",
    "fts scores_for",
    "expansion",
    "embed query",
    "dense search",
    "dense similarity",
    "records join",
)


def serve(library_path: Path, questions: list[str], warmup: int, presets: Sequence[str]) -> dict[str, Any]:
    """Load each preset's retriever in turn and time it (run in a fresh process)."""
    result: dict[str, Any] = {"rss_start_mb": _current_rss_mb(), "presets": {}}
    clock = StageClock()
    with Library(library_path) as library:
        counts = library.records.counts()
        result["documents"], result["passages"] = counts["documents"], counts["passages"]
        _instrument(clock, library.lexical, "search", "fts search")
        _instrument(clock, library.lexical, "scores_for", "fts scores_for")
        _instrument(clock, library.records, "passage_rows", "records join")
        for preset in presets:
            retriever = Retriever(library, RetrievalSettings.preset(preset))
            started = time.perf_counter()
            if retriever.settings.needs_vectors and retriever.dense_ready():
                assert retriever._dense is not None
                _instrument(clock, retriever._embedder, "embed", "embed query")
                _instrument(clock, retriever._dense, "search", "dense search")
                _instrument(clock, retriever._dense, "similarity", "dense similarity")
                _instrument(clock, retriever._dense, "vectors", "dense similarity")
            _instrument(clock, retriever, "_expansions", "expansion")
            load_s = time.perf_counter() - started
            rss_loaded = _current_rss_mb()
            for question in questions[:warmup]:
                with contextlib.suppress(QueryError):
                    retriever.search(question, k=10)
            clock.reset()
            timings: list[float] = []
            empty = 0
            for question in questions:
                began = time.perf_counter()
                try:
                    retriever.search(question, k=10)
                except QueryError:
                    empty += 1
                    continue
                timings.append((time.perf_counter() - began) * 1000)
            n = max(len(timings), 1)
            stages = {name: clock.seconds.get(name, 0.0) * 1000 / n for name in STAGES if clock.calls[name]}
            stages["other"] = max(mean(timings) - sum(stages.values()), 0.0) if timings else 0.0
            result["presets"][preset] = {
                "p50_ms": percentile(timings, 50),
                "p95_ms": percentile(timings, 95),
                "p99_ms": percentile(timings, 99),
                "mean_ms": mean(timings),
                "max_ms": max(timings, default=0.0),
                "queries": len(timings),
                "empty_queries": empty,
                "load_s": load_s,
                "rss_after_load_mb": rss_loaded,
                "rss_after_queries_mb": _current_rss_mb(),
                "stage_mean_ms": stages,
                "notes": list(retriever.notes),
            }
            _log(
                f"  {preset}: p50 {percentile(timings, 50):.1f} ms, p95 {percentile(timings, 95):.1f} ms, "
                f"RSS {rss_loaded:,.0f} MB"
            )
            del retriever
            gc.collect()
    result["peak_rss_mb"] = _peak_rss_mb()
    return result


def serve_in_child(
    library_path: Path, data_dir: Path, queries: int, warmup: int, presets: Sequence[str]
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--serve",
        str(library_path),
        "--data-dir",
        str(data_dir),
        "--queries",
        str(queries),
        "--warmup",
        str(warmup),
        "--presets",
        ",".join(presets),
    ]
    completed = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True)
    data: dict[str, Any] = json.loads(completed.stdout)
    return data


# ----------------------------------------------------------------------------------- helpers


def _status_kb(key: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    return 0.0


def _current_rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def questions(data_dir: Path, count: int) -> list[str]:
    path = data_dir / "eval" / "healthsearchqa" / "questions.txt"
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:count]


def sizes(library_path: Path) -> dict[str, int]:
    """Bytes per file at the top of the library, the vectors folder counted as one entry."""
    found: dict[str, int] = {}
    for path in sorted(library_path.iterdir()):
        if path.is_dir():
            found[path.name + "/"] = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        else:
            found[path.name] = path.stat().st_size
    return found


def machine() -> dict[str, Any]:
    return {
        **common_machine(),
        "memory_gb": round(_meminfo_gb("MemTotal"), 1),
        "numpy": np.__version__,
    }


def _meminfo_gb(key: str) -> float:
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1]) / 1024 / 1024
    return 0.0


# -------------------------------------------------------------------------------------- main


def verdicts(passages: int, search: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for preset, target in TARGET_P95_MS.items():
        if preset in search["presets"]:
            value = search["presets"][preset]["p95_ms"]
            found.append(
                {
                    "target": f"{preset} p95 ≤ {target:g} ms",
                    "value": f"{value:.1f} ms",
                    "pass": bool(value <= target),
                }
            )
    resident = max(search["peak_rss_mb"], *(p["rss_after_queries_mb"] for p in search["presets"].values()))
    found.append(
        {
            "target": f"resident memory while searching ≤ {TARGET_RESIDENT_GB:g} GB (peak RSS)",
            "value": f"{resident / 1024:.2f} GB",
            "pass": bool(resident / 1024 <= TARGET_RESIDENT_GB),
        }
    )
    for item in found:
        item["at_target_scale"] = passages >= TARGET_PASSAGES
    return found


def _aligned(rows: list[list[object]], headers: Sequence[str]) -> list[list[object]]:
    """Float columns as right-aligned one-decimal strings (the shared table prints small floats as 0.1234)."""
    out: list[list[object]] = [list(row) for row in rows]
    for i, header in enumerate(headers):
        if rows and all(isinstance(row[i], float) for row in rows):
            texts = [f"{cast(float, row[i]):,.1f}" for row in rows]
            width = max(len(header), *(len(t) for t in texts))
            for row, text in zip(out, texts, strict=True):
                row[i] = text.rjust(width)
    return out


def report(result: dict[str, Any]) -> None:
    m = result["machine"]
    print(
        f"machine: {m['cpu']}, {m['cpus']} CPUs, {m['memory_gb']} GB RAM, Python {m['python']}, "
        f"NumPy {m['numpy']}, {m['date']}"
    )
    sample = result.get("sample")
    build_result = result.get("build")
    search = result["search"]
    print(
        f"library: {search['documents']:,} documents, {search['passages']:,} passages"
        + (" (synthetic, built by this run)" if build_result else f" (existing: {result['library']})")
    )
    if sample:
        print(
            f"vocabulary: {sample['vocabulary']:,} words, {sample['tokens']:,} tokens from "
            f"{sample['passages']:,} passages of {sample['documents']:,} sample documents "
            f"({', '.join(sample['files'])}; read in {sample['seconds']:.1f} s); words per passage "
            f"mean {sample['passage_words_mean']:.1f}, median {sample['passage_words_median']:.0f}"
        )
    print(
        "note: passage vectors are RANDOM unit vectors (float32, seeded), not embeddings: dense search "
        "cost depends only on their number; queries are embedded by the real model inside the timed call"
    )
    if build_result:
        passages = build_result["passages"]
        rows: list[list[object]] = []
        for name, seconds in build_result["seconds"].items():
            rows.append([name, float(seconds), round(passages / seconds) if seconds else "-"])
        store = sum(s for name, s in build_result["seconds"].items() if name != "generate text")
        rows.append(["total in the store (all but generate)", float(store), round(passages / store)])
        headers = ["build part", "seconds", "passages/s"]
        print(table(headers, _aligned(rows, headers), title="\nBuild"))
        print(f"build process peak RSS: {build_result['peak_rss_mb']:,.0f} MB")
    size_rows: list[list[object]] = [[name, size / 1e6] for name, size in result["sizes"].items()]
    size_rows.append(["total", sum(result["sizes"].values()) / 1e6])
    print(table(["file", "MB"], _aligned(size_rows, ["file", "MB"]), title="\nSize on disk"))
    rows = []
    for preset, r in search["presets"].items():
        rows.append(
            [
                preset,
                float(r["p50_ms"]),
                float(r["p95_ms"]),
                float(r["p99_ms"]),
                float(r["mean_ms"]),
                float(r["load_s"]),
                round(r["rss_after_load_mb"]),
                round(r["rss_after_queries_mb"]),
            ]
        )
    headers = ["preset", "p50 ms", "p95 ms", "p99 ms", "mean ms", "load s", "RSS loaded MB", "RSS after MB"]
    print(
        table(
            headers,
            _aligned(rows, headers),
            title=(
                f"\nSearch latency, k=10, {result['queries']} HealthSearchQA questions after "
                f"{result['warmup']} warm-up queries per preset (fresh process)"
            ),
        )
    )
    print(
        f"search process RSS: {search['rss_start_mb']:,.0f} MB at start, "
        f"peak {search['peak_rss_mb']:,.0f} MB (ru_maxrss)"
    )
    for preset, r in search["presets"].items():
        for note in r["notes"]:
            print(f"note ({preset}): {note}")
        if r["empty_queries"]:
            print(f"note ({preset}): {r['empty_queries']} questions had no searchable words")
    stage_rows: list[list[object]] = []
    for preset, r in search["presets"].items():
        stage_rows.append([preset, *[float(r["stage_mean_ms"].get(s, 0.0)) for s in (*STAGES, "other")]])
    headers = ["preset", *STAGES, "other"]
    print(
        table(
            headers,
            _aligned(stage_rows, headers),
            title="\nWhere the time goes: mean ms per query inside each part",
        )
    )
    print("\nTargets (defined at 1,000,000 passages)")
    for item in result["verdicts"]:
        verdict = "PASS" if item["pass"] else "FAIL"
        scale = "" if item["at_target_scale"] else f" (only {search['passages']:,} passages: indicative)"
        print(f"  {verdict}  {item['target']}: {item['value']}{scale}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--passages", type=int, default=TARGET_PASSAGES, help="passages (default %(default)s)"
    )
    add_data_dir_argument(parser)
    parser.add_argument(
        "--library",
        type=Path,
        help="build in this empty or new folder (default: a temporary one); an existing library is reused",
    )
    parser.add_argument("--keep", action="store_true", help="keep the library built by this run")
    parser.add_argument("--queries", type=int, default=200, help="HealthSearchQA questions timed per preset")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up queries per preset (not timed)")
    parser.add_argument("--presets", default=",".join(PRESETS), help="comma-separated (default %(default)s)")
    parser.add_argument("--batch-documents", type=int, default=2000, help="documents per write_batch")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # internal: the search child process
    args = parser.parse_args(argv)
    presets = [p.strip() for p in args.presets.split(",") if p.strip()]
    for preset in presets:
        RetrievalSettings.preset(preset)  # fail early on a typo

    if args.serve:
        json.dump(serve(args.serve, questions(args.data_dir, args.queries), args.warmup, presets), sys.stdout)
        return 0

    result: dict[str, Any] = {
        "machine": machine(),
        "queries": args.queries,
        "warmup": args.warmup,
        "synthetic_vectors": True,
    }
    reuse = args.library is not None and (args.library / MARKER_FILE).exists()
    temporary = None if args.library else tempfile.mkdtemp(prefix="evidex-scale-")
    library_path: Path = args.library if args.library else Path(temporary or "") / "library"
    result["library"] = str(library_path)
    built = False
    try:
        if not reuse:
            _log(f"reading the sample corpora in {args.data_dir / 'corpus'} ...")
            stats = sample_stats(args.data_dir / "corpus", SAMPLE_FILES)
            result["sample"] = {
                "files": stats.files,
                "documents": len(stats.facets),
                "passages": len(stats.passage_words),
                "vocabulary": len(stats.vocabulary),
                "tokens": stats.tokens,
                "passage_words_mean": float(stats.passage_words.mean()),
                "passage_words_median": float(np.median(stats.passage_words)),
                "seconds": stats.seconds,
            }
            _log(f"building {args.passages:,} synthetic passages in {library_path} ...")
            built = True
            outcome = build(library_path, stats, args.passages, args.seed, args.batch_documents)
            result["build"] = {
                "documents": outcome.documents,
                "passages": outcome.passages,
                "seconds": outcome.seconds,
                "peak_rss_mb": outcome.peak_rss_mb,
            }
            del stats
            gc.collect()
        result["sizes"] = sizes(library_path)
        _log("searching (fresh process) ...")
        result["search"] = serve_in_child(library_path, args.data_dir, args.queries, args.warmup, presets)
        result["verdicts"] = verdicts(result["search"]["passages"], result["search"])
    finally:
        if built and not args.keep:
            shutil.rmtree(library_path, ignore_errors=True)
        if temporary and not (built and args.keep):
            shutil.rmtree(temporary, ignore_errors=True)
    if args.json:
        json.dump(result, sys.stdout, indent=2)
        print()
    else:
        report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
