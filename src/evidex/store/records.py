"""The records database: documents and their passages, written in batches inside transactions."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update

from evidex.models import Document, EvidenceKind, Passage
from evidex.store.migrate import migrate
from evidex.store.schema import documents, ingested_files, passages
from evidex.store.times import as_utc


@dataclass(frozen=True)
class StoredDocument:
    """What the store knows about a document already held: used to skip, update or refuse."""

    content_hash: str
    source: str


@dataclass(frozen=True)
class PassageRow:
    """A passage with its database id and the document facts the lexical index filters on."""

    id: int
    document_id: str
    title: str
    text: str
    kind: str
    year: int | None
    source: str
    retracted: bool


@dataclass(frozen=True)
class BatchResult:
    """Passage ids a batch removed and the rows it added, for the lexical index to follow."""

    removed_passage_ids: list[int]
    added_passages: list[PassageRow]


@dataclass(frozen=True)
class DocumentState:
    ingested_at: datetime
    updated_at: datetime
    retracted: bool


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _document_row(document: Document, content_hash: str, source_file: str | None) -> dict[str, Any]:
    row = document.model_dump(mode="json", exclude={"sections"})
    row.update(content_hash=content_hash, source_file=source_file)
    return row


class RecordStore:
    """Documents and passages in one SQL database (SQLite file by default, PostgreSQL by URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- ingest ---------------------------------------------------------------------------------

    def stored(self, ids: Sequence[str]) -> dict[str, StoredDocument]:
        """Hash and source of those of `ids` already in the library."""
        if not ids:
            return {}
        query = select(documents.c.id, documents.c.content_hash, documents.c.source).where(
            documents.c.id.in_(list(ids))
        )
        with self.engine.connect() as conn:
            return {row.id: StoredDocument(row.content_hash, row.source) for row in conn.execute(query)}

    def write_batch(
        self,
        items: Sequence[tuple[Document, str, list[Passage]]],
        replace: set[str],
        source_file: str | None,
    ) -> BatchResult:
        """Insert new documents and replace those in `replace`, all in one transaction."""
        now = datetime.now(UTC)
        removed: list[int] = []
        added: list[PassageRow] = []
        with self.engine.begin() as conn:
            if replace:
                ids = list(replace)
                removed = list(conn.scalars(select(passages.c.id).where(passages.c.document_id.in_(ids))))
                conn.execute(delete(passages).where(passages.c.document_id.in_(ids)))
            new_rows: list[dict[str, Any]] = []
            for document, content_hash, _ in items:
                row = _document_row(document, content_hash, source_file)
                if document.id in replace:
                    row["updated_at"] = now
                    conn.execute(update(documents).where(documents.c.id == document.id).values(row))
                else:
                    row.update(ingested_at=now, updated_at=now)
                    new_rows.append(row)
            if new_rows:
                conn.execute(insert(documents), new_rows)
            passage_rows = [passage.model_dump() for _, _, doc_passages in items for passage in doc_passages]
            if passage_rows:
                returned = conn.execute(
                    insert(passages).returning(passages.c.id, sort_by_parameter_order=True),
                    passage_rows,
                ).all()
                by_id = {document.id: document for document, _, _ in items}
                for (passage_id,), row in zip(returned, passage_rows, strict=True):
                    document = by_id[row["document_id"]]
                    added.append(
                        PassageRow(
                            id=passage_id,
                            document_id=document.id,
                            title=document.title,
                            text=row["text"],
                            kind=document.kind.value,
                            year=document.year,
                            source=document.source,
                            retracted=document.retracted,
                        )
                    )
        return BatchResult(removed, added)

    def superseded_file_documents(self, source_file: str, current: set[str]) -> list[str]:
        """Ids of documents of one of the user's own files (`file:` ids) last read from
        `source_file` that are not among the `current` ids read from it now: earlier versions of a
        file that was edited since (their content, hence their id, differs)."""
        query = select(documents.c.id).where(
            documents.c.source_file == source_file, documents.c.id.like("file:%")
        )
        with self.engine.connect() as conn:
            return sorted(set(conn.scalars(query)) - current)

    def pubmed_ids_from(self, source_prefix: str) -> dict[str, str]:
        """PMID of each PubMed document whose recorded source starts with `source_prefix`, by id."""
        query = select(documents.c.id, documents.c.pmid).where(
            documents.c.source_file.startswith(source_prefix, autoescape=True), documents.c.pmid.is_not(None)
        )
        with self.engine.connect() as conn:
            return {row.id: str(row.pmid) for row in conn.execute(query)}

    def delete_documents(self, ids: Sequence[str]) -> list[int]:
        """Delete documents with their passages in one transaction; returns the removed passage ids
        (for the lexical index; vectors of passages that no longer exist are masked on load)."""
        if not ids:
            return []
        with self.engine.begin() as conn:
            removed = list(conn.scalars(select(passages.c.id).where(passages.c.document_id.in_(list(ids)))))
            conn.execute(delete(passages).where(passages.c.document_id.in_(list(ids))))
            conn.execute(delete(documents).where(documents.c.id.in_(list(ids))))
        return removed

    # -- files ----------------------------------------------------------------------------------

    def file_record(self, path: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(ingested_files).where(ingested_files.c.path == path)).first()
        return dict(row._mapping) if row else None

    def mark_file(self, path: str, fmt: str, size: int, mtime_ns: int, count: int) -> None:
        """Record that `path` was read to the end, so an unchanged copy is skipped next time."""
        with self.engine.begin() as conn:
            conn.execute(delete(ingested_files).where(ingested_files.c.path == path))
            conn.execute(
                insert(ingested_files).values(
                    path=path,
                    format=fmt,
                    size=size,
                    mtime_ns=mtime_ns,
                    documents=count,
                    completed_at=datetime.now(UTC),
                )
            )

    # -- reading --------------------------------------------------------------------------------

    def document(self, document_id: str) -> Document | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(documents).where(documents.c.id == document_id)).first()
        if row is None:
            return None
        data = dict(row._mapping)
        for key in ("content_hash", "source_file", "ingested_at", "updated_at"):
            data.pop(key)
        return Document.model_validate(data)

    def passages_of(self, document_id: str) -> list[tuple[int, Passage]]:
        query = select(passages).where(passages.c.document_id == document_id).order_by(passages.c.ordinal)
        with self.engine.connect() as conn:
            return [
                (
                    row.id,
                    Passage.model_validate({k: v for k, v in row._mapping.items() if k != "id"}),
                )
                for row in conn.execute(query)
            ]

    def passage_rows(self, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """Passages joined with their documents' facts, keyed by passage id."""
        wanted = list(ids)
        if not wanted:
            return {}
        query = select(
            passages.c.id,
            passages.c.document_id,
            passages.c.section,
            passages.c.text,
            documents.c.title,
            documents.c.kind,
            documents.c.year,
            documents.c.source,
            documents.c.retracted,
            documents.c.journal,
            documents.c.publisher,
            documents.c.url,
        ).join(documents, documents.c.id == passages.c.document_id)
        result: dict[int, dict[str, Any]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                for row in conn.execute(query.where(passages.c.id.in_(chunk))):
                    result[row.id] = dict(row._mapping)
        return result

    def passage_ids(self) -> set[int]:
        with self.engine.connect() as conn:
            return set(conn.scalars(select(passages.c.id)))

    def index_rows(self, ids: Iterable[int]) -> Iterator[PassageRow]:
        """Rows for the lexical index, for passages it is missing after an interrupted ingest."""
        for row in self.passage_rows(ids).values():
            yield PassageRow(
                id=row["id"],
                document_id=row["document_id"],
                title=row["title"],
                text=row["text"],
                kind=row["kind"],
                year=row["year"],
                source=row["source"],
                retracted=bool(row["retracted"]),
            )

    def document_states(self, ids: Iterable[str]) -> dict[str, DocumentState]:
        """When each document was first ingested and last changed, and whether it is retracted."""
        wanted = list(ids)
        if not wanted:
            return {}
        query = select(
            documents.c.id, documents.c.ingested_at, documents.c.updated_at, documents.c.retracted
        ).where(documents.c.id.in_(wanted))
        with self.engine.connect() as conn:
            return {
                row.id: DocumentState(as_utc(row.ingested_at), as_utc(row.updated_at), bool(row.retracted))
                for row in conn.execute(query)
            }

    def state(self) -> dict[str, Any]:
        """A fingerprint of the library an answer came from: sizes and the time of the latest change."""
        with self.engine.connect() as conn:
            n_documents = conn.scalar(select(func.count()).select_from(documents)) or 0
            n_passages = conn.scalar(select(func.count()).select_from(passages)) or 0
            latest = conn.scalar(select(func.max(documents.c.updated_at)))
        return {
            "documents": int(n_documents),
            "passages": int(n_passages),
            "latest_change": as_utc(latest).isoformat() if latest is not None else None,
        }

    def counts(self) -> dict[str, Any]:
        """Documents by source and by kind, and passage count, for `evidex library stats`."""
        with self.engine.connect() as conn:
            by_source: dict[str, int] = dict(
                conn.execute(select(documents.c.source, func.count()).group_by(documents.c.source)).all()
            )
            by_kind: dict[str, int] = dict(
                conn.execute(select(documents.c.kind, func.count()).group_by(documents.c.kind)).all()
            )
            n_passages = conn.scalar(select(func.count()).select_from(passages)) or 0
            retracted = (
                conn.scalar(select(func.count()).select_from(documents).where(documents.c.retracted)) or 0
            )
        return {
            "documents": sum(by_source.values()),
            "passages": n_passages,
            "retracted": retracted,
            "by_source": dict(sorted(by_source.items())),
            "by_kind": {kind.value: by_kind[kind.value] for kind in EvidenceKind if kind.value in by_kind},
        }
