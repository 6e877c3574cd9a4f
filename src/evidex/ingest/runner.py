"""The ingest runner: files → loaders → grading → passages → records database + lexical index.

Why batches: each batch of documents is one database transaction, followed by the matching index
update, so a kill (even SIGKILL) loses at most the batch in flight; on the next run the library
reconciles the index with the records and, since unchanged documents are recognised by their
content hash, re-reading the file adds nothing twice.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from evidex.ingest.abbreviations import update_table
from evidex.ingest.chunking import split_document
from evidex.ingest.formats import detect, loader
from evidex.ingest.grading import graded
from evidex.ingest.records import Rejected, SourceError
from evidex.models import Document, Passage
from evidex.store.library import Library

SAMPLE_FILES: tuple[tuple[str, str], ...] = (
    ("ngc_guideline_summaries.jsonl.gz", "ngc"),
    ("cdc_mmwr_supplements.jsonl.gz", "mmwr"),
    ("pubmedqa_abstracts.jsonl", "pubmedqa"),
    ("scifact_corpus.jsonl", "beir"),
    ("bioasq_snippets.jsonl", "bioasq"),
    ("medquad_answered.jsonl", "medquad"),
)
"""The shared sample corpora, in ingest order (PubMedQA before BioASQ: its record of the one PMID
both hold is the richer, with MeSH and labelled sections)."""


class Reporter(Protocol):
    """Receives progress; the CLI draws a progress bar, tests pass nothing."""

    def start_file(self, path: Path, fmt: str) -> None: ...

    def advance(self, documents: int) -> None: ...

    def end_file(self) -> None: ...


@dataclass
class IngestSummary:
    """What an ingest did, for the closing summary and `--json`."""

    files: int = 0
    added: int = 0
    updated: int = 0
    skipped: int = 0
    superseded: int = 0
    """Earlier versions of edited files of the user's own, removed because the file now reads otherwise."""
    passages_added: int = 0
    skip_reasons: Counter[str] = field(default_factory=Counter)
    rejected: list[Rejected] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def read_anything(self) -> bool:
        return self.added + self.updated + self.skipped > 0

    def as_dict(self) -> dict[str, object]:
        return {
            "files": self.files,
            "added": self.added,
            "updated": self.updated,
            "skipped": self.skipped,
            "superseded": self.superseded,
            "passages_added": self.passages_added,
            "skip_reasons": dict(self.skip_reasons),
            "rejected": [{"path": r.path, "record": r.record, "reason": r.reason} for r in self.rejected],
            "seconds": round(self.seconds, 2),
        }


