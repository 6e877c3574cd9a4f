"""Domain types shared by every layer: what a piece of evidence is, and how it is cut into passages.

Everything here is plain data (pydantic models) so that loaders, the store, search and the answer engine
agree on one vocabulary and can serialize it to JSON without adapters.
"""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class EvidenceKind(StrEnum):
    """The kind of evidence a document is; ordered from strongest to weakest for clinical answers."""

    GUIDELINE = "guideline"
    SYSTEMATIC_REVIEW = "systematic_review"
    RANDOMIZED_TRIAL = "randomized_trial"
    OBSERVATIONAL_STUDY = "observational_study"
    CASE_REPORT = "case_report"
    NARRATIVE_REVIEW = "narrative_review"
    CONSUMER_INFORMATION = "consumer_information"
    OTHER = "other"

    @property
    def label(self) -> str:
        """Short human label used in reference lists."""
        return _KIND_LABELS[self]

    @property
    def rank(self) -> int:
        """0 for the strongest kind (guideline), increasing for weaker kinds."""
        return list(EvidenceKind).index(self)


_KIND_LABELS: dict[EvidenceKind, str] = {
    EvidenceKind.GUIDELINE: "Guideline",
    EvidenceKind.SYSTEMATIC_REVIEW: "Systematic review",
    EvidenceKind.RANDOMIZED_TRIAL: "Trial",
    EvidenceKind.OBSERVATIONAL_STUDY: "Research",
    EvidenceKind.CASE_REPORT: "Case report",
    EvidenceKind.NARRATIVE_REVIEW: "Review",
    EvidenceKind.CONSUMER_INFORMATION: "Consumer information",
    EvidenceKind.OTHER: "Research",
}


class Section(BaseModel):
    """A labelled span of a document's text as the source gives it (e.g. an abstract's METHODS part)."""

    model_config = ConfigDict(frozen=True)

    label: str
    text: str
    page: int | None = None
    start: int = 0
    """Offset of `text` within the source's section of the same label (BioASQ snippets are pieces)."""


class Document(BaseModel):
    """One source of evidence: an article, a guideline, a consumer page or a user's file.

    `id` is stable across ingests of the same source (`pmid:123`, `doi:10.1/x`, `ngc:2052`,
    `file:<sha256 prefix>` ...), so re-ingesting updates rather than duplicates.
    """

    id: str
    title: str
    authors: list[str] = Field(default_factory=list)
    journal: str | None = None
    publisher: str | None = None
    year: int | None = None
    date: str | None = None
    url: str | None = None
    doi: str | None = None
    pmid: str | None = None
    mesh_terms: list[str] = Field(default_factory=list)
    publication_types: list[str] = Field(default_factory=list)
    licence: str | None = None
    retracted: bool = False
    source: str
    kind: EvidenceKind = EvidenceKind.OTHER
    sections: list[Section] = Field(default_factory=list)
    extra: dict[str, str] = Field(default_factory=dict)

    def content_hash(self) -> str:
        """Hash of everything ingest stores, so an unchanged record is skipped and a changed one updated."""
        payload = self.model_dump(mode="json")
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(blob).hexdigest()

    @property
    def source_label(self) -> str:
        """Journal for articles, developer or publisher for guidelines and web pages."""
        return self.journal or self.publisher or self.source


class Passage(BaseModel):
    """A retrievable piece of a document: part of one section, cut at sentence boundaries.

    `start`/`end` are character offsets into the text of the section named by `section`.
    """

    model_config = ConfigDict(frozen=True)

    document_id: str
    ordinal: int
    section: str
    text: str
    start: int
    end: int
    page: int | None = None


class SearchHit(BaseModel):
    """One ranked passage with the document facts a reader needs to judge it."""

    passage_id: int
    document_id: str
    title: str
    kind: EvidenceKind
    year: int | None
    source: str
    section: str
    text: str
    score: float
    retracted: bool = False
    source_label: str | None = None
    url: str | None = None


