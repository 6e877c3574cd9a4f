"""A library is one folder: the records database, the lexical index, and a marker file."""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType

from evidex.store.fts import FtsIndex
from evidex.store.records import RecordStore
from evidex.store.vectors import VectorStore

RECORDS_FILE = "records.sqlite"
LEXICAL_FILE = "lexical.sqlite"
MARKER_FILE = "evidex-library.json"
VECTORS_DIR = "vectors"
SENTENCE_VECTORS_DIR = "sentence-vectors"
FORMAT_VERSION = 1


class LibraryError(Exception):
    """The folder is not a usable library; the message says what to do."""


class Library:
    """Opens (and on request creates) a library folder and keeps its two stores consistent."""

    def __init__(self, path: Path, database_url: str | None = None, create: bool = False) -> None:
        self.path = path.expanduser()
        marker = self.path / MARKER_FILE
        if not marker.exists():
            if not create:
                raise LibraryError(
                    f"no evidence library at {self.path}: build one with `evidex library sample` "
                    "or `evidex ingest FILE... --library DIR`"
                )
            if self.path.exists() and any(self.path.iterdir()):
                raise LibraryError(
                    f"{self.path} is a non-empty folder that is not an Evidex library; "
                    "choose an empty or new folder"
                )
            self.path.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({"format": FORMAT_VERSION}) + "\n", encoding="utf-8")
        else:
            version = json.loads(marker.read_text(encoding="utf-8")).get("format")
            if version != FORMAT_VERSION:
                raise LibraryError(
                    f"library at {self.path} has format {version}, this Evidex reads "
                    f"{FORMAT_VERSION}; rebuild it with `evidex ingest`"
                )
        self.records = RecordStore(database_url or f"sqlite:///{self.path / RECORDS_FILE}")
        self.lexical = FtsIndex(self.path / LEXICAL_FILE)
        self.vectors = VectorStore(self.path / VECTORS_DIR)
        self.sentence_vectors = VectorStore(self.path / SENTENCE_VECTORS_DIR)
        """One vector per sentence of each passage, for the `best` preset's re-ranking (optional)."""

    def reconcile(self) -> tuple[int, int]:
        """Make the lexical index hold exactly the stored passages; returns (added, removed)."""
        stored = self.records.passage_ids()
        indexed = self.lexical.ids()
        missing = stored - indexed
        stale = indexed - stored
        if stale:
            self.lexical.remove(stale)
        if missing:
            self.lexical.add(self.records.index_rows(missing))
        return len(missing), len(stale)

    def size_on_disk(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def close(self) -> None:
        self.lexical.close()
        self.records.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
