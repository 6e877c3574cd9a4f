"""End to end: a toy BEIR folder whose rankings are fixed by construction, and SciFact through the CLI.

The toy uses made-up words, so query expansion finds no synonyms and every document gets the same
evidence kind: `fast` must rank exactly as `bm25`. Every document has the same length (2 title + 6
text tokens), so BM25 order follows from document frequency and term frequency alone.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

from evidex.cli import main
from evidex.evaluation import retrieval
from evidex.evaluation.datasets import beir
from evidex.evaluation.retrieval import EvalError, run_retrieval_eval
from evidex.store.library import Library
from evidex.store.vectors import SENTENCE_SLOTS

REPO = Path(__file__).resolve().parents[2]

# zorblax: d1 d2 (df 2) · quintar: d1 d3 d4 (df 3) · mervolin: d6 d7 · plintock: d8 d10 · gravune: d5 d9 d10
TOY_DOCS = {
    "d1": ("Record alpha", "zorblax quintar lorem ipsum dolor sit"),
    "d2": ("Record bravo", "zorblax lorem ipsum dolor sit amet"),
    "d3": ("Record charlie", "quintar lorem ipsum dolor sit amet"),
    "d4": ("Record delta", "quintar lorem ipsum dolor sit amet"),
    "d5": ("Record echo", "gravune gravune lorem ipsum dolor sit"),
    "d6": ("Record foxtrot", "mervolin lorem ipsum dolor sit amet"),
    "d7": ("Record golf", "mervolin mervolin lorem ipsum dolor sit"),
    "d8": ("Record hotel", "plintock lorem ipsum dolor sit amet"),
    "d9": ("Record india", "gravune lorem ipsum dolor sit amet"),
    "d10": ("Record juliet", "plintock gravune lorem ipsum dolor sit"),
}
TOY_QUERIES = {"q1": "zorblax quintar", "q2": "mervolin", "q3": "plintock gravune", "q4": "zorblax"}
TOY_QRELS = [
    ("q1", "d1", 2),
    ("q1", "d2", 1),
    ("q1", "d5", 1),  # relevant but shares no word with the query: never retrieved
    ("q2", "d6", 1),
    ("q2", "d7", 0),  # judged not relevant
    ("q3", "d8", 1),
    ("q3", "d9", 2),
    ("q4", "d2", 0),  # no relevant document: the query is left out
]


def _log(rank: int) -> float:
    return math.log2(rank + 1)


# q1 ranks d1, d2, then d3/d4 → DCG 2 + 1/log2 3; ideal grades 2, 1, 1
Q1_NDCG = (2 + 1 / _log(2)) / (2 + 1 / _log(2) + 1 / _log(3))  # 0.840303
# q2 ranks d7 (mervolin twice), d6 → relevant at rank 2
Q2_NDCG = (1 / _log(2)) / 1  # 0.630930
# q3 ranks d10 (both words), d8 (rarer word), d5 (gravune twice), d9 → grades 0, 1, 0, 2
Q3_NDCG = (1 / _log(2) + 2 / _log(4)) / (2 + 1 / _log(2))  # 0.567207
EXPECTED = {
    "ndcg@10": (Q1_NDCG + Q2_NDCG + Q3_NDCG) / 3,  # 0.679480
    "recall@10": (2 / 3 + 1 + 1) / 3,  # 0.888889
    "recall@100": (2 / 3 + 1 + 1) / 3,
    "mrr@10": (1 + 1 / 2 + 1 / 2) / 3,  # 0.666667
}


@pytest.fixture()
def toy(tmp_path: Path) -> Path:
    folder = tmp_path / "toy"
    (folder / "qrels").mkdir(parents=True)
    with (folder / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for doc_id, (title, text) in TOY_DOCS.items():
            handle.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    with (folder / "queries.jsonl").open("w", encoding="utf-8") as handle:
        for qid, text in TOY_QUERIES.items():
            handle.write(json.dumps({"_id": qid, "text": text}) + "\n")
    lines = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t{g}" for q, d, g in TOY_QRELS)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_toy_exact_metrics(toy: Path, tmp_path: Path) -> None:
    dataset = beir(toy)
    assert list(dataset.queries) == ["q1", "q2", "q3"]
    cache = tmp_path / "cache"
    report = run_retrieval_eval(dataset, ["fast"], cache)
    assert (report.dataset, report.documents, report.passages, report.queries, report.judgments) == (
        "toy",
        10,
        10,
        3,
        7,
    )
    assert [r.preset for r in report.results] == ["bm25", "fast"]
    for result in report.results:
        assert result.ndcg_at_10 == pytest.approx(EXPECTED["ndcg@10"])
        assert result.ndcg_at_10 == pytest.approx(0.679480, abs=1e-6)
        assert result.recall_at_10 == pytest.approx(EXPECTED["recall@10"])
        assert result.recall_at_100 == pytest.approx(EXPECTED["recall@100"])
        assert result.mrr_at_10 == pytest.approx(EXPECTED["mrr@10"])
        assert result.queries == 3 and result.unsearchable_queries == 0
        assert result.latency_p95_ms >= result.latency_p50_ms > 0
        assert result.ndcg_vs_baseline == pytest.approx(1.0)

    data = report.as_dict()
    assert data["presets"]["bm25"]["ndcg@10"] == pytest.approx(EXPECTED["ndcg@10"])
    assert data["presets"]["fast"]["ndcg@10_vs_bm25"] == pytest.approx(1.0)
    assert json.loads(json.dumps(data))["baseline"] == "bm25"
    console = Console(record=True, width=140)
    console.print(report.as_table())
    assert "0.6795" in console.export_text()

    # the cached library is reused: nothing is ingested twice, metrics do not move
    again = run_retrieval_eval(dataset, ["bm25"], cache, limit=2)
    assert again.documents == 10 and again.queries == 2
    assert again.result("bm25").ndcg_at_10 == pytest.approx((Q1_NDCG + Q2_NDCG) / 2)


def test_unknown_preset_is_an_eval_error(toy: Path, tmp_path: Path) -> None:
    with pytest.raises(EvalError, match="unknown preset 'turbo'"):
        run_retrieval_eval(beir(toy), ["turbo"], tmp_path / "cache")


def test_cli_presets_match_the_runner() -> None:
    from evidex import cli

    assert cli._EVAL_PRESETS == retrieval.PRESETS


def test_cli_toy_json_and_errors(toy: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["eval", "retrieval", str(toy), "--preset", "bm25", "--cache", str(tmp_path / "c"), "--json"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data["presets"]) == ["bm25"]
    assert data["presets"]["bm25"]["mrr@10"] == pytest.approx(EXPECTED["mrr@10"])

    unknown = runner.invoke(main, ["eval", "retrieval", "trec-covid", "--cache", str(tmp_path / "c")])
    assert unknown.exit_code == 1
    assert "unknown dataset 'trec-covid'" in unknown.output

    no_data = runner.invoke(
        main, ["eval", "retrieval", "scifact", "--data-dir", str(tmp_path / "nowhere"), "--preset", "bm25"]
    )
    assert no_data.exit_code == 1
    assert "--data-dir" in no_data.output

    split = runner.invoke(
        main, ["eval", "retrieval", str(toy), "--split", "dev", "--cache", str(tmp_path / "c")]
    )
    assert split.exit_code == 1 and "use --split" in split.output


def test_missing_embedder_says_how_to_fix(toy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from evidex.search.embedder import EmbedderUnavailable

    def unavailable() -> None:
        raise EmbedderUnavailable("the embedding model is not installed")

    monkeypatch.setattr(retrieval, "load_embedder", unavailable)
    result = CliRunner().invoke(
        main, ["eval", "retrieval", str(toy), "--preset", "default", "--cache", str(tmp_path / "c")]
    )
    assert result.exit_code == 1
    assert "use --preset fast" in result.output and "make install" in result.output


@pytest.mark.slow
def test_scifact_cli_subprocess(tmp_path: Path, data_dir: Path) -> None:
    env = {**os.environ, "EVIDEX_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "evidex.cli", "eval", "retrieval", "scifact"]
    command += ["--preset", "bm25", "--preset", "fast", "--limit", "100", "--json", "--cache", str(tmp_path)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=REPO, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    data = json.loads(done.stdout)
    assert (data["dataset"], data["queries"], data["documents"]) == ("scifact", 100, 5183)
    assert list(data["presets"]) == ["bm25", "fast"]
    for preset in ("bm25", "fast"):
        metrics = data["presets"][preset]
        for key in ("ndcg@10", "recall@10", "recall@100", "mrr@10", "latency_p50_ms", "latency_p95_ms"):
            assert metrics[key] >= 0 and isinstance(metrics[key], float)
    assert data["presets"]["bm25"]["ndcg@10"] > 0.6


def test_best_preset_embeds_sentences_and_reranks(toy: Path, tmp_path: Path) -> None:
    report = run_retrieval_eval(beir(toy), ["best"], tmp_path / "cache")
    best = report.result("best")
    assert best.notes == []  # dense search and sentence re-ranking both ran
    assert report.embedded_passages == 10
    with Library(tmp_path / "cache" / beir(toy).cache_key / "library") as library:
        assert {
            key // SENTENCE_SLOTS for key in library.sentence_vectors.ids()
        } == library.records.passage_ids()
    # dense candidates reach d5, which shares no word with q1 and which BM25 never finds
    assert best.recall_at_10 == 1.0 > report.result("bm25").recall_at_10


def test_cli_library_embed_sentences(tmp_path: Path) -> None:
    sources = tmp_path / "docs"
    sources.mkdir()
    (sources / "a.md").write_text(
        "# Aspirin\n\nAspirin lowered mortality. It caused bleeding in some adults.\n", encoding="utf-8"
    )
    lib = str(tmp_path / "lib")
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(sources), "--no-embed", "--library", lib]).exit_code == 0
    result = runner.invoke(main, ["library", "embed", "--sentences", "--json", "--library", lib])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["embedded"], data["sentence_embedded"], data["sentence_vector_passages"]) == (1, 1, 1)
    with Library(Path(lib)) as library:
        assert len(library.sentence_vectors.ids()) == 2  # two sentences
    rerun = runner.invoke(main, ["library", "embed", "--sentences", "--json", "--library", lib])
    again = json.loads(rerun.output)
    assert (again["embedded"], again["sentence_embedded"]) == (0, 0)
    stats = json.loads(runner.invoke(main, ["library", "stats", "--json", "--library", lib]).output)
    assert (stats["embedded_passages"], stats["sentence_embedded_passages"]) == (1, 1)
    # a library that keeps sentence vectors gets them for what is ingested later, too
    (sources / "b.md").write_text("# Gout\n\nColchicine eased the flare.\n", encoding="utf-8")
    added = runner.invoke(main, ["ingest", str(sources / "b.md"), "--embed", "--library", lib])
    assert added.exit_code == 0, added.output
    stats = json.loads(runner.invoke(main, ["library", "stats", "--json", "--library", lib]).output)
    assert (stats["embedded_passages"], stats["sentence_embedded_passages"]) == (2, 2)
