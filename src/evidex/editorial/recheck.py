"""Living answers: find approved or published articles whose evidence moved, and return them to review.

An article is flagged when a document it cites was updated or retracted after its current version was
composed or last approved (or is gone from the library), or when searching again for its question finds
evidence of a stronger kind (e.g. a guideline where the article cites only trials), added to the library
since then, that it does not cite. "Since then" keeps a re-approved article from being flagged again for
evidence its reviewers have already weighed.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidex.editorial.service import EditorialService
from evidex.editorial.workflow import Status
from evidex.models import EvidenceKind
from evidex.search.query import QueryError
from evidex.search.retriever import Retriever, SearchFilters
from evidex.store.library import Library

RECHECK_K = 10


@dataclass(frozen=True)
class Flag:
    article_id: str
    question: str
    reasons: list[str]


def reasons_for(
    service: EditorialService, library: Library, retriever: Retriever, article_id: str
) -> list[str]:
    """Why the article's evidence moved since it was composed or last approved (empty: it did not)."""
    version = service.version(article_id)
    answer = version.answer
    since = max(
        [version.created_at]
        + [t.at for t in service.history(article_id) if t.to_status == Status.APPROVED.value]
    )
    cited = {reference.document_id: reference for reference in answer.references}
    states = library.records.document_states(cited)
    reasons: list[str] = []
    for document_id, reference in cited.items():
        state = states.get(document_id)
        if state is None:
            reasons.append(f"cited document {document_id} is no longer in the library")
        elif state.retracted and not reference.retracted:
            reasons.append(f"cited document {document_id} has been retracted")
        elif state.updated_at > since:
            reasons.append(f"cited document {document_id} was updated on {state.updated_at:%Y-%m-%d}")
    if cited:
        best = min(reference.kind.rank for reference in cited.values())
        try:
            hits = retriever.search(
                answer.analysis.search_query, RECHECK_K, SearchFilters(include_retracted=False)
            )
        except QueryError:
            hits = []
        stronger = [h for h in hits if h.document_id not in cited and EvidenceKind(h.kind).rank < best]
        fresh = library.records.document_states(h.document_id for h in stronger)
        seen: set[str] = set()
        for hit in stronger:
            state = fresh.get(hit.document_id)
            if state is None or state.ingested_at <= since or hit.document_id in seen:
                continue
            seen.add(hit.document_id)
            label = EvidenceKind(hit.kind).label.lower()
            reasons.append(f"new {label} evidence not cited: {hit.title} [{hit.document_id}]")
    return reasons


def recheck(service: EditorialService, library: Library, retriever: Retriever) -> list[Flag]:
    """Flag and return to review every approved or published article whose evidence changed."""
    flags: list[Flag] = []
    for status in (Status.APPROVED, Status.PUBLISHED):
        for article in service.articles(status):
            reasons = reasons_for(service, library, retriever, article.id)
            if reasons and service.flag_evidence_change(article.id, "; ".join(reasons)) is not None:
                flags.append(Flag(article.id, article.question, reasons))
    return flags
