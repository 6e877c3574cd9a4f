"""What the web app does, independent of HTTP: answer, look up, search, with one engine kept warm.

The answer engine and retriever share the library's database connections and caches, which are not made
for concurrent use, so one lock serialises the work of a process; a deployment scales by running more
replicas (each with its own engine) over a shared database. Pages and the JSON API both call this layer,
so they cannot disagree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from evidex.answer.engine import AnswerEngine
from evidex.answer.live import LiveSearch
from evidex.llm.protocol import ChatModel
from evidex.models import Audience, Document, Passage, SearchHit
from evidex.search.retriever import Retriever, SearchFilters
from evidex.search.settings import PRESETS, RetrievalSettings
from evidex.store.answers import AnswerStore, RecentQuestion, SavedAnswer
from evidex.store.library import Library

MAX_QUESTION_CHARS = 1_000
MAX_SEARCH_K = 100


class NotFound(LookupError):
    """An id that names nothing; the message says which."""


@dataclass(frozen=True)
class DocumentView:
    document: Document
    passages: list[tuple[int, Passage]]


class AnswerService:
    def __init__(
        self,
        library: Library,
        preset: str = "default",
        failed_claims: str = "drop",
        live: LiveSearch | None = None,
        llm: ChatModel | None = None,
        after_live_ingest: Callable[[], object] | None = None,
    ) -> None:
        """`after_live_ingest` runs (under the answer lock) after an answer whose live PubMed search
        added documents to the library: the app rechecks approved articles there, as after an ingest."""
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
        self.library = library
        self.preset = preset
        self.engine = AnswerEngine(
            library, preset, "flag" if failed_claims == "flag" else "drop", live=live, llm=llm
        )
        self.answers = AnswerStore(library.records.engine)
        self._retrievers: dict[str, Retriever] = {preset: self.engine.retriever}
        self._lock = threading.Lock()
        self._after_live_ingest = after_live_ingest

    def answer(
        self,
        question: str,
        audience: Audience = Audience.CLINICIAN,
        follow_up_of: str | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> SavedAnswer:
        """Compose, verify and save an answer; raises QuestionError for a question that cannot be asked."""
        previous = None
        if follow_up_of:
            parent = self.answers.get(follow_up_of)
            if parent is None:
                raise NotFound(f"no answer with id {follow_up_of!r} to follow up; ask a new question instead")
            previous = parent.answer.analysis
        with self._lock:
            answer = self.engine.ask(question, audience, previous, progress)
            if self.engine.live_added and self._after_live_ingest is not None:
                self._after_live_ingest()
        return self.answers.save(answer, parent_id=follow_up_of or None)

    def saved(self, answer_id: str) -> SavedAnswer:
        found = self.answers.get(answer_id)
        if found is None:
            raise NotFound(f"no answer with id {answer_id!r}; it may belong to another library")
        return found

    def thread(self, answer_id: str) -> list[SavedAnswer]:
        return self.answers.thread(answer_id)

    def recent(self, limit: int = 8) -> list[RecentQuestion]:
        return self.answers.recent(limit)

    def document(self, document_id: str) -> DocumentView:
        with self._lock:
            document = self.library.records.document(document_id)
            if document is None:
                raise NotFound(f"no document with id {document_id!r} in this library")
            return DocumentView(document, self.library.records.passages_of(document_id))

    def search(
        self, query: str, k: int = 10, filters: SearchFilters | None = None, preset: str | None = None
    ) -> list[SearchHit]:
        """Ranked passages; raises QueryError for a query with nothing to search for."""
        name = preset or self.preset
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
        with self._lock:
            retriever = self._retrievers.get(name)
            if retriever is None:
                retriever = self._retrievers[name] = Retriever(self.library, RetrievalSettings.preset(name))
            return retriever.search(query, k, filters)

    def counts(self) -> dict[str, int]:
        with self._lock:
            counts = self.library.records.counts()
        return {"documents": int(counts["documents"]), "passages": int(counts["passages"])}
