"""BEIR-format corpora (`corpus.jsonl`: `_id`, `title`, `text`), SciFact among them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from evidex.ingest.records import LoadItem, Rejected, read_lines
from evidex.ingest.text_utils import first_sentence, normalize_space
from evidex.models import Document, Section


def corpus_name(path: Path) -> str:
    """'scifact' for scifact_corpus.jsonl or scifact/corpus.jsonl: the id namespace of the corpus."""
    stem = path.name.split(".")[0]
    if stem == "corpus":
        return path.parent.name.lower() or "beir"
    return stem.removesuffix("_corpus").lower()


def load(path: Path, name: str | None = None) -> Iterator[LoadItem]:
    """One Document per line; ids are namespaced by corpus (`scifact:4983`) since BEIR ids are local."""
    namespace = name or corpus_name(path)
    for number, line in read_lines(path):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            doc_id = str(record["_id"]).strip()
            text = normalize_space(str(record.get("text") or ""))
            title = normalize_space(str(record.get("title") or ""))
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            yield Rejected(str(path), number, f"not a BEIR corpus record ({exc})")
            continue
        if not doc_id or not (text or title):
            yield Rejected(str(path), number, "record has no _id or no text")
            continue
        yield Document(
            id=f"{namespace}:{doc_id}",
            title=title or first_sentence(text),
            licence="ODC-By 1.0" if namespace == "scifact" else None,
            source=namespace,
            sections=[Section(label="ABSTRACT", text=text or title)],
        )
