"""Benchmark loaders read the shared data with exact counts and known records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evidex.evaluation import datasets
from evidex.evaluation.datasets import DatasetError, RetrievalDataset
from evidex.ingest import beir_jsonl
from evidex.models import Document


def _lines(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for line in handle if line.strip())


def test_scifact(data_dir: Path) -> None:
    ds = datasets.scifact(data_dir)
    assert (ds.name, ds.corpus_format, ds.doc_id_prefix) == ("scifact", "beir", "scifact")
    assert len(ds.queries) == 809
    assert ds.judgments == 919
    assert _lines(ds.corpus_path) == 5183
    assert ds.queries["0"] == "0-dimensional biomaterials lack inductive properties."
    assert ds.qrels["0"] == {"31715818": 1}
    assert set(ds.queries) == set(ds.qrels)
    assert ds.dataset_id("scifact:31715818") == "31715818"


def test_bioasq(data_dir: Path) -> None:
    ds = datasets.bioasq(data_dir)
    assert (ds.name, ds.corpus_format, ds.doc_id_prefix) == ("bioasq", "bioasq", "pmid")
    # every one of the 1,000 dev questions has at least one of its PMIDs in the snippet corpus;
    # of their 4,720 listed PMIDs, 4,487 are held (judgments), 4,297 distinct articles
    assert len(ds.queries) == 1000
    assert ds.judgments == 4487
    assert len({pmid for judged in ds.qrels.values() for pmid in judged}) == 4297
    qid = "5be48c39133db5eb7800001d"
    assert ds.queries[qid] == "What does the pembrolizumab companion diagnostic test assess?"
    assert ds.qrels[qid] == {"28293123": 1}
    assert ds.dataset_id("pmid:28293123") == "28293123"


def test_nfcorpus_titles(data_dir: Path, tmp_path: Path) -> None:
    ds = datasets.nfcorpus(data_dir)
    assert (ds.name, ds.corpus_format, ds.doc_id_prefix) == ("nfcorpus", "tsv", "nfcorpus")
    # 325 title queries, 324 with judgments (PLAIN-1730 has none); 11,385 judgments graded 2 or 1
    assert len(ds.queries) == 324
    assert "PLAIN-1730" not in ds.queries
    assert ds.judgments == 11385
    grades = [g for judged in ds.qrels.values() for g in judged.values()]
    assert (grades.count(2), grades.count(1)) == (521, 10864)
    assert ds.queries["PLAIN-1"] == "why deep fried foods may cause cancer"
    assert len(ds.qrels["PLAIN-1"]) == 49
    assert ds.qrels["PLAIN-1"]["MED-2421"] == 2

    path, fmt = datasets.prepare_corpus(ds, tmp_path)
    assert (path.name, fmt) == ("nfcorpus_corpus.jsonl", "beir")
    docs = [item for item in beir_jsonl.load(path) if isinstance(item, Document)]
    assert len(docs) == 3193
    first = docs[0]
    assert first.id == "nfcorpus:MED-118"
    assert first.title == "alkylphenols human milk relations dietary habits central taiwan"
    assert first.sections[0].text.startswith("aims study determine concentrations num nonylphenol")
    # every judged document is in the corpus
    held = {doc.id.removeprefix("nfcorpus:") for doc in docs}
    assert {d for judged in ds.qrels.values() for d in judged} <= held
    # rewriting unchanged content leaves the file alone, so a cached library is not re-read
    before = path.stat().st_mtime_ns
    assert datasets.prepare_corpus(ds, tmp_path) == (path, "beir")
    assert path.stat().st_mtime_ns == before


def test_nfcorpus_video_descriptions(data_dir: Path) -> None:
    ds = datasets.nfcorpus(data_dir, queries="vid-desc")
    assert ds.name == "nfcorpus-vid-desc"
    assert len(ds.queries) == 102
    assert ds.judgments == 2390
    with pytest.raises(DatasetError):
        datasets.nfcorpus(data_dir, queries="all")


def test_split_title() -> None:
    assert datasets.split_title("fish oil trial pubmed ncbi abstract background we ...") == (
        "fish oil trial",
        "background we ...",
    )
    assert datasets.split_title("statins summary background") == ("", "statins summary background")


def _write_beir(folder: Path) -> None:
    folder.mkdir()
    (folder / "qrels").mkdir()
    (folder / "corpus.jsonl").write_text(
        json.dumps({"_id": "d1", "title": "T", "text": "aspirin"}) + "\n", encoding="utf-8"
    )
    (folder / "queries.jsonl").write_text(
        json.dumps({"_id": "q1", "text": "aspirin"}) + "\n" + json.dumps({"_id": "q2", "text": "x"}) + "\n",
        encoding="utf-8",
    )
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td1\t0\n")


def test_beir_folder_and_load_dataset(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "Toy"
    _write_beir(folder)
    ds = datasets.beir(folder)
    # q2 has only a grade-0 judgment: it cannot score and is left out
    assert (ds.name, ds.doc_id_prefix, list(ds.queries), ds.judgments) == ("toy", "toy", ["q1"], 1)
    assert datasets.load_dataset(str(folder), data_dir).queries == ds.queries
    with pytest.raises(DatasetError, match=r"splits in .*: test"):
        datasets.beir(folder, split="train")
    with pytest.raises(DatasetError, match="unknown dataset 'trec-covid'"):
        datasets.load_dataset("trec-covid", data_dir)
    with pytest.raises(DatasetError, match="--data-dir"):
        datasets.load_dataset("scifact", tmp_path / "nowhere")


def test_limited_and_cache_key(tmp_path: Path) -> None:
    ds = RetrievalDataset(
        "toy",
        tmp_path / "c.jsonl",
        "beir",
        {"a": "x", "b": "y", "c": "z"},
        {"a": {}, "b": {}, "c": {}},
        "toy",
    )
    small = ds.limited(2)
    assert list(small.queries) == ["a", "b"] and list(small.qrels) == ["a", "b"]
    assert ds.limited(None) is ds and ds.limited(5) is ds
    other = RetrievalDataset("toy", tmp_path / "d" / "c.jsonl", "beir", {}, {}, "toy")
    assert ds.cache_key.startswith("toy-") and ds.cache_key != other.cache_key
