"""Evidence grading: which kind of evidence a document is, and on what basis.

Order of trust: PubMed publication types (assigned by NLM indexers) → MeSH study-design headings →
the source's own kind (NGC is a guideline body, MedQuAD consumer pages) → cues in the title and
abstract. The basis is kept on the document so a reader can see why a reference is labelled so.
"""

from __future__ import annotations

import re

from evidex.models import Document, EvidenceKind

PUBLICATION_TYPES: dict[str, EvidenceKind] = {
    "practice guideline": EvidenceKind.GUIDELINE,
    "guideline": EvidenceKind.GUIDELINE,
    "consensus development conference": EvidenceKind.GUIDELINE,
    "consensus development conference, nih": EvidenceKind.GUIDELINE,
    "systematic review": EvidenceKind.SYSTEMATIC_REVIEW,
    "meta-analysis": EvidenceKind.SYSTEMATIC_REVIEW,
    "network meta-analysis": EvidenceKind.SYSTEMATIC_REVIEW,
    "randomized controlled trial": EvidenceKind.RANDOMIZED_TRIAL,
    "controlled clinical trial": EvidenceKind.RANDOMIZED_TRIAL,
    "pragmatic clinical trial": EvidenceKind.RANDOMIZED_TRIAL,
    "equivalence trial": EvidenceKind.RANDOMIZED_TRIAL,
    "clinical trial, phase iii": EvidenceKind.RANDOMIZED_TRIAL,
    "clinical trial, phase iv": EvidenceKind.RANDOMIZED_TRIAL,
    "clinical trial, phase ii": EvidenceKind.RANDOMIZED_TRIAL,
    "clinical trial": EvidenceKind.RANDOMIZED_TRIAL,
    "observational study": EvidenceKind.OBSERVATIONAL_STUDY,
    "comparative study": EvidenceKind.OBSERVATIONAL_STUDY,
    "multicenter study": EvidenceKind.OBSERVATIONAL_STUDY,
    "validation study": EvidenceKind.OBSERVATIONAL_STUDY,
    "evaluation study": EvidenceKind.OBSERVATIONAL_STUDY,
    "twin study": EvidenceKind.OBSERVATIONAL_STUDY,
    "case reports": EvidenceKind.CASE_REPORT,
    "review": EvidenceKind.NARRATIVE_REVIEW,
    "scoping review": EvidenceKind.NARRATIVE_REVIEW,
    "patient education handout": EvidenceKind.CONSUMER_INFORMATION,
}

# MeSH headings that NLM indexers give to describe the article's own design (not its topic:
# "Randomized Controlled Trials as Topic" is deliberately absent).
MESH_DESIGNS: dict[str, EvidenceKind] = {
    "double-blind method": EvidenceKind.RANDOMIZED_TRIAL,
    "single-blind method": EvidenceKind.RANDOMIZED_TRIAL,
    "random allocation": EvidenceKind.RANDOMIZED_TRIAL,
    "cohort studies": EvidenceKind.OBSERVATIONAL_STUDY,
    "retrospective studies": EvidenceKind.OBSERVATIONAL_STUDY,
    "prospective studies": EvidenceKind.OBSERVATIONAL_STUDY,
    "case-control studies": EvidenceKind.OBSERVATIONAL_STUDY,
    "cross-sectional studies": EvidenceKind.OBSERVATIONAL_STUDY,
    "follow-up studies": EvidenceKind.OBSERVATIONAL_STUDY,
    "longitudinal studies": EvidenceKind.OBSERVATIONAL_STUDY,
}

_CUES: tuple[tuple[EvidenceKind, re.Pattern[str]], ...] = (
    (
        EvidenceKind.SYSTEMATIC_REVIEW,
        re.compile(r"\b(meta-?analys[ie]s|systematic(ally)? review|pooled analysis)", re.I),
    ),
    (
        EvidenceKind.RANDOMIZED_TRIAL,
        re.compile(r"\b(randomi[sz]ed|randomly (assigned|allocated)|placebo-controlled|double-blind)", re.I),
    ),
    (
        EvidenceKind.CASE_REPORT,
        re.compile(
            r"\b(case report|we (report|describe|present) (a|an|the|two|three) (rare )?"
            r"(case|cases|patient)|\d+-year-old (man|woman|male|female|boy|girl|patient))",
            re.I,
        ),
    ),
    (
        EvidenceKind.OBSERVATIONAL_STUDY,
        re.compile(
            r"\b(cohort|case-control|cross-sectional|retrospective(ly)?|prospective(ly)?|"
            r"registry|observational|population-based|longitudinal|follow-up study|survey)",
            re.I,
        ),
    ),
)
_GUIDELINE_TITLE = re.compile(
    r"\b(guidelines?|practice parameter|consensus statement|position statement|recommendations)\b",
    re.I,
)
_REVIEW_TITLE = re.compile(r"\b(a review|review of|an update|overview|state of the art)\b", re.I)


def from_publication_types(types: list[str]) -> EvidenceKind | None:
    """The strongest kind among NLM publication types, or None when none is telling."""
    kinds = [PUBLICATION_TYPES[t.lower()] for t in types if t.lower() in PUBLICATION_TYPES]
    return min(kinds, key=lambda k: k.rank) if kinds else None


def from_mesh(terms: list[str]) -> EvidenceKind | None:
    """The strongest design named by MeSH design headings (a trial outranks a cohort)."""
    kinds = [MESH_DESIGNS[t.lower()] for t in terms if t.lower() in MESH_DESIGNS]
    return min(kinds, key=lambda k: k.rank) if kinds else None


def from_text(title: str, abstract: str) -> EvidenceKind:
    """Cue-only classifier over title and abstract; measured against indexers' labels in the docs."""
    if _GUIDELINE_TITLE.search(title):
        return EvidenceKind.GUIDELINE
    text = f"{title}\n{abstract[:2500]}"
    for kind, pattern in _CUES:
        if pattern.search(text):
            return kind
    if _REVIEW_TITLE.search(title):
        return EvidenceKind.NARRATIVE_REVIEW
    return EvidenceKind.OTHER


def grade(document: Document) -> tuple[EvidenceKind, str]:
    """The document's kind and a short basis such as 'publication type' or 'text cues'."""
    by_type = from_publication_types(document.publication_types)
    if by_type is not None:
        return by_type, "publication type"
    by_mesh = from_mesh(document.mesh_terms)
    if by_mesh is not None:
        return by_mesh, "MeSH design heading"
    if document.kind is not EvidenceKind.OTHER:
        return document.kind, "source"
    abstract = " ".join(section.text for section in document.sections)
    return from_text(document.title, abstract), "text cues"


def graded(document: Document) -> Document:
    """A copy of the document with its kind set and the basis recorded in `extra`."""
    kind, basis = grade(document)
    return document.model_copy(update={"kind": kind, "extra": {**document.extra, "kind_basis": basis}})
