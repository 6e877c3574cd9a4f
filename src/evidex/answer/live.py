"""Live PubMed search: when the library holds too little, ask NCBI, keep what was found, answer again.

Why ingest rather than answer from the fetched records directly: a fetched record goes through the
same loader, grading, passage cutting, indexing (and embedding, where the library has vectors) as a
file of PubMed XML, so it is ranked, cited and verified like everything else, and it stays: the next
question on the topic is answered offline. Each record keeps when a live search first brought it in
(`extra["live_fetched_at"]`, with the query in `extra["live_query"]`), which the answer shows on its
reference; records the library already held are left as they are.

The step is bounded: one time budget (`live_search_timeout`) covers every request, retry and wait,
and any failure — no network, a refused connection, a malformed response — becomes one note line
("live PubMed search unavailable: …") on an answer composed from the library as usual.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import select

from evidex.answer.pubmed_query import MeshVocabulary, QueryOptions, build_queries
from evidex.ingest.embedding import embed_missing_sentences, passage_text
from evidex.ingest.eutils import EFETCH_BATCH, EutilsClient, EutilsConfig, EutilsError, SearchResult
from evidex.ingest.pubmed_xml import load as load_pubmed
from evidex.ingest.records import Rejected, SourceError
from evidex.ingest.runner import ingest_documents
from evidex.models import Document, QuestionAnalysis, Reference
from evidex.settings import Settings
from evidex.store.library import Library
from evidex.store.schema import documents as documents_table
from evidex.store.vectors import Embedder, VectorStoreError

__all__ = ["LIVE_FETCHED_AT", "LIVE_QUERY", "LiveMode", "LiveOutcome", "LiveSearch", "mark_live"]

LIVE_FETCHED_AT = "live_fetched_at"
LIVE_QUERY = "live_query"
LIVE_SOURCE = "live PubMed search"
MIN_RESULTS = 3
"""A query that finds fewer records than this gives way to the next, broader one."""
HEADING_ROWS = 200_000
"""Documents read for the library's MeSH headings (once per LiveSearch); bounds the cost at scale."""


class LiveMode(StrEnum):
    """When the answer engine searches PubMed (EVIDEX_LIVE_SEARCH, `evidex ask --live-search`)."""

    NEVER = "never"
    WHEN_INSUFFICIENT = "when_insufficient"
    ALWAYS = "always"


@dataclass
class LiveOutcome:
    """What one live search did, and the note lines the answer shows for it."""

    query: str | None = None
    count: int = 0
    fetched: list[str] = field(default_factory=list)
    added: int = 0
    held: int = 0
    rejected: int = 0
    embedded: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.added > 0


