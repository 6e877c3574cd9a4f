"""Evidence selection: which retrieved passages an answer may draw on, strongest evidence first.

Rules, in order: drop passages that do not speak to the question (too few of its key terms, or too
dissimilar); keep at most `max_per_document` passages per document and `max_documents` documents;
order documents by evidence kind (guideline → systematic review → trial → other research →
consumer information; consumer information first for patients) and then by retrieval rank.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from evidex.models import Audience, EvidenceKind, SearchHit
from evidex.search.query import query_terms
from evidex.search.synonyms import expand_query
from evidex.store.fts import FtsIndex

_STEM = 5
SPECIFIC_WEIGHT = math.log(100.0)
"""The IDF weight of a term found in about 1 % of passages: rarer subject words must be in the evidence."""


def stems(text: str) -> set[str]:
    """Crude stems (first 5 letters of each content word): enough to match treat/treatment."""
    return {term[:_STEM] for term in query_terms(text) if not term.isdigit()}


class Relevance:
    """How much of a question a text covers, each term weighted by its rarity in the library (IDF).

    Why weighted: "patients", "therapy" and "severe" are in thousands of passages; a passage that
    has only those is not about "IVIG for HSV". A term also counts as present when one of its
    synonyms is ("intravenous immunoglobulin" for "IVIG").
    """

    def __init__(self, question: str, entities: list[str], lexical: FtsIndex | None) -> None:
        self.terms = [
            t for t in query_terms(" ".join(entities) or question) if not t.isdigit()
        ] or query_terms(question)
        total = lexical.count() if lexical is not None else 0
        self.weights: dict[str, float] = {}
        self.alternatives: dict[str, list[set[str]]] = {}
        for term in self.terms:
            if lexical is not None and total:
                df = lexical.document_frequency('"' + term.replace('"', '""') + '"')
                self.weights[term] = math.log(1 + (total - df + 0.5) / (df + 0.5))
            else:
                self.weights[term] = 1.0
            self.alternatives[term] = [{term[:_STEM]}] + [
                stems(phrase) for phrase in expand_query(term, max_expansions=4) if stems(phrase)
            ]
        self.subject = [t for t in query_terms(entities[0]) if t in self.weights] if entities else []
        # the most specific term: a passage that lacks it (and its synonyms) is about something else,
        # and a question whose most specific term is nowhere in the library cannot be answered from it
        self.key_term = max(self.weights, key=lambda t: self.weights[t]) if self.weights else None

    def _present(self, term: str, words: set[str]) -> bool:
        return any(alternative <= words for alternative in self.alternatives[term])

    def coverage(self, text: str) -> float:
        """IDF-weighted share of the question's terms found in `text`."""
        total = sum(self.weights.values())
        if not total:
            return 0.0
        words = stems(text)
        return sum(w for term, w in self.weights.items() if self._present(term, words)) / total

    def has_key_term(self, text: str) -> bool:
        return self.key_term is None or self._present(self.key_term, stems(text))

    def names_subject(self, text: str) -> bool:
        """Whether `text` holds the specific words of the question's subject (those in under 1 % of passages).

        "How do you make an IO game?" must not be answered from passages that mention neither IO
        games nor anything like them; common words of the subject ("kidney problems") are not required,
        since the evidence says them otherwise ("renal impairment").
        """
        required = [term for term in self.subject if self.weights[term] >= SPECIFIC_WEIGHT]
        if not required:
            return True
        words = stems(text)
        return all(self._present(term, words) for term in required)

    def has_specific_terms(self, text: str) -> bool:
        """Whether `text` holds every specific word of the question (each in under 1 % of passages).

        "IVIG for HSV infection" is about IVIG *and* HSV: a passage on IVIG for myasthenia covers
        most of the question's weight but is not about it."""
        words = stems(text)
        return all(self._present(term, words) for term, w in self.weights.items() if w >= SPECIFIC_WEIGHT)

    def mentions_subject(self, text: str) -> bool:
        """Whether `text` names the question's first entity (the thing a yes/no question is about)."""
        if not self.subject:
            return True
        words = stems(text)
        return all(self._present(term, words) for term in self.subject)


@dataclass(frozen=True)
class SelectedEvidence:
    """A retrieved passage kept for the answer, with how much of the question it covers."""

    hit: SearchHit
    coverage: float
    rank: int


_KIND_ORDER = [
    EvidenceKind.GUIDELINE,
    EvidenceKind.SYSTEMATIC_REVIEW,
    EvidenceKind.RANDOMIZED_TRIAL,
    EvidenceKind.OBSERVATIONAL_STUDY,
    EvidenceKind.OTHER,
    EvidenceKind.NARRATIVE_REVIEW,
    EvidenceKind.CASE_REPORT,
    EvidenceKind.CONSUMER_INFORMATION,
]


def kind_order(kind: EvidenceKind, audience: Audience) -> int:
    if audience is Audience.PATIENT and kind is EvidenceKind.CONSUMER_INFORMATION:
        return -1
    return _KIND_ORDER.index(kind)


def select(
    relevance: Relevance,
    hits: list[SearchHit],
    audience: Audience,
    min_coverage: float = 0.5,
    max_documents: int = 8,
    max_per_document: int = 2,
) -> list[SelectedEvidence]:
    """Passages that cover enough of the question, grouped by document, strongest kinds first."""
    per_document: dict[str, list[SelectedEvidence]] = {}
    for rank, hit in enumerate(hits):
        text = f"{hit.title} {hit.text}"
        share = relevance.coverage(text)
        if share < min_coverage or hit.retracted or not relevance.has_key_term(text):
            continue
        if not relevance.names_subject(text):  # about something else that shares words with the question
            continue
        kept = per_document.setdefault(hit.document_id, [])
        if len(kept) < max_per_document:
            kept.append(SelectedEvidence(hit, share, rank))
    documents = sorted(
        per_document.values(), key=lambda group: (kind_order(group[0].hit.kind, audience), group[0].rank)
    )[:max_documents]
    return [item for group in documents for item in group]


_WORDS = re.compile(r"[a-z0-9]+")


def near_duplicate(a: str, b: str, threshold: float = 0.7) -> bool:
    """Jaccard overlap of word sets: catches the same statement copied across guidelines."""
    wa, wb = set(_WORDS.findall(a.lower())), set(_WORDS.findall(b.lower()))
    if not wa or not wb:
        return False
    return len(wa & wb) / len(wa | wb) >= threshold
