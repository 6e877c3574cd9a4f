"""Retrieval benchmarks as (corpus file, queries, graded judgments), read from the shared data folder.

Why one shape for all: the evaluation runner ingests any corpus the ingest loaders read, runs the
queries and scores the judgments, so a new benchmark is one loader here. Judged ids are the
dataset's own (`4983`, `MED-118`, `12345678`); the library stores them as `<prefix>:<id>`, and
`dataset_id` maps a library id back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from evidex.ingest.beir_jsonl import corpus_name

DATASETS = ("scifact", "bioasq", "nfcorpus")
"""Built-in dataset names (anything else must be a BEIR folder)."""

NFCORPUS_QUERY_FIELDS = ("titles", "vid-desc")

TSV_FORMAT = "tsv"
"""`ID<TAB>text` documents (original NFCorpus release); converted to BEIR JSONL before ingest."""


class DatasetError(ValueError):
    """A dataset is missing or malformed; the message names the file and what to do."""


@dataclass
class RetrievalDataset:
    """One retrieval benchmark: a corpus to ingest, queries and graded relevance judgments."""

    name: str
    corpus_path: Path
    corpus_format: str
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    doc_id_prefix: str

    @property
    def judgments(self) -> int:
        return sum(len(judged) for judged in self.qrels.values())

    @property
    def cache_key(self) -> str:
        """Folder name for this dataset's cached library: two corpora of one name never share one."""
        digest = hashlib.sha1(str(self.corpus_path.resolve()).encode()).hexdigest()[:8]
        return f"{self.name}-{digest}"

    def dataset_id(self, document_id: str) -> str:
        """The dataset's id of a library document id (`scifact:4983` → `4983`)."""
        return document_id.removeprefix(self.doc_id_prefix + ":")

    def limited(self, limit: int | None) -> RetrievalDataset:
        """The first `limit` queries (file order), for quick runs."""
        if limit is None or limit >= len(self.queries):
            return self
        queries = dict(list(self.queries.items())[:limit])
        return RetrievalDataset(
            name=self.name,
            corpus_path=self.corpus_path,
            corpus_format=self.corpus_format,
            queries=queries,
            qrels={qid: self.qrels[qid] for qid in queries},
            doc_id_prefix=self.doc_id_prefix,
        )


def _need(path: Path) -> Path:
    if not path.is_file():
        raise DatasetError(
            f"{path} not found; point --data-dir (or EVIDEX_DATA_DIR) at the shared data folder"
        )
    return path