class LiveSearch:
    """Decides when to search PubMed, builds the query, fetches, ingests and writes the notes."""

    def __init__(
        self,
        mode: LiveMode | str = LiveMode.NEVER,
        config: EutilsConfig | None = None,
        budget: float = 20.0,
        max_records: int = 20,
        min_results: int = MIN_RESULTS,
        options: QueryOptions | None = None,
        client: EutilsClient | None = None,
        embedder: Embedder | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.mode = LiveMode(mode)
        self.client = client or EutilsClient(config)
        self.budget = budget
        self.max_records = max_records
        self.min_results = min_results
        self.options = options or QueryOptions()
        self._embedder = embedder
        self._now = now
        self._headings: list[str] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, mode: str | None = None) -> LiveSearch:
        """The live step as configured (EVIDEX_LIVE_SEARCH, EVIDEX_EUTILS_*), `mode` overriding."""
        return cls(
            mode or settings.live_search,
            eutils_config(settings),
            budget=settings.live_search_timeout,
            max_records=settings.live_search_max_records,
        )

    # -- when ------------------------------------------------------------------------------------

    @property
    def before_retrieval(self) -> bool:
        return self.mode is LiveMode.ALWAYS

    def after_retrieval(self, insufficient: bool) -> bool:
        return self.mode is LiveMode.WHEN_INSUFFICIENT and insufficient

    # -- the step --------------------------------------------------------------------------------

    def run(self, library: Library, analysis: QuestionAnalysis) -> LiveOutcome:
        """Search, fetch and ingest; never raises for network or response trouble (it becomes a note)."""
        outcome = LiveOutcome()
        fetched_at = self._now().astimezone(UTC).isoformat(timespec="seconds")
        day = fetched_at[:10]
        queries = build_queries(analysis, MeshVocabulary(self._library_headings(library)), self.options)
        if not queries:
            outcome.notes.append(
                "live PubMed search skipped: the question names no specific term to search PubMed for"
            )
            return outcome
        try:
            with self.client.budget(self.budget):
                query, result = self._search(queries)
                outcome.query, outcome.count = query, result.count
                if result.count == 0:
                    outcome.notes += [
                        f"live PubMed search on {day} found no records",
                        f"PubMed query: {query}",
                    ]
                    return outcome
                texts = list(self._fetch(result))
        except EutilsError as exc:
            outcome.error = str(exc)
            outcome.notes.append(f"live PubMed search unavailable: {exc}; answered from the library only")
            return outcome
        fresh = self._documents(library, texts, outcome, fetched_at, query)
        if fresh:
            summary = ingest_documents(library, fresh, f"{LIVE_SOURCE} {fetched_at}")
            outcome.added = summary.added
            outcome.rejected += len(summary.rejected)
        line = (
            f"live PubMed search on {day}: {outcome.count:,} matching records, "
            f"{len(outcome.fetched)} fetched (best matches first), {outcome.added} new in the library"
        )
        if outcome.held:
            line += f", {outcome.held} already held"
        if outcome.rejected:
            line += f", {outcome.rejected} unreadable"
        outcome.notes += [line, f"PubMed query: {query}"]
        if outcome.added:
            self._embed(library, [d.id for d in fresh], outcome)
        return outcome

    def _search(self, queries: Sequence[str]) -> tuple[str, SearchResult]:
        """The first query (strict → broad) that finds enough; else the broadest that finds any."""
        best: tuple[str, SearchResult] | None = None
        last: tuple[str, SearchResult] | None = None
        for query in queries:
            result = self.client.esearch(query, retmax=self.max_records, usehistory=True)
            if result.count >= self.min_results:
                return query, result
            last = (query, result)
            if result.count and (best is None or result.count >= best[1].count):
                best = last
        assert last is not None, "build_queries gives at least one query"
        return best or last

    def _fetch(self, result: SearchResult) -> list[str]:
        """PubMed XML of the best `max_records` matches: by id, or through the history server when
        more than one efetch batch is wanted."""
        wanted = min(result.count, self.max_records)
        if wanted > EFETCH_BATCH and result.webenv and result.query_key:
            return list(self.client.efetch_history(result, limit=wanted))
        return list(self.client.efetch(result.ids[:wanted]))

    def _documents(
        self, library: Library, texts: list[str], outcome: LiveOutcome, fetched_at: str, query: str
    ) -> list[Document]:
        """Fetched records as Documents marked live, minus those the library already holds."""
        parsed, rejected = parse_efetch(texts)
        outcome.rejected += rejected
        outcome.fetched = [document.pmid or document.id for document in parsed]
        held = library.records.stored([document.id for document in parsed])
        outcome.held = len(held)
        extra = {LIVE_FETCHED_AT: fetched_at, LIVE_QUERY: query}
        return [
            document.model_copy(update={"extra": {**document.extra, **extra}})
            for document in parsed
            if document.id not in held
        ]

    def _embed(self, library: Library, document_ids: list[str], outcome: LiveOutcome) -> None:
        """Vectors for the new passages when the library has vectors (else dense search is off anyway)."""
        if library.vectors.meta() is None:
            return
        try:
            embedder = self._load_embedder()
            library.vectors.check_model(embedder.name, embedder.dimensions)
            ids: list[int] = []
            texts: list[str] = []
            for document_id in document_ids:
                title = document.title if (document := library.records.document(document_id)) else ""
                for passage_id, passage in library.records.passages_of(document_id):
                    ids.append(passage_id)
                    texts.append(passage_text(title, passage.text))
            if ids:
                library.vectors.append(ids, embedder.embed(texts), embedder.name)
                outcome.embedded = len(ids)
                if library.sentence_vectors.meta() is not None:  # the library keeps them for `best`
                    embed_missing_sentences(library, embedder)
        except (VectorStoreError, OSError, RuntimeError) as exc:  # EmbedderUnavailable is a RuntimeError
            outcome.notes.append(
                f"live-fetched passages not embedded ({' '.join(str(exc).split())}); "
                "run `evidex library embed`"
            )

    def _load_embedder(self) -> Embedder:
        if self._embedder is None:
            # loaded only when a live search adds passages to a library that has vectors
            from evidex.search.embedder import load_embedder

            self._embedder = load_embedder()
        return self._embedder

    def _library_headings(self, library: Library) -> list[str]:
        """MeSH headings of documents in the library, so its own vocabulary maps question terms."""
        if self._headings is None:
            headings: set[str] = set()
            query = select(documents_table.c.mesh_terms).limit(HEADING_ROWS)
            with library.records.engine.connect() as conn:
                for (terms,) in conn.execute(query):
                    headings.update(term for term in terms or () if isinstance(term, str))
            self._headings = sorted(headings)
        return self._headings


def eutils_config(settings: Settings) -> EutilsConfig:
    """The E-utilities client configuration from settings (EVIDEX_EUTILS_*)."""
    key = settings.eutils_api_key.get_secret_value() if settings.eutils_api_key else None
    return EutilsConfig(
        base_url=settings.eutils_base_url,
        tool=settings.eutils_tool,
        email=settings.eutils_email,
        api_key=key,
        timeout=min(10.0, settings.live_search_timeout),
    )


def parse_efetch(texts: Sequence[str]) -> tuple[list[Document], int]:
    """Documents of efetch PubMed XML responses, through the ordinary PubMed loader, and how many
    records (or whole responses) could not be read."""
    parsed: list[Document] = []
    rejected = 0
    with tempfile.TemporaryDirectory(prefix="evidex-live-") as folder:
        for number, text in enumerate(texts, start=1):
            path = Path(folder) / f"efetch-{number}.xml"
            path.write_text(text, encoding="utf-8")
            try:
                for item in load_pubmed(path):
                    if isinstance(item, Rejected):
                        rejected += 1
                    else:
                        parsed.append(item)
            except SourceError:
                rejected += 1
    return parsed, rejected


def mark_live(library: Library, references: list[Reference]) -> None:
    """Set `live_fetched_at` on references to records a live PubMed search brought into the library."""
    for reference in references:
        if not reference.document_id.startswith("pmid:"):
            continue
        document = library.records.document(reference.document_id)
        if document is not None and document.extra.get(LIVE_FETCHED_AT):
            reference.live_fetched_at = document.extra[LIVE_FETCHED_AT]