def expand(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named, and the files inside folders named (recursively, hidden ones left out)."""
    for path in paths:
        if path.is_dir():
            yield from (
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            yield path


class _Ingest:
    def __init__(self, library: Library, batch_size: int, reporter: Reporter | None) -> None:
        self.library = library
        self.batch_size = batch_size
        self.reporter = reporter
        self.summary = IngestSummary()
        self.new_texts: list[str] = []

    def run(self, files: Iterable[tuple[Path, str | None]]) -> IngestSummary:
        started = time.perf_counter()
        self.library.reconcile()
        for path, fmt in files:
            self.summary.files += 1
            self.file(path, fmt)
        return self.finish(started)

    def documents(self, documents: Iterable[Document], source: str) -> IngestSummary:
        started = time.perf_counter()
        self.library.reconcile()
        batch: list[Document] = []
        for document in documents:
            batch.append(document)
            if len(batch) >= self.batch_size:
                self.write(batch, source)
                batch = []
        self.write(batch, source)
        # a handful of records does not warrant rewriting the whole index (seconds on a large library)
        return self.finish(started, optimize=False)

    def finish(self, started: float, optimize: bool = True) -> IngestSummary:
        if self.summary.added or self.summary.updated:
            if optimize:
                self.library.lexical.optimize()
            update_table(self.library.path, self.new_texts)
            self.new_texts = []
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def file(self, path: Path, fmt: str | None) -> None:
        key = str(path.resolve())
        try:
            chosen = fmt or detect(path)
            load = loader(chosen)
            stat = path.stat()
        except (SourceError, OSError) as exc:
            self.summary.rejected.append(Rejected(str(path), None, _message(exc)))
            return
        done = self.library.records.file_record(key)
        if (
            done is not None
            and done["size"] == stat.st_size
            and done["mtime_ns"] == stat.st_mtime_ns
            and done["format"] == chosen
        ):
            self.summary.skipped += done["documents"]
            self.summary.skip_reasons["unchanged file"] += done["documents"]
            return
        if self.reporter:
            self.reporter.start_file(path, chosen)
        count = 0
        batch: list[Document] = []
        read: set[str] = set()
        try:
            for item in load(path):
                if isinstance(item, Rejected):
                    self.summary.rejected.append(item)
                    continue
                batch.append(item)
                read.add(item.id)
                count += 1
                if len(batch) >= self.batch_size:
                    self.write(batch, key)
                    batch = []
            self.write(batch, key)
        except (SourceError, OSError) as exc:
            self.write(batch, key)
            self.summary.rejected.append(Rejected(str(path), None, _message(exc)))
            return
        finally:
            if self.reporter:
                self.reporter.end_file()
        self._supersede(key, read)
        self.library.records.mark_file(key, chosen, stat.st_size, stat.st_mtime_ns, count)

    def _supersede(self, key: str, read: set[str]) -> None:
        """Remove what an edited file of the user's own said before its edit.

        A user file's id comes from its content (so a moved file stays one document); an edit
        therefore gives a new id, and without this the old text would stay searchable and citable
        beside the new. Runs only after the whole file was read and written, so a file that fails
        to load never loses its earlier version. Articles citing the old version are sent back to
        review by the recheck that follows an ingest ("no longer in the library").
        """
        if not read or not all(document_id.startswith("file:") for document_id in read):
            return
        stale = self.library.records.superseded_file_documents(key, read)
        if stale:
            self.library.lexical.remove(self.library.records.delete_documents(stale))
            self.summary.superseded += len(stale)

    def write(self, batch: list[Document], source_file: str) -> None:
        if not batch:
            return
        stored = self.library.records.stored([document.id for document in batch])
        items: list[tuple[Document, str, list[Passage]]] = []
        replace: set[str] = set()
        seen: set[str] = set()
        for raw in batch:
            document = graded(raw)
            if document.id in seen:
                self.skip("duplicate id within the file")
                continue
            seen.add(document.id)
            content_hash = document.content_hash()
            held = stored.get(document.id)
            if held is not None and held.content_hash == content_hash:
                self.skip("unchanged")
                continue
            if held is not None and held.source != document.source:
                self.skip(f"already held from {held.source}")
                continue
            passages = split_document(document)
            if not passages:
                self.summary.rejected.append(
                    Rejected(source_file, None, f"{document.id}: document has no text")
                )
                continue
            if held is not None:
                replace.add(document.id)
                self.summary.updated += 1
            else:
                self.summary.added += 1
            items.append((document, content_hash, passages))
        if items:
            result = self.library.records.write_batch(items, replace, source_file)
            if result.removed_passage_ids:
                self.library.lexical.remove(result.removed_passage_ids)
            self.summary.passages_added += self.library.lexical.add(result.added_passages)
            self.new_texts.extend(row.text for row in result.added_passages)
        if self.reporter:
            self.reporter.advance(len(batch))

    def skip(self, reason: str) -> None:
        self.summary.skipped += 1
        self.summary.skip_reasons[reason] += 1


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot read file ({exc.strerror})"
    return str(exc)


def ingest(
    library: Library,
    paths: Sequence[Path],
    fmt: str | None = None,
    batch_size: int = 500,
    reporter: Reporter | None = None,
) -> IngestSummary:
    """Ingest files and folders into `library`; bad records are reported, never fatal."""
    return _Ingest(library, batch_size, reporter).run((path, fmt) for path in expand(paths))


def ingest_documents(
    library: Library, documents: Iterable[Document], source: str, batch_size: int = 500
) -> IngestSummary:
    """Ingest documents made in memory rather than read from a file (records fetched by a live
    PubMed search): graded, split, written in batches and indexed exactly like a file's records.
    `source` is recorded as where they came from (e.g. "live PubMed search")."""
    return _Ingest(library, batch_size, None).documents(documents, source)


def ingest_sample(
    library: Library, corpus_dir: Path, batch_size: int = 500, reporter: Reporter | None = None
) -> IngestSummary:
    """Build the sample library from the six shared corpora under `corpus_dir`."""
    missing = [name for name, _ in SAMPLE_FILES if not (corpus_dir / name).is_file()]
    if missing:
        raise SourceError(
            f"sample data not found in {corpus_dir} (missing: {', '.join(missing)}); "
            "point --data-dir (or EVIDEX_DATA_DIR) at the shared data folder"
        )
    files = [(corpus_dir / name, fmt) for name, fmt in SAMPLE_FILES]
    return _Ingest(library, batch_size, reporter).run(files)
