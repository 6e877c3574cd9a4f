"""Fetch the records a live PubMed search brought in again, so later corrections and retractions
reach the library (`evidex library refresh`).

Why: a live record is a snapshot of PubMed on the day it was fetched. A retraction notice or a
corrected abstract published since would otherwise only arrive if the user happened to ingest that
record again. Refreshing goes through the ordinary ingest, so an unchanged record is skipped, a
changed one is updated in place (same id, new passages) and a retraction sets the flag that search
penalises and editorial recheck reports. Records PubMed no longer returns are listed, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from evidex.answer.live import LIVE_SOURCE, parse_efetch
from evidex.ingest.eutils import EutilsClient
from evidex.ingest.runner import ingest_documents
from evidex.models import Document
from evidex.store.library import Library


@dataclass
class RefreshOutcome:
    """What a refresh found; `updated` and `retracted` are document ids, `missing` PMIDs."""

    checked: int = 0
    updated: list[str] = field(default_factory=list)
    retracted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    rejected: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "updated": self.updated,
            "retracted": self.retracted,
            "missing": self.missing,
            "rejected": self.rejected,
        }


def refresh_live_records(library: Library, client: EutilsClient, budget: float) -> RefreshOutcome:
    """Fetch every live-fetched record again and ingest what changed; EutilsError when PubMed cannot
    be reached or answers badly within `budget` seconds (then nothing in the library has changed)."""
    held = library.records.pubmed_ids_from(LIVE_SOURCE)
    outcome = RefreshOutcome(checked=len(held))
    if not held:
        return outcome
    with client.budget(budget):
        texts = list(client.efetch(sorted(set(held.values()))))
    fetched, outcome.rejected = parse_efetch(texts)
    fresh = [_keep_marks(library, document) for document in fetched if document.id in held]
    found = {document.id for document in fresh}
    outcome.missing = sorted(pmid for document_id, pmid in held.items() if document_id not in found)
    before = library.records.document_states(found)
    refreshed_at = datetime.now(UTC).isoformat(timespec="seconds")
    ingest_documents(library, fresh, f"{LIVE_SOURCE} (refreshed {refreshed_at})")
    after = library.records.document_states(found)
    for document_id in sorted(found):
        old, new = before.get(document_id), after.get(document_id)
        if old is None or new is None:
            continue
        if new.updated_at != old.updated_at:
            outcome.updated.append(document_id)
        if new.retracted and not old.retracted:
            outcome.retracted.append(document_id)
    return outcome


def _keep_marks(library: Library, document: Document) -> Document:
    """The fetched record with the stored one's extra facts under it (when and by which query it was
    first fetched), so a record PubMed has not changed hashes as unchanged."""
    stored = library.records.document(document.id)
    if stored is None:
        return document
    return document.model_copy(update={"extra": {**stored.extra, **document.extra}})
