"""Retrieval settings and the named presets: `fast`, `default`, `best` (and the `bm25` baseline)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from evidex.models import EvidenceKind

DEFAULT_KIND_BOOSTS: dict[EvidenceKind, float] = {
    EvidenceKind.GUIDELINE: 1.20,
    EvidenceKind.SYSTEMATIC_REVIEW: 1.15,
    EvidenceKind.RANDOMIZED_TRIAL: 1.10,
    EvidenceKind.OBSERVATIONAL_STUDY: 1.03,
    EvidenceKind.CASE_REPORT: 0.95,
    EvidenceKind.NARRATIVE_REVIEW: 1.0,
    EvidenceKind.CONSUMER_INFORMATION: 1.0,
    EvidenceKind.OTHER: 1.0,
}


class RetrievalSettings(BaseModel):
    """How the Retriever finds and orders passages; every field has a reason in its description."""

    name: str = Field(default="default", description="Preset this came from (shown in reports).")
    lexical: bool = Field(default=True, description="Use the BM25 index.")
    dense: bool = Field(default=True, description="Use passage vectors (needs `evidex library embed`).")
    rerank: bool = Field(
        default=False,
        description="Second pass: move the query vector toward the top candidates (Rocchio) and re-score.",
    )
    sentence_rerank: bool = Field(
        default=False,
        description=(
            "Re-rank the top candidates by their best-matching sentence (needs "
            "`evidex library embed --sentences`; skipped with a note when the library has none)."
        ),
    )
    sentence_depth: int = Field(default=20, ge=1, le=200, description="Candidates re-ranked by sentence.")
    sentence_weight: float = Field(
        default=1.0,
        ge=0,
        le=5,
        description="Weight of the best sentence cosine beside the candidate's score scaled to the top one.",
    )
    fusion: Literal["convex", "rrf"] = Field(
        default="convex",
        description="convex: normalised BM25 and cosine combined over all candidates; rrf: rank fusion.",
    )
    expand_query: bool = Field(default=True, description="Add medical synonyms/abbreviations to BM25.")
    expansion_weight: float = Field(
        default=0.3,
        ge=0,
        le=1,
        description="Weight of the synonym/abbreviation BM25 query beside the user's words.",
    )
    max_term_share: float = Field(
        default=0.20,
        gt=0,
        le=1,
        description=(
            "Query words found in more than this share of passages are left out of the BM25 MATCH "
            "query (the 2 rarest always stay) and added to the candidates' scores afterwards; "
            "synonym expansions that common are dropped. Keeps an OR query from visiting most of a "
            "large index. 1 keeps every word in the query."
        ),
    )
    max_postings: int = Field(
        default=100_000,
        ge=0,
        description=(
            "Budget of index entries one BM25 OR query may visit: beyond it the most common of the "
            "question's words leave the MATCH query (the rarest always stays) and are scored on the "
            "candidates afterwards, as for `max_term_share`. Bounds the cost of a long question in a "
            "large library (≈0.7 µs per entry at a million passages); never binds in small ones. "
            "0: no budget."
        ),
    )
    lexical_k: int = Field(default=100, ge=1, le=2000, description="BM25 candidates per query.")
    dense_k: int = Field(default=100, ge=1, le=2000, description="Dense candidates per query.")
    rrf_k: int = Field(default=60, ge=1, description="RRF constant: larger flattens rank differences.")
    lexical_weight: float = Field(default=1.0, ge=0, description="Weight of the BM25 list in fusion.")
    dense_weight: float = Field(default=1.0, ge=0, description="Weight of the dense list in fusion.")
    dense_share: float = Field(
        default=0.5, ge=0, le=1, description="Share of cosine (vs BM25) in convex fusion."
    )
    feedback_docs: int = Field(
        default=3,
        ge=0,
        le=20,
        description="Top passages mixed into the query vector (Rocchio) for re-scoring.",
    )
    feedback_weight: float = Field(default=0.5, ge=0, le=2, description="Weight of those passages.")
    evidence_boosts: bool = Field(default=True, description="Apply evidence-kind and recency boosts.")
    kind_boosts: dict[EvidenceKind, float] = Field(
        default_factory=lambda: dict(DEFAULT_KIND_BOOSTS),
        description="Score multiplier per evidence kind (guideline > systematic review > trial ...).",
    )
    recency_boost: float = Field(
        default=0.10, ge=0, le=1, description="Extra multiplier for a document from this year, fading to 0."
    )
    recency_years: int = Field(default=20, ge=1, description="Age in years at which the recency boost is 0.")
    retracted: Literal["penalize", "exclude", "keep"] = Field(
        default="penalize", description="What to do with retracted publications."
    )
    retracted_penalty: float = Field(default=0.3, ge=0, le=1, description="Multiplier for retracted records.")

    @property
    def needs_vectors(self) -> bool:
        return self.dense or self.rerank

    @classmethod
    def preset(cls, name: str) -> RetrievalSettings:
        """`bm25`: plain BM25; `fast`: lexical + expansion + boosts; `default`: hybrid; `best`: + rerank."""
        if name == "bm25":
            return cls(
                name=name,
                dense=False,
                expand_query=False,
                evidence_boosts=False,
                retracted="keep",
                max_term_share=1.0,
                max_postings=0,
            )
        if name == "fast":
            return cls(name=name, dense=False)
        if name == "default":
            return cls(name=name)
        if name == "best":
            return cls(name=name, rerank=True, sentence_rerank=True)
        raise ValueError(f"unknown retrieval preset {name!r}; choose one of: {', '.join(PRESETS)}")


PRESETS = ("fast", "default", "best", "bm25")