def read_beir_qrels(path: Path) -> dict[str, dict[str, int]]:
    """BEIR qrels TSV (`query-id corpus-id score`, optional header) as {query: {doc: grade}}."""
    qrels: dict[str, dict[str, int]] = {}
    with _need(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle):
            parts = line.split()
            if not parts or (number == 0 and parts[0] == "query-id"):
                continue
            if len(parts) < 3:
                raise DatasetError(f"{path}:{number + 1}: expected `query-id corpus-id score`")
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def read_trec_qrels(path: Path) -> dict[str, dict[str, int]]:
    """TREC qrels (`qid iteration docid grade`) as {query: {doc: grade}}."""
    qrels: dict[str, dict[str, int]] = {}
    with _need(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.split()
            if not parts:
                continue
            if len(parts) < 4:
                raise DatasetError(f"{path}:{number}: expected `qid 0 docid grade`")
            qrels.setdefault(parts[0], {})[parts[2]] = int(parts[3])
    return qrels


def read_beir_queries(path: Path) -> dict[str, str]:
    """BEIR queries JSONL (`_id`, `text`) in file order."""
    queries: dict[str, str] = {}
    with _need(path).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                queries[str(record["_id"])] = str(record["text"])
    return queries


def read_tsv(path: Path) -> dict[str, str]:
    """`ID<TAB>text` lines in file order (NFCorpus queries and documents)."""
    rows: dict[str, str] = {}
    with _need(path).open(encoding="utf-8") as handle:
        for line in handle:
            ident, _, text = line.rstrip("\n").partition("\t")
            if ident.strip():
                rows[ident.strip()] = text.strip()
    return rows


def _judged(
    name: str, corpus: Path, fmt: str, queries: dict[str, str], qrels: dict[str, dict[str, int]], prefix: str
) -> RetrievalDataset:
    """Keep only queries that have at least one relevant (grade > 0) judgment: others score 0 by fiat."""
    kept = {qid: text for qid, text in queries.items() if any(g > 0 for g in qrels.get(qid, {}).values())}
    return RetrievalDataset(name, corpus, fmt, kept, {qid: qrels[qid] for qid in kept}, prefix)


def scifact(data_dir: Path) -> RetrievalDataset:
    """SciFact train claims with judgments (809 claims, 919 judgments over 5,183 abstracts)."""
    corpus = _need(data_dir / "corpus" / "scifact_corpus.jsonl")
    folder = data_dir / "eval" / "scifact"
    queries = read_beir_queries(folder / "queries.jsonl")
    qrels = read_beir_qrels(folder / "qrels" / "train.tsv")
    return _judged("scifact", corpus, "beir", queries, qrels, corpus_name(corpus))


def bioasq(data_dir: Path) -> RetrievalDataset:
    """BioASQ dev questions over the gold-snippet corpus: an article is relevant (grade 1) when its PMID
    is among the question's `pmids`.

    Judgments are limited to PMIDs the corpus holds, so Recall@100 measures what retrieval can find;
    questions with none are left out.
    """
    corpus = _need(data_dir / "corpus" / "bioasq_snippets.jsonl")
    held: set[str] = set()
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                held.add(str(json.loads(line)["pmid"]).strip())
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    with _need(data_dir / "eval" / "bioasq" / "dev.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            record = json.loads(line)
            qid = str(record["id"])
            queries[qid] = str(record["question"])
            qrels[qid] = {
                pmid: 1 for pmid in (str(p).strip() for p in record.get("pmids") or []) if pmid in held
            }
    return _judged("bioasq", corpus, "bioasq", queries, qrels, "pmid")


def nfcorpus(data_dir: Path, queries: str = "titles") -> RetrievalDataset:
    """NFCorpus dev split (original release: lower-cased, stop-word-filtered text), graded 2/1.

    `queries` picks the query file: "titles" (short, user-like) or "vid-desc" (video descriptions).
    The corpus is `ID<TAB>text`; `prepare_corpus` converts it to BEIR JSONL before ingest.
    """
    if queries not in NFCORPUS_QUERY_FIELDS:
        raise DatasetError(
            f"unknown NFCorpus query field {queries!r}; choose {' or '.join(NFCORPUS_QUERY_FIELDS)}"
        )
    folder = data_dir / "eval" / "nfcorpus"
    corpus = _need(folder / "dev.docs")
    texts = read_tsv(folder / f"dev.{queries}.queries")
    qrels = read_trec_qrels(folder / "dev.2-1-0.qrel")
    name = "nfcorpus" if queries == "titles" else f"nfcorpus-{queries}"
    return _judged(name, corpus, TSV_FORMAT, texts, qrels, "nfcorpus")


def beir(folder: Path, split: str = "test") -> RetrievalDataset:
    """Any BEIR folder (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`); ids: `<folder name>:<id>`."""
    if not folder.is_dir():
        raise DatasetError(
            f"{folder} is not a folder; a BEIR dataset folder holds corpus.jsonl and queries.jsonl"
        )
    corpus = _need(folder / "corpus.jsonl")
    queries = read_beir_queries(folder / "queries.jsonl")
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        found = sorted(p.stem for p in (folder / "qrels").glob("*.tsv"))
        raise DatasetError(
            f"{qrels_path} not found; splits in {folder}: {', '.join(found) or 'none'} (use --split)"
        )
    return _judged(
        corpus_name(corpus), corpus, "beir", queries, read_beir_qrels(qrels_path), corpus_name(corpus)
    )


def load_dataset(
    name_or_path: str, data_dir: Path, split: str = "test", nfcorpus_queries: str = "titles"
) -> RetrievalDataset:
    """A built-in dataset by name, or a BEIR folder by path."""
    if name_or_path == "scifact":
        return scifact(data_dir)
    if name_or_path == "bioasq":
        return bioasq(data_dir)
    if name_or_path == "nfcorpus":
        return nfcorpus(data_dir, nfcorpus_queries)
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return beir(path, split)
    raise DatasetError(
        f"unknown dataset {name_or_path!r}; choose {', '.join(DATASETS)} or give the path of a BEIR folder"
    )


_TITLE_MARKS = (" pubmed ncbi abstract ", " abstract ")
_TITLE_MAX_CHARS = 250


def split_title(text: str) -> tuple[str, str]:
    """(title, body) of an NFCorpus document, whose text reads `<title> [pubmed ncbi] abstract <body>`.

    Why: without it the ingest loader would take a run of abstract words as the title (the text has no
    sentence punctuation left), and the passage index weights titles.
    """
    for mark in _TITLE_MARKS:
        at = text.find(mark)
        if 0 < at < _TITLE_MAX_CHARS:
            return text[:at].strip(), text[at + len(mark) :].strip()
    return "", text


def prepare_corpus(dataset: RetrievalDataset, work_dir: Path) -> tuple[Path, str]:
    """The file and format to ingest: the corpus itself, or for TSV corpora a BEIR JSONL written to
    `work_dir` (rewritten only when its content changes, so a cached library is not re-read).
    """
    if dataset.corpus_format != TSV_FORMAT:
        return dataset.corpus_path, dataset.corpus_format
    lines: list[str] = []
    for ident, raw in read_tsv(dataset.corpus_path).items():
        title, text = split_title(raw)
        lines.append(json.dumps({"_id": ident, "title": title, "text": text}, ensure_ascii=False) + "\n")
    content = "".join(lines).encode("utf-8")
    work_dir.mkdir(parents=True, exist_ok=True)
    # the file name sets the id namespace of the beir loader: <prefix>_corpus.jsonl → "<prefix>:<id>"
    target = work_dir / f"{dataset.doc_id_prefix}_corpus.jsonl"
    if not target.is_file() or target.read_bytes() != content:
        target.write_bytes(content)
    return target, "beir"
