"""Evidence grading: publication types, then MeSH design headings, then source, then text cues."""

from __future__ import annotations

from evidex.ingest.grading import from_text, grade, graded
from evidex.models import Document, EvidenceKind, Section


def _doc(title: str = "A study", text: str = "Some text.", **fields: object) -> Document:
    return Document(id="x:1", title=title, source="test", sections=[Section(label="A", text=text)], **fields)


def test_publication_types_win_and_strongest_kind_is_taken() -> None:
    doc = _doc(publication_types=["Journal Article", "Randomized Controlled Trial", "Meta-Analysis"])
    assert grade(doc) == (EvidenceKind.SYSTEMATIC_REVIEW, "publication type")
    assert grade(_doc(publication_types=["Case Reports"]))[0] is EvidenceKind.CASE_REPORT
    assert grade(_doc(publication_types=["Practice Guideline"]))[0] is EvidenceKind.GUIDELINE


def test_mesh_design_headings_but_not_topic_headings() -> None:
    assert grade(_doc(mesh_terms=["Humans", "Retrospective Studies"])) == (
        EvidenceKind.OBSERVATIONAL_STUDY,
        "MeSH design heading",
    )
    topic_only = _doc(mesh_terms=["Randomized Controlled Trials as Topic"], text="We surveyed nothing.")
    assert grade(topic_only)[1] != "MeSH design heading"


def test_source_kind_is_kept_when_no_indexer_label() -> None:
    doc = _doc(kind=EvidenceKind.CONSUMER_INFORMATION, text="In a randomized trial ...")
    assert grade(doc) == (EvidenceKind.CONSUMER_INFORMATION, "source")


def test_text_cues() -> None:
    assert from_text("Efficacy of X: a meta-analysis", "") is EvidenceKind.SYSTEMATIC_REVIEW
    assert from_text("Drug X in asthma", "Patients were randomly assigned to X or placebo.") is (
        EvidenceKind.RANDOMIZED_TRIAL
    )
    assert from_text("Unusual rash", "We report a case of a 54-year-old woman with ...") is (
        EvidenceKind.CASE_REPORT
    )
    assert from_text("Risk of Y", "In this retrospective cohort of 2,000 adults ...") is (
        EvidenceKind.OBSERVATIONAL_STUDY
    )
    assert from_text("Guidelines for the management of Z", "") is EvidenceKind.GUIDELINE
    assert from_text("Mechanisms of Z: a review", "") is EvidenceKind.NARRATIVE_REVIEW
    assert from_text("Cell biology of Z", "Mitochondria divide.") is EvidenceKind.OTHER


def test_graded_records_basis() -> None:
    doc = graded(_doc(publication_types=["Review"]))
    assert doc.kind is EvidenceKind.NARRATIVE_REVIEW
    assert doc.extra["kind_basis"] == "publication type"
