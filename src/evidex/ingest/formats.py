"""Which loader reads a file: chosen by `--format`, else detected from the name and first bytes."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from evidex.ingest.records import LoadItem, SourceError, open_text

Loader = Callable[[Path], Iterator[LoadItem]]

# format name → (module under evidex.ingest, what it reads)
FORMATS: dict[str, tuple[str, str]] = {
    "pubmed": ("pubmed_xml", "PubMed/MEDLINE XML (efetch output, baseline/update files, .gz)"),
    "jats": ("jats_xml", "PMC JATS full-text XML"),
    "markdown": ("markdown_doc", "Markdown document (headings become sections)"),
    "html": ("html_doc", "HTML page (navigation stripped, headings become sections)"),
    "pdf": ("pdf_doc", "PDF document (page numbers kept)"),
    "text": ("text_doc", "plain text document"),
    "beir": ("beir_jsonl", "BEIR corpus JSONL (_id, title, text)"),
    "pubmedqa": ("corpus_pubmedqa", "PubMedQA abstracts JSONL (shared sample corpus)"),
    "bioasq": ("corpus_bioasq", "BioASQ snippets JSONL (shared sample corpus)"),
    "medquad": ("corpus_medquad", "MedQuAD answers JSONL (shared sample corpus)"),
    "ngc": ("corpus_ngc", "NGC guideline summaries JSONL (shared sample corpus)"),
    "mmwr": ("cdc_mmwr", "CDC MMWR supplement pages JSONL (shared sample corpus)"),
}

_SUFFIXES: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".txt": "text",
}

# Keys that identify each JSONL flavour, checked in order on the first record.
_JSONL_KEYS: tuple[tuple[frozenset[str], str], ...] = (
    (frozenset({"ngc_id", "major_recommendations"}), "ngc"),
    (frozenset({"qid", "answer"}), "medquad"),
    (frozenset({"pmid", "offset_begin"}), "bioasq"),
    (frozenset({"pmid", "sections"}), "pubmedqa"),
    (frozenset({"url", "markdown"}), "mmwr"),
    (frozenset({"_id", "text"}), "beir"),
)


def loader(fmt: str) -> Loader:
    """The `load` function of a format's module, imported on first use."""
    if fmt not in FORMATS:
        raise SourceError(f"unknown format {fmt!r}; choose one of: {', '.join(FORMATS)}")
    module = importlib.import_module(f"evidex.ingest.{FORMATS[fmt][0]}")
    load: Loader = module.load
    return load


def _sniff_jsonl(path: Path) -> str | None:
    with open_text(path) as handle:
        for line in handle:
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    return None
                if not isinstance(record, dict):
                    return None
                keys = set(record)
                return next((fmt for need, fmt in _JSONL_KEYS if need <= keys), None)
    return None


def detect(path: Path) -> str:
    """The format of `path`, or SourceError saying how to name it with --format."""
    try:
        if path.stat().st_size == 0:
            raise SourceError(f"{path}: file is empty; nothing to ingest")
        with path.open("rb") as handle:
            magic = handle.read(5)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read file ({exc.strerror})") from exc
    name = path.name.lower().removesuffix(".gz")
    if magic.startswith(b"%PDF"):
        return "pdf"
    if name.endswith((".jsonl", ".json", ".ndjson")):
        found = _sniff_jsonl(path)
        if found:
            return found
    elif name.endswith((".xml", ".nxml")):
        with open_text(path) as handle:
            head = handle.read(4096)
        if "<PubmedArticleSet" in head or "<PubmedArticle" in head:
            return "pubmed"
        if "<article" in head or "<pmc-articleset" in head:
            return "jats"
    else:
        for suffix, fmt in _SUFFIXES.items():
            if name.endswith(suffix):
                return fmt
    raise SourceError(
        f"{path}: cannot tell what kind of file this is; name it with --format ({', '.join(FORMATS)})"
    )