# ---------------------------------------------------------------------------------- answers

ANSWER_SCHEMA_VERSION = "1.0"

DISCLAIMER = (
    "Educational purpose only. Evidex summarises published evidence and can be wrong or incomplete; "
    "it is not medical advice and does not replace the judgement of a qualified clinician who knows "
    "the patient. Check every claim against its cited source."
)


class Audience(StrEnum):
    """Who the answer is written for ("Which best describes you?")."""

    CLINICIAN = "clinician"
    PATIENT = "patient"
    STUDENT = "student"


class QuestionType(StrEnum):
    THERAPY = "therapy"
    DIAGNOSIS = "diagnosis"
    DOSING = "dosing"
    PROGNOSIS = "prognosis"
    ETIOLOGY = "etiology"
    PREVENTION = "prevention"
    YES_NO = "yes_no"
    DEFINITION = "definition"
    COMPARISON = "comparison"


class Verdict(StrEnum):
    """The straight answer to a yes/no question."""

    YES = "yes"
    NO = "no"
    UNCERTAIN = "uncertain"
    INSUFFICIENT = "insufficient evidence"


class Strength(StrEnum):
    """How much the verdict can be trusted, from the kinds and agreement of the evidence (GRADE-like)."""

    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"
    VERY_LOW = "very low"


class Stance(StrEnum):
    SUPPORTS = "supports"
    REFUTES = "refutes"
    NEUTRAL = "neutral"


class QuestionAnalysis(BaseModel):
    """What the question asks: its type, key entities, and for yes/no questions the claim it tests."""

    question: str
    question_type: QuestionType
    is_yes_no: bool = False
    entities: list[str] = Field(default_factory=list)
    claim: str | None = None
    search_query: str


class Reference(BaseModel):
    """One numbered source in the reference list."""

    number: int
    document_id: str
    title: str
    source_label: str | None = None
    year: int | None = None
    kind: EvidenceKind
    kind_label: str
    url: str | None = None
    retracted: bool = False
    live_fetched_at: str | None = Field(
        default=None,
        description="UTC time (ISO 8601) a live PubMed search first brought this source into the library.",
    )


class Evidence(BaseModel):
    """A cited passage: what a citation number points at, so a reader can check the claim."""

    reference: int
    passage_id: int
    section: str
    text: str


class Claim(BaseModel):
    """One statement on the page, tied to the passages (by reference number) that support it."""

    text: str
    citations: list[int]
    passage_ids: list[int] = Field(default_factory=list)
    stance: Stance = Stance.NEUTRAL
    support: float | None = Field(default=None, description="Verification score in [0, 1].")
    verified: bool = False
    flagged: str | None = Field(default=None, description="Why verification failed, when shown flagged.")


class AnswerSection(BaseModel):
    heading: str
    claims: list[Claim]


class Verification(BaseModel):
    """What verification did: every claim is checked against the passages it cites."""

    checked: int = 0
    kept: int = 0
    dropped: int = 0
    flagged: int = 0
    method: str = ""
    dropped_reasons: list[str] = Field(default_factory=list)


class Answer(BaseModel):
    """A structured, cited answer page; JSON-serializable with a versioned schema."""

    schema_version: str = ANSWER_SCHEMA_VERSION
    question: str
    audience: Audience = Audience.CLINICIAN
    analysis: QuestionAnalysis
    headline: str
    bottom_line: str
    verdict: Verdict | None = None
    strength: Strength | None = None
    sections: list[AnswerSection] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    follow_ups: list[str] = Field(default_factory=list)
    verification: Verification = Field(default_factory=Verification)
    reading_grade: float | None = None
    disclaimer: str = DISCLAIMER
    notes: list[str] = Field(default_factory=list)
    composer: str = "extractive"
    timings_ms: dict[str, float] = Field(default_factory=dict)
    created_at: str | None = None

    @property
    def insufficient(self) -> bool:
        return self.verdict is Verdict.INSUFFICIENT or not self.sections
